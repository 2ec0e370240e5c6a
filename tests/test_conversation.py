"""A conversation as a device holds it: silence and its reprompt, leaving, a turn too long,
a skill that gives no answer, and what it asks of the voice and of barge-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from skill.alexa.ssml import estimated_speech_ms
from skill.local.audio_clock import AudioClock
from skill.local.runner.conversation import MAX_UTTERANCE_CHARS, utterance_problem
from skill.local.runner.session import LocalSession
from skill.local.runner.transports import SkillFailed
from skill.local.understanding.choosing import Heard
from skill.local.understanding.nlu import LocalNLU
from skill.local.voice.playback import Playback, SpeechAudio
from tests.support.runner import (
    RecordingSkill,
    conversation_with,
    converse,
    json_turns,
    run,
    says,
)

# --- silence, leaving, and what is not one turn ----------------------------------------------


def test_silence_plays_the_reprompt_then_ends_the_session(coach) -> None:
    recorder, turns = converse(coach, "open step coach", "", "")
    assert turns[1]["request_type"] is None
    assert turns[1]["speech"] == recorder.answers[0]["response"]["reprompt"]["outputSpeech"]["ssml"]
    assert turns[2]["request_type"] == "SessionEndedRequest"
    assert recorder.sent[-1]["request"]["reason"] == "EXCEEDED_MAX_REPROMPTS"


def test_a_second_silence_ends_with_exceeded_max_reprompts(coach) -> None:
    skill = RecordingSkill(coach)
    conversation = conversation_with(skill)
    for line in ("open step coach", "", ""):
        conversation.say(line)
    (ended,) = skill.ended()
    assert ended["reason"] == "EXCEEDED_MAX_REPROMPTS"


def test_quit_is_not_sent_to_the_skill(coach) -> None:
    recorder, turns = converse(coach, "open step coach", "quit", "next")
    assert [envelope["request"]["type"] for envelope in recorder.sent] == [
        "LaunchRequest",
        "SessionEndedRequest",
    ]
    assert turns[-1]["utterance"] == "quit"


def test_a_typed_line_too_long_is_not_sent(coach) -> None:
    skill = RecordingSkill(coach)
    conversation = conversation_with(skill)
    assert conversation.say("next " * 1_000)
    assert skill.sent == []
    assert "not sent to the skill" in conversation.console.err.getvalue()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x" * MAX_UTTERANCE_CHARS, None),
        ("x" * (MAX_UTTERANCE_CHARS + 1), "one turn holds at most 1,024"),
        ("next \ud800", "lone surrogate"),
    ],
)
def test_what_cannot_be_one_turn_says_why(text: str, problem: str | None) -> None:
    found = utterance_problem(text)
    assert found is None if problem is None else problem in (found or "")


def test_a_skill_that_gives_no_answer_hears_error(coach) -> None:
    skill = RecordingSkill(coach, fail_on="AMAZON.NextIntent")
    conversation = conversation_with(skill)
    conversation.say("start russian push ups")
    with pytest.raises(SkillFailed):
        conversation.say("next")
    (ended,) = skill.ended()
    assert ended["reason"] == "ERROR"
    assert ended["error"] == {"type": "ENDPOINT_TIMEOUT", "message": "no answer within 10 s"}
    assert not conversation.session.is_open


# --- the voice -------------------------------------------------------------------------------


class BrokenSpeaker:
    def __init__(self) -> None:
        self.calls = 0

    def speak(self, ssml: str) -> SpeechAudio | None:
        self.calls += 1
        raise RuntimeError("speech engine changed format")

    def stream(self, ssml: str, clock: AudioClock | None = None) -> Playback | None:
        raise AssertionError("a conversation without barge-in never streams")


class FakeVoice:
    """Says every answer at once; ``played`` is whether a person could hear it."""

    def __init__(self, played: bool) -> None:
        self.played = played
        self.spoken: list[str] = []

    def speak(self, ssml: str) -> SpeechAudio | None:
        self.spoken.append(ssml)
        return SpeechAudio(Path("turn.wav"), estimated_speech_ms(ssml) / 1000, self.played)

    def stream(self, ssml: str, clock: AudioClock | None = None) -> Playback | None:
        raise AssertionError("a conversation without barge-in never streams")


def test_a_failing_speech_engine_leaves_the_coach_talking_in_text(coach) -> None:
    speaker = BrokenSpeaker()
    conversation = conversation_with(RecordingSkill(coach), speaker, json_lines=False)
    for utterance in ("open step coach", "start planks", "next"):
        assert conversation.say(utterance)
    assert speaker.calls == 1
    assert conversation.console.err.getvalue().count("Speech failed") == 1
    assert conversation.console.out.getvalue().count("coach> ") == 3


@pytest.mark.parametrize(
    "voice",
    [None, FakeVoice(played=False), FakeVoice(played=True)],
    ids=["no voice", "not played", "played"],
)
def test_an_answer_not_heard_moves_the_session_clock_on_by_its_length(
    coach, voice: FakeVoice | None
) -> None:
    """Played, the answer took its time on the real clock; muted, or with no sound device,
    the session's clock runs ahead by what it would have taken."""
    start = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
    skill = RecordingSkill(coach)
    session = LocalSession(LocalNLU.for_locale("en-US"), clock=lambda: start)
    conversation = conversation_with(skill, voice, session=session)
    conversation.say("open step coach")
    ssml = skill.answers[0]["response"]["outputSpeech"]["ssml"]
    heard = voice is not None and voice.played
    ahead = timedelta(0) if heard else timedelta(milliseconds=estimated_speech_ms(ssml))
    assert conversation.session.now() - start == ahead
    if voice is not None:
        assert voice.spoken == [ssml]


