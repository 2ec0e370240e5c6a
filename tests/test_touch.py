"""Screens in the skill: shown only where supported, built from the card, touched safely."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.alexa.envelope import InvalidRequest
from skill.alexa.ssml import estimated_speech_ms
from skill.alexa.ssml_rules import validate_alexa_ssml
from skill.coach import handlers, pacing, screen
from skill.coach.catalog import default_catalog
from skill.local.runner.screen_text import screen_of
from tests.support import alexa
from tests.support.apl import check_document
from tests.support.conversations import screen_directives

PLANK = {"exercise": alexa.slot("exercise", "forearm plank")}


def start(coach, workout: dict[str, Any] = PLANK, **kwargs: Any) -> dict[str, Any]:
    return coach.handle(alexa.envelope(intent="StartWorkoutIntent", slots=workout, **kwargs))


def touch(coach, response: dict[str, Any], action: str, target: str = "", **kw: Any) -> dict:
    attributes = response["sessionAttributes"]
    return coach.handle(alexa.touch([action, attributes["screen"], target], attributes, **kw))


def moved(after: dict[str, Any], before: dict[str, Any]) -> bool:
    """Whether the session moved, beyond the counted set's end being past (the first
    request after a counted set always tells it: see skill.coach.navigation).
    """
    judged = ("set_ends", "set_cut")
    return {k: v for k, v in after.items() if k not in judged} != {
        k: v for k, v in before.items() if k not in judged
    }


def test_a_screen_only_where_the_device_says_it_renders_apl(coach) -> None:
    assert not screen_directives(start(coach))
    shown = screen_directives(start(coach, screen=True))
    assert len(shown) == 1 and shown[0]["type"] == "Alexa.Presentation.APL.RenderDocument"
    assert "screen" not in start(coach)["sessionAttributes"]


def test_the_directive_is_the_sdk_render_document_and_passes_the_apl_checks(coach) -> None:
    response = start(coach, screen=True)
    directive = screen_directives(response)[0]
    model = DefaultSerializer().deserialize(
        json.dumps(directive),
        "ask_sdk_model.interfaces.alexa.presentation.apl.RenderDocumentDirective",
    )
    assert model.token == response["sessionAttributes"]["screen"] == "stepcoach.1.step"
    assert model.document == screen.document("step")
    assert check_document(directive["document"], directive["datasources"]) == []


def test_the_screen_text_is_the_card(coach) -> None:
    response = start(coach, screen=True)
    properties = screen_of(response)
    assert properties is not None
    assert properties["title"] == response["response"]["card"]["title"]
    assert properties["text"] == response["response"]["card"]["content"]


def test_no_screen_when_the_session_ends_or_a_slot_is_asked_for(coach) -> None:
    stop = coach.handle(alexa.envelope(intent="AMAZON.StopIntent", screen=True))
    assert stop["response"]["shouldEndSession"] is True and not screen_directives(stop)
    ask = coach.handle(alexa.envelope(intent="StartWorkoutIntent", screen=True))
    assert ask["response"]["directives"][0]["type"] == "Dialog.ElicitSlot"
    assert not screen_directives(ask)


def test_touch_answers_with_the_same_decision_as_the_voice(coach) -> None:
    first = start(coach, screen=True)
    by_touch = touch(coach, first, "next")
    by_voice = coach.handle(
        alexa.envelope(intent="AMAZON.NextIntent", attributes=first["sessionAttributes"])
    )
    assert by_touch["sessionAttributes"]["workout"] == by_voice["sessionAttributes"]["workout"]
    assert by_touch["response"]["card"] == by_voice["response"]["card"]
    paused = touch(coach, by_touch, "pause")
    assert paused["sessionAttributes"]["workout"]["paused"] is True
    assert "Paused" in alexa.plain(alexa.speech_of(paused))
    resumed = touch(coach, paused, "resume")
    assert resumed["sessionAttributes"]["workout"] == {
        **paused["sessionAttributes"]["workout"],
        "paused": False,
    }


def test_menu_choices_start_workouts_and_explain_topics(coach) -> None:
    menu = coach.handle(alexa.envelope(intent="AMAZON.NavigateHomeIntent", screen=True))
    choices = screen_of(menu)["choices"]
    catalog = default_catalog()
    assert {c["target"] for c in choices} == {
        *catalog.routines,
        *catalog.exercises,
        *catalog.topics,
    }
    started = touch(coach, menu, "start", "glute_bridge")
    assert started["sessionAttributes"]["workout"]["id"] == "glute_bridge"
    explained = touch(coach, menu, "explain", "why_glutes")
    assert explained["sessionAttributes"]["screen"].endswith(".explanation")
    assert screen_of(explained)["title"] == explained["response"]["card"]["title"]


def test_the_menu_lists_each_workout_once(coach) -> None:
    """A topic about a listed workout (Russian push-ups) is not its second entry."""
    menu = coach.handle(alexa.envelope(intent="AMAZON.NavigateHomeIntent", screen=True))
    choices = screen_of(menu)["choices"]
    names = [re.sub(r"^start ", "", c["label"].lower()) for c in choices]
    assert len(names) == len(set(names)), names
    assert len({c["target"] for c in choices}) == len(choices)
    assert "start russian push-ups" in [c["label"].lower() for c in choices]


@pytest.mark.parametrize("action", ["pause", "next", "previous", "repeat", "resume", "help"])
def test_a_button_the_screen_does_not_have_says_so(coach, action: str) -> None:
    """The finished screen has start over and menu: its other actions aren't there to tap."""
    shown = start(coach, screen=True)
    for _ in range(2):
        shown = touch(coach, shown, "next")
    assert shown["sessionAttributes"]["screen"].endswith(".finished")
    hinted = touch(coach, shown, action)
    words = alexa.plain(alexa.speech_of(hinted))
    label = {"previous": "Back"}.get(action, action.capitalize())
    assert words.startswith(f"There's no {label} button on this screen."), words
    assert "You've finished forearm planks." in words
    assert "haven't started" not in words
    assert not moved(hinted["sessionAttributes"], shown["sessionAttributes"])


