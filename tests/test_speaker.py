"""The local speaker, against the real espeak-ng engine (CI installs espeak-ng): SSML to
one turn of sound, its pauses and earcons, the voice and rate, streaming, and how it
degrades without an engine. The engine itself is tests/test_espeak.py; the output,
tests/test_playback.py.

Tests that need the engine are skipped, with the reason shown by ``-ra``, on a machine
without libespeak-ng; the degraded paths are tested everywhere by faking the engine.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
import pyttsx3

from skill.local.voice import espeak
from skill.local.voice.speaker import NO_ENGINE_NOTICE, Speaker, SpeechAudio
from tests.support.audio import (
    HAS_ENGINE,
    STEP,
    FakeOutput,
    HandClock,
    needs_engine,
    wav_duration,
)


def wav_frames(path: Path) -> int:
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes()


@pytest.fixture
def quiet_speaker(tmp_path: Path) -> Iterator[Speaker]:
    """A speaker that renders and never plays: the tests must not make noise."""
    with Speaker(mute=True, wav_path=tmp_path / "run.wav", notices=io.StringIO()) as speaker:
        yield speaker


# --- Rendering with the real engine ---------------------------------------------------


@needs_engine
def test_a_step_renders_to_16_bit_mono_22050_hz(quiet_speaker: Speaker) -> None:
    turn = quiet_speaker.speak(STEP)
    assert turn is not None
    with wave.open(str(turn.path), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (
            1,
            2,
            22050,
        )
    assert 0.5 < turn.duration_s < 15
    assert turn.duration_s == pytest.approx(wav_duration(turn.path))
    assert turn.played is False


@needs_engine
def test_a_five_second_break_adds_five_seconds(quiet_speaker: Speaker) -> None:
    with_break = quiet_speaker.speak('<speak>Ready <break time="5s"/> go</speak>')
    assert with_break is not None
    with_break_s = wav_duration(with_break.path)  # the next turn replaces this file
    without = quiet_speaker.speak("<speak>Ready go</speak>")
    assert without is not None
    # The 5 s of silence plus espeak's own end-of-utterance pause after "Ready".
    assert 5.0 <= with_break_s - wav_duration(without.path) < 5.6


@needs_engine
def test_a_break_after_a_sentence_replaces_about_a_sentence_pause(quiet_speaker: Speaker) -> None:
    """Each segment ends in espeak's ~0.25 s end pause, close to its ~0.28 s sentence pause."""
    with_break = quiet_speaker.speak('<speak>Hold it.<break time="5s"/>Done.</speak>')
    without = quiet_speaker.speak("<speak>Hold it. Done.</speak>")
    assert with_break is not None and without is not None
    assert with_break.duration_s - without.duration_s == pytest.approx(5, abs=0.15)


@needs_engine
def test_a_turn_of_only_silence_is_exactly_that_long(quiet_speaker: Speaker) -> None:
    turn = quiet_speaker.speak('<speak><break time="2s"/></speak>')
    assert turn is not None
    assert turn.duration_s == pytest.approx(2.0, abs=0.001)


@needs_engine
def test_each_turn_has_its_own_file_with_only_its_own_speech(quiet_speaker: Speaker) -> None:
    """save_to_file's target is sticky in pyttsx3; a turn must not inherit another's audio."""
    short = quiet_speaker.speak("<speak>Go.</speak>")
    assert short is not None
    short_s = wav_duration(short.path)
    long = quiet_speaker.speak(
        "<speak>Lower yourself slowly until your chest almost touches the floor, "
        "then push back up.</speak>"
    )
    assert long is not None
    assert long.path != short.path
    assert wav_duration(long.path) > short_s + 2
    again = quiet_speaker.speak("<speak>Go.</speak>")
    assert again is not None
    # espeak's trailing silence varies by a few tens of milliseconds between renders.
    assert wav_duration(again.path) == pytest.approx(short_s, abs=0.1)


@needs_engine
def test_the_whole_run_wav_is_the_turns_in_order(tmp_path: Path) -> None:
    run_path = tmp_path / "run" / "session.wav"
    turns: list[SpeechAudio] = []
    frames: list[int] = []
    with Speaker(mute=True, wav_path=run_path, notices=io.StringIO()) as speaker:
        for ssml in [STEP, '<speak>Rest.<break time="1s"/></speak>', "<speak>Done.</speak>"]:
            turn = speaker.speak(ssml)
            assert turn is not None
            turns.append(turn)
            frames.append(wav_frames(turn.path))
    assert wav_frames(run_path) == sum(frames)
    assert wav_duration(run_path) == pytest.approx(sum(turn.duration_s for turn in turns))


