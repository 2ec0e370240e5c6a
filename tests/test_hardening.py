"""What a hostile caller or an unlucky operator can do, and what the skill does then.

One test per defect of the reliability probe (issue 22), each failing before its fix,
and a fuzz test of generated envelopes through the Flask app and ``lambda_handler``.
"""

from __future__ import annotations

import copy
import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from skill import settings
from skill.alexa.envelope import SILENT_REQUEST_TYPES
from skill.alexa.ids import user_key
from skill.alexa.ssml_rules import validate_alexa_ssml
from skill.coach.step_coach import STORE_BUDGET_SECONDS, ForgetFailed, StepCoach
from skill.serve import lambda_handler as entry
from skill.serve.app import create_app
from skill.settings import ConfigurationError
from skill.storage.base import OutOfTime, time_budget
from skill.storage.dynamodb import DynamoDBPersistenceAdapter
from skill.storage.factory import create_persistence_adapter
from skill.storage.sqlite import SQLitePersistenceAdapter
from tests.support import alexa, servers
from tests.support.signing import TestAlexaSigner

EMPTY = {"version": "1.0", "response": {}}
SLOW = {"pace": alexa.slot("pace", "x", "slow")}


@pytest.fixture
def sqlite_coach(tmp_path: Path, renderer) -> StepCoach:
    return StepCoach(
        renderer=renderer, persistence_adapter=SQLitePersistenceAdapter(tmp_path / "s.sqlite3")
    )


def client_for(coach: StepCoach, *, verify: bool = False):
    config: dict[str, Any] = {settings.VERIFY: verify, "STEP_COACH_COACH": coach}
    if verify:
        config["STEP_COACH_VERIFIER"] = TestAlexaSigner.valid().verifier()
    return create_app(config).test_client()


def post(client, envelope: object):
    return client.post("/", data=json.dumps(envelope), content_type="application/json")


def via_lambda(coach: StepCoach, event: dict[str, Any], monkeypatch) -> dict[str, Any]:
    monkeypatch.setattr(entry, "_coach", coach)
    return entry.lambda_handler(copy.deepcopy(event), None)


def stored(coach: StepCoach) -> dict[str, Any]:
    return coach.persistence_adapter.get_attributes(
        coach.serializer.from_data(alexa.envelope(), "ask_sdk_model.RequestEnvelope")
    )


# 1. A lone surrogate -------------------------------------------------------------------------


def _with_surrogate(where: str) -> dict[str, Any]:
    envelope = alexa.envelope(new=True, person_id="amzn1.ask.person.P")
    if where == "session.user.userId":
        envelope["session"]["user"]["userId"] = "\ud800"
    elif where == "person":
        envelope["context"]["System"]["person"]["personId"] = "\ud800"
    elif where == "slot":
        envelope = alexa.envelope(
            intent="SetPaceIntent", slots={"pace": alexa.slot("pace", "\udfff")}
        )
    else:
        envelope["session"]["attributes"] = {"\ud83d": 1}  # a key
    return envelope


@pytest.mark.parametrize("where", ["session.user.userId", "person", "slot", "attribute-key"])
def test_a_lone_surrogate_is_a_400_never_a_500(coach, monkeypatch, caplog, where) -> None:
    envelope = _with_surrogate(where)
    for verify in (True, False):  # refused by the signature check, or by the envelope check
        answer = post(client_for(coach, verify=verify), envelope)
        assert answer.status_code == 400, answer.get_data(as_text=True)
        assert answer.is_json
    assert via_lambda(coach, envelope, monkeypatch) == EMPTY
    assert "Traceback" not in caplog.text


# 2. A SkillDisabled whose delete fails ---------------------------------------------------------


def _unreachable_dynamodb_coach(renderer) -> StepCoach:
    store = DynamoDBPersistenceAdapter(
        "t",
        "us-east-1",
        f"http://127.0.0.1:{servers.free_port()}",
        credentials={
            "aws_access_key_id": "x",
            "aws_secret_access_key": "y",
        },
    )
    return StepCoach(renderer=renderer, persistence_adapter=store)


def test_a_failed_delete_fails_visibly_over_http_and_lambda(renderer, monkeypatch, caplog) -> None:
    coach = _unreachable_dynamodb_coach(renderer)
    disabled = alexa.envelope("AlexaSkillEvent.SkillDisabled")
    answer = post(client_for(coach), disabled)
    assert answer.status_code == 503
    assert answer.json["error"] == "store_unavailable"
    with pytest.raises(ForgetFailed):
        via_lambda(coach, disabled, monkeypatch)
    assert "could not delete a disabled user's data" in caplog.text