@pytest.mark.parametrize(
    "arguments",
    [
        ["next", "stepcoach.1.step-old", ""],
        ["next"],
        ["jump", "{token}", ""],
        ["start", "{token}", "yoga"],
        ["explain", "{token}", "taxes"],
        ["next", "{token}", "", "extra"],
        [1, "{token}", ""],
        [],
    ],
)
def test_a_touch_the_session_cannot_take_gets_a_hint_and_changes_nothing(
    coach, arguments: list[Any]
) -> None:
    shown = touch(coach, start(coach, screen=True), "next")
    attributes = shown["sessionAttributes"]
    arguments = [attributes["screen"] if a == "{token}" else a for a in arguments]
    hinted = coach.handle(alexa.touch(arguments, attributes))
    assert not moved(hinted["sessionAttributes"], attributes)
    assert not screen_directives(hinted)
    words = alexa.plain(alexa.speech_of(hinted))
    elsewhere = arguments[:1] in (["start"], ["explain"]) and len(arguments) == 3
    hint = (
        "That button isn't on this screen." if elsewhere else "That button was for another screen."
    )
    assert words.startswith(hint)
    assert "step 2 of 2 of forearm planks" in words
    assert hinted["response"]["shouldEndSession"] is False


def test_a_stale_screen_cannot_move_the_workout(coach) -> None:
    """Two taps on Next before the new screen shows: the second one is stale."""
    first = start(coach, screen=True)
    went = touch(coach, first, "next")
    stale = coach.handle(
        alexa.touch(["next", first["sessionAttributes"]["screen"], ""], went["sessionAttributes"])
    )
    assert not moved(stale["sessionAttributes"], went["sessionAttributes"])


def test_user_event_arguments_must_be_a_list() -> None:
    from skill.alexa.envelope import validate_envelope

    event = alexa.touch(["next", "t", ""], {})
    event["request"]["arguments"] = "next"
    with pytest.raises(InvalidRequest, match="arguments must be a list"):
        validate_envelope(event)


