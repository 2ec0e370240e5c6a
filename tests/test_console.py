"""What the user sees of each exchange: a wrapped transcript, or one JSON object per line."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from skill.local.runner.console import (
    COACH,
    HEARD_PROMPT,
    PROMPT,
    Console,
    Exchange,
    console_text,
)
from skill.local.runner.runner_words import runner_words
from skill.local.runner.session import LocalSession, Outgoing
from skill.local.understanding.nlu import LocalNLU

LONG_ANSWER = (
    "<speak>Step 1 of 5. Start in a traditional plank position. Make sure your arms are "
    "straight and your hands are under your shoulders, then hold it there.</speak>"
)


def console(*, json_lines: bool = False, verbose: bool = False) -> Console:
    return Console(
        json_lines=json_lines, echo_user=True, verbose=verbose, out=io.StringIO(), err=io.StringIO()
    )


def outgoing(utterance: str) -> Outgoing:
    (sent,) = LocalSession(LocalNLU.for_locale("en-US")).prepare(utterance)
    return sent


def answer(ssml: str | None, *, end: bool = False, **body: Any) -> dict[str, Any]:
    if ssml is not None:
        body["outputSpeech"] = {"type": "SSML", "ssml": ssml}
    return {"version": "1.0", "response": {**body, "shouldEndSession": end}}


def test_the_transcript_wraps_the_coachs_words_under_its_prompt() -> None:
    shown = console()
    shown.width = 60
    sent = outgoing("open step coach")
    shown.show(Exchange.of(sent, answer(LONG_ANSWER)), sent)
    you, *coach, blank = shown.out.getvalue().split("\n")[:-1]
    assert you == f"{PROMPT}open step coach"
    assert coach[0].startswith(COACH) and len(coach) > 1
    assert all(line.startswith(" " * len(COACH)) for line in coach[1:])
    assert all(len(line) <= 60 for line in coach)
    assert " ".join(line[len(COACH) :] for line in coach) == console_text(LONG_ANSWER)
    assert blank == ""


def test_an_answer_that_ends_the_session_says_so_and_the_ending_itself_is_not_shown() -> None:
    shown = console()
    words = runner_words("en")
    sent = outgoing("open step coach")
    shown.show(Exchange.of(sent, answer("<speak>Bye.</speak>", end=True)), sent)
    assert f"{' ' * len(COACH)}{words.session_ended}" in shown.out.getvalue()
    before = shown.out.getvalue()
    ended = Outgoing({"request": {"type": "SessionEndedRequest"}, "session": {"new": False}}, "")
    shown.show(Exchange.of(ended, {}), ended)
    assert shown.out.getvalue() == before


def test_a_heard_turn_shows_what_was_heard() -> None:
    shown = console()
    sent = outgoing("next")
    record = Exchange.of(sent, answer("<speak>Step 2.</speak>"))
    record.heard, record.confidence = "next", 0.8
    shown.show(record, sent)
    assert shown.out.getvalue().startswith(f"{HEARD_PROMPT}next\n{COACH}Step 2.\n")


def test_json_lines_are_one_object_per_turn_and_only_spoken_turns_carry_heard() -> None:
    shown = console(json_lines=True)
    sent = outgoing("open step coach")
    shown.show(Exchange.of(sent, answer("<speak>Hi.</speak>")), sent)
    shown.show(Exchange.unheard(0.2, "<speak>Sorry, I didn't catch that.</speak>"))
    typed, unheard = (json.loads(line) for line in shown.out.getvalue().splitlines())
    assert typed["request_type"] == "LaunchRequest" and typed["text"] == "Hi."
    assert "heard" not in typed and "confidence" not in typed
    assert unheard["request_type"] is None
    assert (unheard["heard"], unheard["confidence"]) == ("", 0.2)


def test_plain_text_speech_is_escaped_into_ssml_and_resolved_slots_carry_their_id() -> None:
    sent = outgoing("start clamshells")
    slot = next(iter(sent.envelope["request"]["intent"]["slots"].values()))
    plain = {"type": "PlainText", "text": "a<b&c"}
    record = Exchange.of(sent, {"response": {"outputSpeech": plain}})
    assert record.speech == "<speak>a&lt;b&amp;c</speak>"
    assert record.text == "a<b&c"
    (shown_slot,) = record.slots.values()
    resolved = slot["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"]["id"]
    assert shown_slot == {"value": slot["value"], "id": resolved}


@pytest.mark.parametrize(
    ("ssml", "text"),
    [
        ('<speak>Hold.<break time="3s"/>Done.</speak>', "Hold. … Done."),
        ('<speak>Hold.<break time="500ms"/>Done.</speak>', "Hold. Done."),
        ('<speak>Hold.<break time="3s"/><break time="3s"/>Done.</speak>', "Hold. … Done."),
    ],
)
def test_only_long_pauses_show_and_only_once(ssml: str, text: str) -> None:
    assert console_text(ssml) == text


def test_verbose_explains_each_turn_on_stderr() -> None:
    shown = console(verbose=True)
    sent = outgoing("start clamshells")
    shown.show(Exchange.of(sent, answer("<speak>Go.</speak>")), sent)
    shown.show(Exchange.reprompted("<speak>Still there?</speak>"))
    explained, silence = shown.err.getvalue().splitlines()
    assert explained.startswith("  [IntentRequest ") and "clamshell" in explained.lower()
    assert silence == "  [silence: reprompt]"
