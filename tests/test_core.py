"""The core as a function: envelope validation, the error path, state and catalog checks."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.alexa.envelope import InvalidRequest, _scan, validate_envelope
from skill.coach import handlers
from skill.coach.catalog import CatalogError, default_catalog, parse_catalog
from skill.coach.state import State, parse_state
from tests.support import alexa


def test_catch_all_apologises_and_keeps_the_session(coach, monkeypatch) -> None:
    started = coach.handle(alexa.envelope(intent="ProtectKneesIntent"))
    attributes = started["sessionAttributes"]

    def broken(turn):
        raise RuntimeError("boom")

    handler = next(h for h in handlers.REQUEST_HANDLERS if h.decide is handlers.on_next)
    monkeypatch.setattr(handler, "decide", broken)
    response = coach.handle(alexa.envelope(intent="AMAZON.NextIntent", attributes=attributes))
    speech = alexa.plain(response["response"]["outputSpeech"]["ssml"])
    assert "Sorry, something went wrong" in speech
    assert "knee protection routine" in speech
    assert response["response"]["shouldEndSession"] is False
    assert response["sessionAttributes"] == attributes  # the place is kept
    monkeypatch.undo()
    after = coach.handle(alexa.envelope(intent="AMAZON.NextIntent", attributes=attributes))
    assert "Step 2 of 3" in alexa.plain(after["response"]["outputSpeech"]["ssml"])


def test_an_intent_no_handler_knows_is_answered_as_a_fallback(coach, caplog) -> None:
    response = coach.handle(alexa.envelope(intent="OrderPizzaIntent"))
    speech = alexa.plain(response["response"]["outputSpeech"]["ssml"])
    assert "Sorry, Step Coach can't help with that." in speech
    assert response["response"]["shouldEndSession"] is False
    assert "no handler for IntentRequest OrderPizzaIntent" in caplog.text
    assert "Traceback" not in caplog.text  # a warning, not an error with a stack


def test_a_rejected_response_report_is_logged_and_not_answered(coach, caplog) -> None:
    error = {"type": "INVALID_RESPONSE", "message": "bad SSML"}
    request = alexa.envelope("System.ExceptionEncountered", extra_request={"error": error})
    response = coach.handle(request)
    assert "outputSpeech" not in response["response"]
    assert "bad SSML" in caplog.text


def test_a_resolution_without_an_id_falls_back_to_the_spoken_value(coach) -> None:
    slot = alexa.slot("exercise", "clamshells", "clamshell")
    del slot["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"]["id"]
    request = alexa.envelope(intent="StartWorkoutIntent", slots={"exercise": slot})
    speech = alexa.plain(coach.handle(request)["response"]["outputSpeech"]["ssml"])
    assert "Let's do clamshells" in speech


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("request"),
        lambda e: e.__setitem__("request", []),
        lambda e: e["request"].__setitem__("type", "Alexa.Presentation.HTML.Message"),
        lambda e: e["request"].__setitem__("type", 7),
        lambda e: e["request"].pop("requestId"),
        lambda e: e["request"].__setitem__("intent", "NextIntent"),
        lambda e: e["request"]["intent"].__setitem__("name", None),
        lambda e: e["request"]["intent"].__setitem__("slots", {"exercise": "pushups"}),
        lambda e: e["request"]["intent"]["slots"].__setitem__("x", {"value": 3}),
        lambda e: e["session"].__setitem__("attributes", [1, 2]),
        lambda e: e["session"].__setitem__("new", "yes"),
        lambda e: e["context"]["System"].__setitem__("user", "me"),
        lambda e: (e.pop("session"), e.pop("context")),
        lambda e: e.__setitem__("version", 1.0),
    ],
)
def test_malformed_envelopes_are_invalid_requests(coach, mutate) -> None:
    request = alexa.envelope(intent="AMAZON.NextIntent", slots={"x": alexa.slot("x", "y")})
    mutate(request)
    with pytest.raises(InvalidRequest) as caught:
        coach.handle(request)
    assert caught.value.reason


def test_non_object_bodies_are_invalid(coach) -> None:
    for body in (b"", b"[1]", b"\xff\xfe", b"{", b'"text"', b"null", b"[" * 100_000):
        with pytest.raises(InvalidRequest):
            coach.handle_json(body)


def test_a_valid_envelope_passes_validation() -> None:
    request = alexa.envelope(
        intent="StartWorkoutIntent", slots={"exercise": alexa.slot("exercise")}
    )
    assert validate_envelope(copy.deepcopy(request)) == request


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["v", "pace", "workout", "offer", "id", "step",
                                           "paused", "finished", "safety_said"]),
                          children, max_size=5),
        max_leaves=12,
    )
)  # fmt: skip
def test_any_session_attributes_parse_without_raising(attributes) -> None:
    state, tampered = parse_state(attributes, default_catalog())
    assert isinstance(state, State)
    if tampered:
        assert state.workout is None and state.offer is None
    assert parse_state(state.to_attributes(), default_catalog()) == (state, False)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(max_size=10), st.text(max_size=10) | st.integers(), max_size=4))
def test_fuzzed_attributes_through_the_skill_never_raise(coach, attributes) -> None:
    response = coach.handle(alexa.envelope(intent="AMAZON.NextIntent", attributes=attributes))
    assert response["response"]["outputSpeech"]["ssml"].startswith("<speak>")


def test_catalog_follows_the_article() -> None:
    catalog = default_catalog()
    russian = catalog.exercises["russian_pushups"]
    assert len(russian.steps) == 5
    assert russian.prerequisite == "regular_pushups"
    assert russian.trains == "your arms, your shoulders and your core"
    routine = catalog.routines["protect_knees"]
    assert all(item.sets >= 1 and (item.reps or item.hold) for item in routine.items)
    assert {"glute_bridge", "clamshell", "side_leg_raise", "fire_hydrant", "donkey_kick"} <= {
        item.exercise for item in routine.items
    }
    assert "sharp pain" in catalog.safety and "not medical advice" in catalog.safety
    for topic in catalog.topics.values():
        sentences = [s for s in topic.answer.split(". ") if s]
        assert 2 <= len(sentences) <= 3, topic.id


def _raw() -> dict:
    return {
        "safety": "x",
        "exercises": [
            {"id": "a", "name": "A", "trains": "t", "intro": "i", "finish": "f",
             "steps": [{"cue": "c", "card": "c"}]},
        ],
        "routines": [],
        "topics": [],
    }  # fmt: skip


@pytest.mark.parametrize(
    "breakage",
    [
        lambda raw: raw["exercises"][0].__setitem__("steps", []),
        lambda raw: raw["exercises"][0].__setitem__("prerequisite", "zzz"),
        lambda raw: raw["exercises"][0].__setitem__("id", "Bad Id"),
        lambda raw: raw["exercises"][0]["steps"][0].update(reps=3, hold=4),
        lambda raw: raw["exercises"][0].pop("intro"),
        lambda raw: raw["routines"].append(
            {"id": "r", "name": "R", "intro": "i", "finish": "f", "items": [{"exercise": "q"}]}
        ),
        lambda raw: raw["exercises"].append({**raw["exercises"][0], "id": "b"}),
        lambda raw: raw["topics"].append({"id": "t", "name": "T", "answer": "x", "offer": "q"}),
    ],
)
def test_inconsistent_catalogs_fail_at_load(breakage) -> None:
    raw = _raw()
    parse_catalog(copy.deepcopy(raw))
    breakage(raw)
    with pytest.raises(CatalogError):
        parse_catalog(raw)


def test_the_lambda_entry_point_answers_with_the_same_skill() -> None:
    from skill.lambda_function import lambda_handler
    from skill.serve import lambda_handler as entry

    assert lambda_handler is entry.lambda_handler  # the name deployments configure
    coach = entry._coach  # built at import, Lambda's init, and kept for every invocation
    answer = lambda_handler(alexa.envelope(intent="ProtectKneesIntent"), None)
    assert "knee protection routine" in alexa.plain(answer["response"]["outputSpeech"]["ssml"])
    assert entry._coach is coach
    # A malformed event is logged and answered with nothing, never an exception.
    assert lambda_handler({"version": "1.0"}, None) == {"version": "1.0", "response": {}}


def test_deeply_nested_envelopes_are_refused_before_anything_recurses(coach) -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = {"a": [deep]}
    request = alexa.envelope(intent="AMAZON.NextIntent", attributes={"v": 1, "junk": deep})
    with pytest.raises(InvalidRequest, match="nests deeper"):
        coach.handle(request)
    shallow = alexa.envelope(intent="AMAZON.NextIntent", attributes={"a": [[[{"b": 1}]]]})
    assert coach.handle(shallow)["response"]["outputSpeech"]


def nesting(value: object) -> int:
    """Levels of non-empty containers, recursively: the reference for ``_scan``."""
    children = value.values() if isinstance(value, dict) else value
    if not isinstance(value, dict | list) or not value:
        return 0
    return 1 + max(nesting(child) for child in children)


json_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=30,
)


@given(json_data, st.integers(1, 8))
def test_depth_check_agrees_with_a_recursive_count(value: object, limit: int) -> None:
    assert (_scan(value, limit) is not None) == (nesting(value) > limit)
