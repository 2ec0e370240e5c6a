"""Hands-free turn taking, tested without a microphone: a scripted room on a hand-moved clock.

The room holds speech synthesized here (flite voices, built from recorded speech); the
coach's answers are rendered by the real speaker and "played" on the same clock, so a
thirty-second hold passes in a fraction of a second and every timing is exact.
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from skill.coach.speech import SpeechRenderer
from skill.coach.step_coach import StepCoach
from skill.local.hearing import synthesis
from skill.local.hearing.audio import SAMPLE_RATE
from skill.local.hearing.microphone import ScriptedRoom, Sound
from skill.local.runner.console import Console
from skill.local.runner.conversation import Conversation
from skill.local.runner.listening import DIDNT_CATCH, Listener, hands_free, take_turn
from skill.local.runner.session import LocalSession
from skill.local.understanding.choosing import Heard
from skill.local.understanding.nlu import LocalNLU
from skill.local.understanding.speech_input import SpeechInput
from skill.local.voice.speaker import Playback, Speaker, SpeechAudio
from tests.support.audio import HandClock


class CoachInProcess:
    """The skill in process, its speech variants drawn from a seeded generator: two of
    them told the same things say the same words, so a test can know in advance the very
    answer the coach will play (and echo it back into the room)."""

    def __init__(self, seed: int = 7) -> None:
        renderer = SpeechRenderer(rng=random.Random(seed))
        self.coach = StepCoach(persistence_adapter=None, renderer=renderer)
        self.sent: list[dict] = []

    def send(self, envelope):
        self.sent.append(envelope)
        return self.coach.handle(envelope)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def recognizer() -> SpeechInput:
    return SpeechInput.for_locale("en-US")


@pytest.fixture(scope="module")
def nlu() -> LocalNLU:
    return LocalNLU.for_locale("en-US")


class RepeatableSpeaker(Speaker):
    """Renders each answer once: espeak's timing varies by a few ms between renders of the
    same text, and a test that plays the coach's voice back into the room needs the very
    audio the coach plays."""

    def __init__(self, folder: Path) -> None:
        super().__init__(mute=True)  # renders the coach's voice, plays it on the clock
        self.folder = folder  # keeps each answer's WAV (the speaker reuses its own files)
        self.rendered: dict = {}

    def render(self, ssml, on_frames=None):
        if ssml not in self.rendered:
            audio = super().render(ssml, on_frames)
            if audio is not None:
                kept = self.folder / f"answer-{len(self.rendered)}.wav"
                shutil.copyfile(audio.path, kept)
                audio = dataclasses.replace(audio, path=kept)
            self.rendered[ssml] = audio
        return self.rendered[ssml]


@pytest.fixture(scope="module")
def speaker(tmp_path_factory):
    with RepeatableSpeaker(tmp_path_factory.mktemp("answers")) as speaker:
        yield speaker


@pytest.fixture(scope="module")
def said() -> dict[str, np.ndarray]:
    return {text: synthesis.flite(text) for text in ("pause", "open step coach")}


def conversation_with(skill, nlu, speaker) -> tuple[Conversation, io.StringIO]:
    out = io.StringIO()
    console = Console(json_lines=True, echo_user=False, out=out, err=io.StringIO())
    return Conversation(LocalSession(nlu), skill, speaker, console), out


def records(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def hold_step_ssml(nlu) -> str:
    """The forearm plank's thirty-second hold, as the skill speaks it."""
    skill = CoachInProcess()
    conversation, out = conversation_with(skill, nlu, None)
    conversation.say("start forearm plank")
    conversation.say("next")
    return records(out)[-1]["speech"]


def test_pause_said_in_a_hold_stops_the_coach_and_keeps_the_place(recognizer, nlu, speaker, said):
    clock = HandClock()
    skill = CoachInProcess()
    conversation, out = conversation_with(skill, nlu, speaker)
    conversation.say("start forearm plank")  # typed: nothing plays, the clock stands still

    audio = speaker.render(hold_step_ssml(nlu))
    longest = max(audio.quiet, key=lambda window: window[1] - window[0])
    assert longest[1] - longest[0] >= 5  # the hold is silence the person can speak into
    spoken_at = longest[0] + 1.0
    room = ScriptedRoom([Sound(spoken_at, said["pause"])], clock)
    conversation.listener = Listener(recognizer, room, clock=clock)

    assert take_turn(conversation, Heard("next", 0.99))

    playback = conversation.listener.cut_short
    assert playback is not None, "the hold played on to its end"
    said_until = spoken_at + len(said["pause"]) / SAMPLE_RATE
    assert said_until < playback.stopped_at <= said_until + 1.0  # within about a second
    assert playback.stopped_at < audio.duration_s - 5
    shown = records(out)
    assert [(r["intent"], r["heard"]) for r in shown[-2:]] == [
        ("AMAZON.NextIntent", "next"),
        ("AMAZON.PauseIntent", "pause"),
    ]
    assert "paused" in shown[-1]["text"].lower()
    workout = conversation.session.attributes["workout"]
    assert (workout["id"], workout["step"], workout["paused"]) == ("forearm_plank", 1, True)


