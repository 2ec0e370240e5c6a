"""Playing a turn: the feed that writes it to the output from a thread of its own, a turn
that plays on the clock when there is no sound, and how a missing or failing device is
told (once, in one line). The output is a fake stream, as the microphone is ScriptedRoom."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

from skill.local.voice.audio_format import AudioFormat
from skill.local.voice.playback import (
    NoAudioDevice,
    Playback,
    PlayerFeed,
    SpeechAudio,
    open_sound_device,
)
from skill.local.voice.speaker import Speaker
from tests.support.audio import STEP, FakeOutput, HandClock, needs_engine, wav_duration

FORMAT = AudioFormat(channels=1, sample_width=2, frame_rate=22050)
TWO_SECONDS = SpeechAudio(Path("turn.wav"), duration_s=2.0, played=False)

# --- the feed ---------------------------------------------------------------------------------


def test_a_feed_plays_its_pieces_in_order_then_drains_and_closes() -> None:
    output = FakeOutput()
    feed = PlayerFeed(output(FORMAT))
    for piece in (b"\x01\x00", b"\x02\x00", b"\x03\x00"):
        feed.write(piece)
    feed.close()
    feed.wait()
    (stream,) = output.opened
    assert bytes(stream.frames) == b"\x01\x00\x02\x00\x03\x00"
    assert stream.events == ["start", "stop", "close"]
    assert feed.finished() and feed.failure is None


def test_a_device_that_goes_away_is_the_feeds_failure_and_the_stream_is_closed() -> None:
    output = FakeOutput(fail_after=1)
    feed = PlayerFeed(output(FORMAT))
    feed.write(b"\x01\x00")
    feed.write(b"\x02\x00")
    feed.close()
    feed.wait()
    (stream,) = output.opened
    assert feed.failure == "the audio device went away"
    assert bytes(stream.frames) == b"\x01\x00"
    assert stream.events == ["start", "close"]  # not drained: it failed


def test_a_stopped_feed_aborts_at_once_whatever_is_queued() -> None:
    output = FakeOutput(hold=True)  # every write waits until the stream is aborted
    feed = PlayerFeed(output(FORMAT))
    for _ in range(10):
        feed.write(b"\x00\x00" * 1000)
    feed.stop()
    assert feed.finished() and feed.failure is None
    (stream,) = output.opened
    assert "abort" in stream.events and "stop" not in stream.events
    assert stream.events[-1] == "close"


# --- the turn, on the clock ---------------------------------------------------------------


def test_a_turn_without_sound_plays_on_the_clock() -> None:
    clock = HandClock()
    playback = Playback(TWO_SECONDS, clock)
    assert not playback.done() and playback.elapsed_s() == 0.0
    clock.sleep(1.0)
    assert playback.elapsed_s() == 1.0 and not playback.done()
    playback.wait()  # sleeps on the clock until the turn's end
    assert playback.done()
    assert clock.now() - playback.started == pytest.approx(2.0, abs=0.05)
    clock.sleep(5.0)
    assert playback.elapsed_s() == 2.0  # never past the turn's length


def test_a_stopped_turn_keeps_its_place() -> None:
    clock = HandClock()
    playback = Playback(TWO_SECONDS, clock)
    clock.sleep(0.5)
    playback.stop()
    clock.sleep(1.0)
    assert playback.done() and playback.elapsed_s() == 0.5


def test_a_failed_feed_leaves_the_turn_to_the_clock_and_is_told_once() -> None:
    output = FakeOutput(fail_after=0)
    feed = PlayerFeed(output(FORMAT))
    feed.write(b"\x00\x00")
    feed.close()
    feed.wait()
    told: list[str | None] = []
    clock = HandClock()
    playback = Playback(TWO_SECONDS, clock, feed, ended=lambda _, why: told.append(why))
    assert not playback.done()  # the feed is over, but the turn is not: no sound was heard
    assert playback.feed is None
    clock.sleep(2.0)
    assert playback.done()
    assert told == ["the audio device went away"]


def test_a_turn_that_played_is_done_when_its_feed_is() -> None:
    output = FakeOutput()
    feed = PlayerFeed(output(FORMAT))
    feed.write(b"\x00\x00")
    feed.close()
    told: list[str | None] = []
    playback = Playback(TWO_SECONDS, HandClock(), feed, ended=lambda _, why: told.append(why))
    playback.wait()
    assert playback.done() and told == [None]


def test_a_sample_width_portaudio_cannot_play_is_no_audio_device() -> None:
    with pytest.raises(NoAudioDevice, match="24-bit audio cannot be played"):
        open_sound_device(AudioFormat(channels=1, sample_width=3, frame_rate=22050))


# --- through the speaker ------------------------------------------------------------------


@needs_engine
def test_no_audio_device_is_one_line_and_the_wav_is_still_written(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    run_path = tmp_path / "run.wav"
    output = FakeOutput(missing="no default output device")
    with Speaker(wav_path=run_path, open_output=output) as speaker:
        first = speaker.speak(STEP)
        second = speaker.speak(STEP)
    assert first is not None and second is not None
    assert not first.played and not second.played
    out, err = capfd.readouterr()
    assert out == ""
    assert err == "No audio device: no default output device; continuing without sound.\n"
    assert wav_duration(run_path) == pytest.approx(first.duration_s + second.duration_s)


@needs_engine
def test_a_failing_device_is_noticed_once_and_not_retried(tmp_path: Path) -> None:
    output = FakeOutput(fail_after=0)
    notices = io.StringIO()
    run_path = tmp_path / "run.wav"
    with Speaker(wav_path=run_path, notices=notices, open_output=output) as speaker:
        assert speaker.speak(STEP) is not None
        assert speaker.speak(STEP) is not None
    assert len(output.opened) == 1
    assert notices.getvalue() == (
        "No audio device: playback failed (the audio device went away); continuing without sound.\n"
    )
    assert run_path.exists()


@needs_engine
def test_the_output_gets_the_turns_frames_in_its_format(tmp_path: Path) -> None:
    output = FakeOutput()
    with Speaker(open_output=output, notices=io.StringIO()) as speaker:
        turn = speaker.speak(STEP)
        assert turn is not None
        assert turn.played is True
        with wave.open(str(turn.path), "rb") as reader:
            frames = reader.readframes(reader.getnframes())
            rate, width = reader.getframerate(), reader.getsampwidth()
    (stream,) = output.opened
    assert bytes(stream.frames) == frames
    assert (stream.format.frame_rate, stream.format.sample_width) == (rate, width)
    assert stream.events == ["start", "stop", "close"]  # played to its end, then closed


@needs_engine
def test_muted_with_a_wav_renders_without_playing(tmp_path: Path) -> None:
    output = FakeOutput()
    notices = io.StringIO()
    with Speaker(
        mute=True, wav_path=tmp_path / "run.wav", notices=notices, open_output=output
    ) as speaker:
        turn = speaker.speak(STEP)
    assert turn is not None and turn.played is False
    assert output.opened == []
    assert notices.getvalue() == ""