def test_a_delete_behind_a_stalled_lock_is_retried_until_it_happens(
    tmp_path: Path, renderer
) -> None:
    path = tmp_path / "s.sqlite3"
    coach = StepCoach(
        renderer=renderer, persistence_adapter=SQLitePersistenceAdapter(path, busy_timeout=0.2)
    )
    client = client_for(coach)
    post(
        client,
        alexa.envelope(intent="SetPaceIntent", slots=SLOW),
    )
    assert stored(coach)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a stalled writer
    try:
        assert post(client, alexa.envelope("AlexaSkillEvent.SkillDisabled")).status_code == 503
        assert stored(coach)  # still there: Alexa will deliver the event again
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    again = post(client, alexa.envelope("AlexaSkillEvent.SkillDisabled"))
    assert again.status_code == 200 and again.json["response"] == {}
    assert stored(coach) == {}


# 4 and 5. A locale is matched, never a path or a cache key ---------------------------------------


UNRESOLVED_PACE = {"pace": alexa.slot("pace", "slower")}
UNRESOLVED_SOUNDS = {"setting": alexa.slot("setting", "off")}


@pytest.mark.parametrize("locale", ["fr-FR", "en_US", "ja-JP", "../../etc", "en-GB", "x" * 100_000])
def test_an_unresolved_pace_in_any_locale_is_understood(sqlite_coach, locale) -> None:
    answer = sqlite_coach.handle(
        alexa.envelope(
            intent="SetPaceIntent", slots={"pace": alexa.slot("pace", "slower")}, locale=locale
        )
    )
    speech = alexa.plain(alexa.speech_of(answer))
    assert "went wrong" not in speech
    assert answer["sessionAttributes"]["pace"] == "slow"
    sounds = sqlite_coach.handle(
        alexa.envelope(
            intent="SetSoundsIntent", slots={"setting": alexa.slot("setting", "off")}, locale=locale
        )
    )
    assert sounds["sessionAttributes"]["sounds"] is False


def test_renderers_are_cached_per_known_folder_not_per_locale(renderer) -> None:
    renderer.speech("en-US")
    renderer.speech("en-GB")
    known = dict(renderer._chains)
    for number in range(1500):
        locale = f"{number:04d}" + "x" * 1000
        assert renderer.speech(locale) is renderer.speech("en")
        assert renderer.speech(f"en-{number}") is renderer.speech("en")
    assert renderer._chains == known
    assert renderer.speech("EN-gb") is renderer.speech("en-GB")


# 6. Injected keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_type", "injected"),
    [
        ("LaunchRequest", "AlexaSkillEvent.SkillDisabled"),
        ("SessionEndedRequest", "LaunchRequest"),
        ("IntentRequest", "SessionEndedRequest"),
    ],
)
@pytest.mark.parametrize("key", ["object_type", "deserialized_types", "attribute_map"])
def test_an_injected_model_attribute_never_changes_dispatch(
    sqlite_coach, monkeypatch, request_type, injected, key
) -> None:
    client = client_for(sqlite_coach)
    post(
        client,
        alexa.envelope(intent="SetPaceIntent", slots=SLOW),
    )
    before = stored(sqlite_coach)
    assert before
    if request_type == "IntentRequest":
        envelope = alexa.envelope(intent="AMAZON.HelpIntent")
    else:
        envelope = alexa.envelope(request_type)
    envelope["request"][key] = injected
    answer = post(client, envelope)
    assert answer.status_code == 400
    assert "reserved" in answer.json["message"]
    assert via_lambda(sqlite_coach, envelope, monkeypatch) == EMPTY
    assert stored(sqlite_coach) == before  # nothing was deleted


def test_a_snake_case_twin_of_a_field_never_overrides_it(sqlite_coach) -> None:
    """``user_id`` beside ``userId``: the SDK would store the progress under the twin."""
    envelope = alexa.envelope(intent="SetPaceIntent", slots=SLOW)
    for holder in (envelope["context"]["System"]["user"], envelope["session"]["user"]):
        holder["user_id"] = "amzn1.ask.account.SOMEONE-ELSE"
    envelope["request"]["request_id"] = "not the request id"
    sqlite_coach.handle(envelope)
    rows = sqlite3.connect(sqlite_coach.persistence_adapter.path).execute(
        "SELECT id FROM user_attributes"
    )
    assert [key for (key,) in rows] == [user_key(alexa.USER_ID)]