def test_the_coach_does_not_take_its_own_voice_for_a_command(recognizer, nlu, speaker):
    """The room echoes the coach's answer back at it, loud: nothing is taken as the user's."""
    clock = HandClock()
    skill = CoachInProcess()
    conversation, out = conversation_with(skill, nlu, speaker)
    conversation.say("start forearm plank")
    ssml = hold_step_ssml(nlu)
    audio = speaker.render(ssml)
    played = synthesis.read_wav(audio.path).astype(np.int32)
    echo = np.clip(played * 2, -32768, 32767).astype(np.int16)  # the speaker is loud
    room = ScriptedRoom([Sound(0.0, echo)], clock)
    conversation.listener = Listener(recognizer, room, clock=clock)

    assert take_turn(conversation, Heard("next", 0.99))

    assert conversation.listener.cut_short is None
    assert conversation.listener.last_playback.stopped_at is None  # played to its end
    assert [r["intent"] for r in records(out)] == ["StartWorkoutIntent", "AMAZON.NextIntent"]
    assert len(skill.sent) == 2


def test_silence_plays_the_reprompt_then_ends_the_session(recognizer, nlu, speaker, said):
    clock = HandClock()
    skill = CoachInProcess()
    conversation, out = conversation_with(skill, nlu, speaker)
    room = ScriptedRoom([Sound(0.5, said["open step coach"])], clock, length_s=60.0)
    listener = Listener(recognizer, room, clock=clock)

    hands_free(conversation, listener, conversation.console)

    shown = records(out)
    assert shown[0]["request_type"] == "LaunchRequest" and shown[0]["heard"] == "open step coach"
    assert shown[1]["request_type"] is None and shown[1]["heard"] == ""  # the reprompt
    assert shown[1]["text"] == shown[0]["reprompt_text"]
    ended = skill.sent[-1]["request"]
    assert (ended["type"], ended["reason"]) == ("SessionEndedRequest", "EXCEEDED_MAX_REPROMPTS")
    assert len(shown) == 3 and len(skill.sent) == 2


def test_speech_not_understood_is_apologised_for_and_sends_nothing(nlu, speaker) -> None:
    skill = CoachInProcess()
    conversation, out = conversation_with(skill, nlu, None)
    conversation.say("open step coach")

    assert take_turn(conversation, Heard("", 0.12, hypothesis="next my knee"))

    [*_, apology] = records(out)
    assert apology["intent"] is None and apology["request_type"] is None
    assert (apology["heard"], apology["confidence"]) == ("", 0.12)
    assert apology["speech"] == DIDNT_CATCH
    assert len(skill.sent) == 1  # the launch only
    assert conversation.session.is_open  # the question still stands


def _unsure(nlu, text: str) -> Heard:
    """What understanding hands over for a consequential command it is not sure of."""
    return Heard("", 0.9, text, understanding=nlu.understand(text), sure=False)


def _sure(nlu, text: str) -> Heard:
    return Heard(text, 1.0, text, understanding=nlu.understand(text))


@pytest.mark.parametrize(("answer", "switched"), [("yes", True), ("no", False)])
def test_a_new_workout_heard_unsurely_mid_workout_is_asked_about(nlu, answer, switched):
    skill = CoachInProcess()
    conversation, out = conversation_with(skill, nlu, None)
    conversation.say("start russian push ups")
    assert take_turn(conversation, _unsure(nlu, "start planks"))
    assert len(skill.sent) == 1  # nothing sent: asked first
    assert "Did you want to switch to forearm planks?" in records(out)[-1]["speech"]
    assert conversation.context().question
    assert take_turn(conversation, _sure(nlu, answer))
    if switched:
        request = skill.sent[-1]["request"]
        assert request["intent"]["name"] == "StartWorkoutIntent"
        assert request["intent"]["slots"]["exercise"]["value"] == "planks"
    else:
        assert len(skill.sent) == 1
        assert records(out)[-1]["speech"] == "<speak>Okay, carrying on.</speak>"
    assert conversation.pending_switch is None


def test_an_unsure_stop_is_not_acted_on(nlu) -> None:
    skill = CoachInProcess()
    conversation, out = conversation_with(skill, nlu, None)
    conversation.say("start russian push ups")
    assert take_turn(conversation, _unsure(nlu, "stop"))
    assert len(skill.sent) == 1 and conversation.session.is_open
    assert records(out)[-1]["speech"] == DIDNT_CATCH


def test_the_room_mixes_its_sounds_on_the_clock() -> None:
    clock = HandClock()
    tone = (np.sin(np.arange(SAMPLE_RATE) * 0.2) * 1000).astype(np.int16)
    room = ScriptedRoom([Sound(0.25, tone)], clock, length_s=1.5)
    heard = np.concatenate(list(room.blocks()))
    assert len(heard) == int(1.5 * SAMPLE_RATE)
    start = int(0.25 * SAMPLE_RATE)
    assert not heard[:start].any()
    assert np.array_equal(heard[start : start + SAMPLE_RATE], tone)
    assert not heard[start + SAMPLE_RATE :].any()
    assert clock.now() == pytest.approx(1001.5)


def test_only_blocks_wholly_inside_a_pause_reach_the_recogniser(recognizer, nlu, tmp_path):
    """A block straddling a pause's edge would carry the onset of the coach's next words."""
    clock = HandClock()
    tone = np.full(SAMPLE_RATE * 4, 1000, dtype=np.int16)  # the room: loud all along
    room = ScriptedRoom([Sound(0.0, tone)], clock)
    audio = SpeechAudio(tmp_path / "turn.wav", duration_s=3.0, played=False)
    playback = Playback(audio, clock)
    listener = Listener(recognizer, room, clock=clock)
    passed = [
        (round(playback.elapsed_s(), 2), bool(block.any()))
        for block in listener._during(playback, [(1.0, 2.0)])
    ]
    heard = [moment for moment, loud in passed if loud]
    assert heard and min(heard) >= 1.1 and max(heard) <= 1.9  # a block's length inside
    assert all(not loud for moment, loud in passed if moment < 1.0 or moment > 2.0)