@needs_engine
def test_audio_saved_never_reaches_stdout(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with Speaker(wav_path=tmp_path / "run.wav", open_output=FakeOutput(missing="none")) as speaker:
        speaker.speak(STEP)
        speaker.speak('<speak>One.<break time="1s"/>Two.</speak>')
    print("json line")
    out, err = capfd.readouterr()
    assert out == "json line\n"
    assert "Audio saved" not in err


@needs_engine
def test_a_faster_rate_is_shorter_and_every_speaker_keeps_its_own(tmp_path: Path) -> None:
    """espeak applies settings asynchronously; a change still queued would be cancelled."""
    slow = Speaker(mute=True, rate=120, wav_path=tmp_path / "slow.wav")
    fast = Speaker(mute=True, rate=300, wav_path=tmp_path / "fast.wav")
    with slow, fast:
        durations = {
            speaker.rate: [speaker.speak(STEP).duration_s for _ in range(3)]  # type: ignore[union-attr]
            for speaker in (slow, fast, slow, fast)
        }
    assert max(durations[300]) * 1.8 < min(durations[120])
    assert max(durations[120]) - min(durations[120]) < 0.1
    assert max(durations[300]) - min(durations[300]) < 0.1


def test_rates_are_clamped_to_what_espeak_can_do() -> None:
    assert Speaker(rate=10).rate == espeak.MIN_RATE_WPM
    assert Speaker(rate=2000).rate == espeak.MAX_RATE_WPM
    assert Speaker(rate=180).rate == 180
    assert Speaker().rate is None


@needs_engine
def test_a_voice_can_be_chosen_by_id_name_or_locale(tmp_path: Path) -> None:
    for voice in ("gmw/en-us", "English (America)", "en-US"):
        notices = io.StringIO()
        with Speaker(mute=True, voice=voice, wav_path=tmp_path / "v.wav", notices=notices) as s:
            assert s.speak(STEP) is not None
            assert s._voice_id == "gmw/en-us"
        assert notices.getvalue() == ""


@needs_engine
def test_an_unknown_voice_falls_back_with_a_notice(tmp_path: Path) -> None:
    notices = io.StringIO()
    with Speaker(
        mute=True, voice="zz-not-a-voice", wav_path=tmp_path / "v.wav", notices=notices
    ) as s:
        assert s.speak(STEP) is not None
        assert s.speak(STEP) is not None
    assert notices.getvalue() == "Voice 'zz-not-a-voice' not found; using the default voice.\n"


# --- Degrading without an engine -----------------------------------------------------------


def test_muted_without_a_wav_never_starts_the_engine(
    no_engine: list[str], capfd: pytest.CaptureFixture[str]
) -> None:
    with Speaker(mute=True) as speaker:
        assert speaker.speak(STEP) is None
    assert no_engine == []
    assert capfd.readouterr() == ("", "")


def test_without_an_engine_speak_returns_none_and_says_so_once_on_stderr(
    no_engine: list[str], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    run_path = tmp_path / "run.wav"
    with Speaker(wav_path=run_path) as speaker:
        assert speaker.speak(STEP) is None
        assert speaker.speak(STEP) is None
        assert speaker.engine_available is False
    assert no_engine == ["init"]  # tried once, not per turn
    out, err = capfd.readouterr()
    assert out == ""
    assert err == NO_ENGINE_NOTICE + "\n"
    assert not run_path.exists()


class SilentEngine:
    """An engine that accepts everything and writes nothing, as a broken driver might."""

    def getProperty(self, name: str) -> object:
        return [] if name == "voices" else None

    def setProperty(self, name: str, value: object) -> None:
        pass

    def save_to_file(self, text: str, filename: str) -> None:
        pass

    def runAndWait(self) -> None:
        pass

    def connect(self, topic: str, callback: object) -> dict[str, object]:
        return {"topic": topic, "cb": callback}

    def disconnect(self, token: dict[str, object]) -> None:
        pass


def test_an_engine_that_writes_nothing_gives_no_audio_and_a_notice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pyttsx3, "init", lambda *args, **kwargs: SilentEngine())
    notices = io.StringIO()
    with Speaker(mute=True, wav_path=tmp_path / "run.wav", notices=notices) as speaker:
        assert speaker.engine_available
        assert speaker.speak(STEP) is None
        assert speaker.speak('<speak><break time="1s"/></speak>') is None
    assert notices.getvalue().count("produced no audio") == 1


# --- Lifecycle ---------------------------------------------------------------------------


@needs_engine
def test_close_removes_turn_files_and_a_closed_speaker_refuses_to_speak(tmp_path: Path) -> None:
    speaker = Speaker(mute=True, wav_path=tmp_path / "run.wav")
    turn = speaker.speak(STEP)
    assert turn is not None and turn.path.exists()
    speaker.close()
    speaker.close()  # idempotent
    assert not turn.path.exists()
    assert wav_duration(tmp_path / "run.wav") == pytest.approx(turn.duration_s)
    with pytest.raises(RuntimeError, match="closed"):
        speaker.speak(STEP)
    with pytest.raises(RuntimeError, match="closed"):
        speaker.render(STEP)


@needs_engine
def test_only_the_latest_turn_file_is_kept(quiet_speaker: Speaker) -> None:
    first = quiet_speaker.speak(STEP)
    second = quiet_speaker.speak(STEP)
    assert first is not None and second is not None
    assert not first.path.exists()
    assert second.path.exists()


# --- Streaming: the coach starts speaking before the whole turn is rendered -------------

PACED = (
    "<speak>Hold the plank.<break time='2s'/>Ten seconds.<break time='1s'/>"
    "<audio src='soundbank://soundlibrary/alarms/beeps_and_bloops/bell_02'/>Relax.</speak>"
)


class RecordingSpeaker(Speaker):
    """Notes, in order, each segment it renders and when its player starts."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(notices=io.StringIO(), **kwargs)
        self.events: list[str] = []

    def _render_text(self, engine, text, work_dir):
        frames = super()._render_text(engine, text, work_dir)
        self.events.append(f"rendered {text.strip()}" if text.strip() else "format")
        return frames

    def _start_feed(self, audio_format):
        self.events.append("player started")
        return super()._start_feed(audio_format)


@needs_engine
def test_a_streamed_turn_starts_playing_after_its_first_segment(tmp_path: Path) -> None:
    output = FakeOutput()
    with RecordingSpeaker(open_output=output) as speaker:
        playback = speaker.stream(PACED)
        assert playback is not None
        playback.wait()
        with wave.open(str(playback.audio.path), "rb") as turn:
            frames = turn.readframes(turn.getnframes())
    assert speaker.events[:3] == [
        "rendered Hold the plank.",
        "player started",
        "rendered Ten seconds.",
    ]
    assert speaker.events[-1] == "rendered Relax."
    # The output got exactly the turn's audio, bell and pauses included.
    (stream,) = output.opened
    assert bytes(stream.frames) == frames
    assert playback.audio.quiet[0][1] - playback.audio.quiet[0][0] == pytest.approx(2.0, abs=0.01)


@needs_engine
def test_a_streamed_turn_without_a_sound_card_plays_on_the_clock(tmp_path: Path) -> None:
    clock = HandClock(100.0)
    output = FakeOutput(fail_after=0)
    with RecordingSpeaker(open_output=output) as speaker:
        playback = speaker.stream(PACED, clock)
        assert playback is not None
        assert playback.started == 100.0
        # A hands-free turn polls done() between microphone blocks: the device failed at
        # once, the turn still takes its time, and the speaker says why there is no sound.
        while not playback.done():
            clock.sleep(0.05)
        assert clock.time - 100.0 == pytest.approx(playback.audio.duration_s, abs=0.06)
        notices = speaker._notices.getvalue()  # type: ignore[union-attr]
        typed = speaker.speak(STEP)  # said once per speaker, typed turns included
        assert typed is not None and not typed.played
        assert speaker._notices.getvalue() == notices  # type: ignore[union-attr]
    assert notices == (
        "No audio device: playback failed (the audio device went away); continuing without sound.\n"
    )


@needs_engine
def test_a_muted_streamed_turn_starts_no_player(tmp_path: Path) -> None:
    output = FakeOutput()
    with RecordingSpeaker(mute=True, open_output=output) as speaker:
        playback = speaker.stream(STEP)
    assert playback is not None and playback.feed is None and output.opened == []
    assert "player started" not in speaker.events


def test_a_stopped_stream_does_not_block_the_caller(tmp_path: Path) -> None:
    # A device that plays nothing until it is stopped: the feed thread must give up
    # quietly, whatever is still queued, and the stream is aborted, not drained.
    if not HAS_ENGINE:
        pytest.skip("espeak-ng is not installed")
    output = FakeOutput(hold=True)
    with RecordingSpeaker(open_output=output) as speaker:
        playback = speaker.stream(PACED * 1)
        assert playback is not None and playback.feed is not None
        playback.stop()
        assert playback.done() and playback.feed.finished()
    (stream,) = output.opened
    assert "abort" in stream.events and "stop" not in stream.events
    assert stream.events[-1] == "close"