def test_session_ended_never_speaks_even_when_its_handler_fails(coach, monkeypatch) -> None:
    from skill.coach import handlers

    def broken(turn):
        raise RuntimeError("boom")

    handler = next(h for h in handlers.REQUEST_HANDLERS if h.decide is handlers.on_session_ended)
    monkeypatch.setattr(handler, "decide", broken)
    answer = coach.handle(alexa.envelope("SessionEndedRequest"))
    assert answer["response"] == {}


# 7. One time budget for the store -----------------------------------------------------------------


@pytest.fixture
def black_hole() -> Iterator[str]:
    """An endpoint that takes connections and never answers, like a frozen server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_frozen_store_costs_a_request_one_budget_and_says_so(renderer, black_hole) -> None:
    store = DynamoDBPersistenceAdapter(
        "t", "us-east-1", black_hole, credentials=servers.FAKE_AWS_CREDENTIALS
    )
    coach = StepCoach(renderer=renderer, persistence_adapter=store)
    attributes = {
        "v": 1,
        "pace": "normal",
        "safety_said": True,
        "workout": {"id": "protect_knees", "step": 0, "paused": False, "finished": False},
    }
    last = len(coach.catalog.plan("protect_knees").steps) - 1
    attributes["workout"]["step"] = last
    started = time.monotonic()
    # Finishing on a screen: a save, then a read for the summary screen.
    answer = coach.handle(
        alexa.on_screen(alexa.envelope(intent="AMAZON.NextIntent", attributes=attributes))
    )
    took = time.monotonic() - started
    assert "couldn't save your progress" in alexa.plain(alexa.speech_of(answer))
    assert took < STORE_BUDGET_SECONDS + 1.0, took  # before: 12 s, two calls of 6 s


def test_no_attempt_starts_without_the_time_for_it(tmp_path: Path) -> None:
    store = SQLitePersistenceAdapter(tmp_path / "s.sqlite3")
    request = StepCoach().serializer.from_data(alexa.envelope(), "ask_sdk_model.RequestEnvelope")
    with time_budget(0.01), pytest.raises(OutOfTime):
        store.save_attributes(request, {"a": 1})
    with time_budget(1.0):
        store.save_attributes(request, {"a": 1})
    assert store.get_attributes(request) == {"a": 1}


# 8. Alexa.Presentation.APL.RuntimeError -----------------------------------------------------------


@pytest.mark.parametrize("reason", ["LIST_INDEX_OUT_OF_RANGE", "A_REASON_FROM_NEXT_YEAR"])
def test_a_screen_runtime_error_is_logged_and_answered_empty(coach, caplog, reason) -> None:
    error = {"type": "LIST_ERROR", "reason": reason, "message": "index 9 of 3", "listId": "l"}
    envelope = alexa.envelope(
        "Alexa.Presentation.APL.RuntimeError", extra_request={"token": "t", "errors": [error]}
    )
    answer = post(client_for(coach), envelope)
    assert answer.status_code == 200
    assert answer.json["response"] == {}
    assert "index 9 of 3" in caplog.text


# Configuration the store cannot work with: one clear error at start-up ---------------------------


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({settings.STORE: "bogus"}, "STEP_COACH_STORE='bogus' is not a known store"),
        (
            {settings.STORE: "dynamodb", settings.DYNAMODB_ENDPOINT: "not a url"},
            "STEP_COACH_DYNAMODB_ENDPOINT='not a url' is not a URL",
        ),
        (
            {settings.STORE: "dynamodb", settings.DYNAMODB_ENDPOINT: "http://h:99999"},
            "is not a URL",
        ),
        (
            {settings.STORE: "dynamodb", settings.DYNAMODB_REGION: "eu west"},
            "is not an AWS region name",
        ),
    ],
)
def test_an_unusable_store_setting_is_one_configuration_error(environ, message) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        create_persistence_adapter(environ)


# The fuzz test -----------------------------------------------------------------------------------

REQUEST_TYPES = [
    "LaunchRequest",
    "IntentRequest",
    "SessionEndedRequest",
    "AlexaSkillEvent.SkillDisabled",
    "AlexaSkillEvent.SkillEnabled",
    "System.ExceptionEncountered",
    "Alexa.Presentation.APL.UserEvent",
    "Alexa.Presentation.APL.RuntimeError",
]
INTENTS = ["SetPaceIntent", "SetSoundsIntent", "StartWorkoutIntent", "AMAZON.NextIntent"]
ODD_TEXT = st.sampled_from(
    [
        "\ud800",
        "a\udfffb",
        "\x00",
        "\u202e\u0301",
        "\U0001d518\U0001d52b \U0001f600",
        "../../etc/passwd",
        "<audio src='x'/>",
        "en_US",
        "ja-JP",
        "x" * 40_000,
    ]
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    ODD_TEXT,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
PATHS = [
    ("request", "type"),
    ("request", "locale"),
    ("request", "intent"),
    ("request", "intent", "name"),
    ("request", "intent", "slots"),
    ("request", "intent", "slots", "pace", "value"),
    ("request", "intent", "slots", "setting", "value"),
    ("request", "arguments"),
    ("request", "errors"),
    ("request", "token"),
    ("request", "timestamp"),
    ("session", "new"),
    ("session", "user", "userId"),
    ("session", "attributes"),
    ("session", "attributes", "workout"),
    ("context", "System", "user", "userId"),
    ("context", "System", "person", "personId"),
    ("context", "System", "device"),
    ("version",),
]
INJECTED_KEYS = st.sampled_from(
    ["object_type", "deserialized_types", "attribute_map", "supports_multiple_types", "request_id"]
)


def _set(envelope: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    target: Any = envelope
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value


@st.composite
def envelopes(draw) -> dict[str, Any]:
    request_type = draw(st.sampled_from(REQUEST_TYPES))
    if request_type == "IntentRequest":
        name = draw(st.sampled_from(INTENTS))
        envelope = alexa.envelope(intent=name, slots={**UNRESOLVED_PACE, **UNRESOLVED_SOUNDS})
    else:
        envelope = alexa.envelope(request_type)
    for _ in range(draw(st.integers(0, 3))):
        _set(envelope, draw(st.sampled_from(PATHS)), draw(VALUES))
    if draw(st.booleans()):
        section = draw(st.sampled_from([("request",), ("session",), ("context", "System")]))
        _set(envelope, (*section, draw(INJECTED_KEYS)), draw(st.sampled_from(REQUEST_TYPES)))
    return envelope


def _may_fail(envelope: dict[str, Any], broken: bool) -> bool:
    """Only a SkillDisabled whose delete fails may fail the request."""
    request = envelope.get("request")
    return broken and isinstance(request, dict) and request.get("type") == REQUEST_TYPES[3]


def _check_response(envelope: dict[str, Any], answer: dict[str, Any]) -> None:
    assert answer["version"] == "1.0"
    response = answer["response"]
    assert isinstance(response, dict)
    request = envelope.get("request")
    request_type = request.get("type") if isinstance(request, dict) else None
    if isinstance(request_type, str) and request_type in SILENT_REQUEST_TYPES:
        assert "outputSpeech" not in response and "reprompt" not in response, answer
    if "outputSpeech" in response:
        assert validate_alexa_ssml(response["outputSpeech"]["ssml"]) == []


_fuzz: dict[str, Any] = {}


def _fuzz_coaches(renderer, tmp_path_factory) -> list[tuple[StepCoach, bool, Any]]:
    """A coach with a working SQLite store and one whose store always fails."""
    if not _fuzz:
        folder = tmp_path_factory.mktemp("fuzz")
        working = StepCoach(
            renderer=renderer, persistence_adapter=SQLitePersistenceAdapter(folder / "s.sqlite3")
        )
        broken = StepCoach(renderer=renderer, persistence_adapter=SQLitePersistenceAdapter(folder))
        _fuzz["coaches"] = [
            (coach, is_broken, client_for(coach))
            for coach, is_broken in ((working, False), (broken, True))
        ]
    return _fuzz["coaches"]


@hypothesis.settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(envelopes())
def test_fuzzed_envelopes_never_fail_but_a_failed_delete(
    renderer, tmp_path_factory, envelope
) -> None:
    for coach, broken, client in _fuzz_coaches(renderer, tmp_path_factory):
        answer = post(client, envelope)
        if answer.status_code == 503:
            assert _may_fail(envelope, broken), answer.get_data(as_text=True)
        else:
            assert answer.status_code < 500, answer.get_data(as_text=True)
        assert answer.is_json
        if answer.status_code == 200:
            _check_response(envelope, answer.json)
        entry._coach = coach
        try:
            result = entry.lambda_handler(copy.deepcopy(envelope), None)
        except ForgetFailed:
            assert _may_fail(envelope, broken)
        else:
            _check_response(envelope, result)
    entry._coach = None