# --- the countdown ---------------------------------------------------------------------------
def test_countdowns_follow_the_pacing_script() -> None:
    catalog = default_catalog()
    plan = catalog.plan("protect_knees")
    step = next(s for s in plan.steps if s.step.paced and s.sets > 1)
    beats = pacing.script(step)
    found = pacing.countdowns(beats, lambda beat: beat.value if beat.kind == "pause" else 1000)
    rests = [b for b in beats if b.kind == "rest"]
    assert [c.kind for c in found] == ["rest"] * len(rests)
    assert [c.seconds for c in found] == [b.value for b in rests]
    for countdown in found:
        # The silences alone last the announced seconds; the spoken reminders come on top.
        assert countdown.end_ms - countdown.start_ms >= countdown.seconds * 1000
        assert countdown.set_number == 1 and countdown.sets == step.sets


def test_the_paced_screen_counts_from_where_its_speech_says_it_starts(coach) -> None:
    plank = start(coach, screen=True)
    paced = touch(coach, plank, "next")
    segments = screen_of(paced)["timer"]["segments"]
    assert [s["label"] for s in segments] == ["Get ready", "Hold", "Done"]
    hold = segments[1]
    assert hold["seconds"] == 30
    speech = alexa.speech_of(paced)
    before = speech[: speech.index("Hold for 30 seconds")] + "</speak>"
    said = estimated_speech_ms(before)
    # The hold starts when "Hold for 30 seconds, starting now." has been said.
    assert said < hold["start"] < said + 4000
    assert 30_000 <= hold["end"] - hold["start"] < 40_000


def test_the_words_estimate_is_fifteen_characters_a_second_and_exact_breaks() -> None:
    assert estimated_speech_ms('<speak>abcdefghijklmno<break time="2s"/></speak>') == 3000


# --- fuzzed touches ---------------------------------------------------------------------------
_WORDS = st.sampled_from(
    [*sorted(handlers.TOUCHES), "start", "explain", "spoken", "", "NEXT", "next "]
)
_TARGETS = st.sampled_from(["", "glute_bridge", "why_glutes", "protect_knees", "../x", "é"])
_ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    arguments=st.one_of(
        st.tuples(_WORDS, st.sampled_from(["{token}", "{old}", "x" * 120]), _TARGETS).map(list),
        st.lists(_ANYTHING, max_size=4),
    ),
    request_token=st.one_of(st.none(), st.sampled_from(["{token}", "other"])),
)
def test_a_fuzzed_touch_never_breaks_the_session(coach, arguments: list, request_token) -> None:
    first = start(coach, screen=True)
    shown = touch(coach, first, "next")
    attributes = shown["sessionAttributes"]
    names = {"{token}": attributes["screen"], "{old}": first["sessionAttributes"]["screen"]}
    arguments = [names.get(a, a) if isinstance(a, str) else a for a in arguments]
    token = names.get(request_token, request_token) if request_token else None
    response = coach.handle(alexa.touch(arguments, attributes, token=token))
    body = response["response"]
    assert validate_alexa_ssml(body["outputSpeech"]["ssml"]) == []
    after = response.get("sessionAttributes") or {}
    if not (
        isinstance(arguments, list) and len(arguments) == 3 and arguments[1] == attributes["screen"]
    ):
        assert not moved(after, attributes)  # not the current screen: nothing moves
    if not body.get("shouldEndSession"):
        # The session carries on: the next spoken request is answered as usual.
        going = coach.handle(alexa.envelope(intent="AMAZON.RepeatIntent", attributes=after))
        assert validate_alexa_ssml(going["response"]["outputSpeech"]["ssml"]) == []


@pytest.mark.parametrize(
    ("workout", "index"),
    [
        (workout, index)
        for workout in ("protect_knees", "russian_pushups", "forearm_plank", "glute_bridge")
        for index, step in enumerate(default_catalog().plan(workout).steps)
        if step.step.paced
    ],
)
def test_every_paced_screen_finds_where_its_paced_part_starts(coach, workout, index) -> None:
    attributes = {"v": 1, "workout": {"id": workout, "step": index}}
    response = coach.handle(
        alexa.envelope(intent="AMAZON.RepeatIntent", attributes=attributes, screen=True)
    )
    segments = screen_of(response)["timer"]["segments"]
    assert segments[0]["start"] == 0 and segments[-1]["end"] == screen.FOREVER_MS
    assert segments[0]["end"] > 3000  # the cue is spoken before anything is counted
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(segments))