def test_an_answer_taken_in_unplayed_counts_as_heard_to_its_end(capsys) -> None:
    """A muted or scripted run stamps each request as though the last answer had been heard
    through, as a person listening to an Echo would: a question after the counted bridges
    finds the set done, and "resume" does not count 24 bridges again."""
    argv = ["--mute", "--json", "--new-user"]
    argv += says("protect my knees", "next", "next", "how many reps is that", "resume")
    status, out, _ = run(capsys, *argv)
    assert status == 0
    resumed = json_turns(out)[-1]["speech"]
    assert "you've done its set" in resumed and "Set 1 of 2" not in resumed


# --- barge-in --------------------------------------------------------------------------------


class CutShort:
    """A listener that hears "pause" in the first answer it plays."""

    def __init__(self) -> None:
        self.played: list[tuple[object, str]] = []

    def speak_listening(self, speaker: object, ssml: str) -> Heard | None:
        self.played.append((speaker, ssml))
        return Heard("pause", 0.9) if len(self.played) == 1 else None


def test_with_a_listener_answers_play_through_it_and_what_cut_one_short_waits(coach) -> None:
    voice = FakeVoice(played=True)
    skill = RecordingSkill(coach)
    conversation = conversation_with(skill, voice)
    listener = CutShort()
    conversation.listener = listener
    conversation.say("open step coach")
    assert conversation.interrupted == Heard("pause", 0.9)
    assert voice.spoken == []  # the listener plays it, through the conversation's voice
    ssml = skill.answers[0]["response"]["outputSpeech"]["ssml"]
    assert listener.played == [(voice, ssml)]
    conversation.say("start planks")
    assert conversation.interrupted is None


def test_a_switch_waiting_for_a_yes_makes_the_context_a_question(coach) -> None:
    conversation = conversation_with(RecordingSkill(coach))
    conversation.say("start planks")
    assert conversation.context().in_workout and not conversation.context().question
    conversation.pending_switch = Heard("start clamshells", 0.6, sure=False)
    assert conversation.context().question
