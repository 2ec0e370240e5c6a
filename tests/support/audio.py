"""The voice's tests' tools: a fake output stream (as ``ScriptedRoom`` is a fake
microphone: what the speaker played), whether the real engine is here, a step to say."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

import pytest

from skill.local.voice.audio_format import AudioFormat
from skill.local.voice.espeak import list_voices
from skill.local.voice.playback import NoAudioDevice

# Whether espeak-ng can be driven here; the tests that need it say so with needs_engine.
HAS_ENGINE = bool(list_voices())
needs_engine = pytest.mark.skipif(not HAS_ENGINE, reason="espeak-ng is not installed")

STEP = "<speak>Step one. Start in a high plank, hands under your shoulders.</speak>"


class HandClock:
    """Time that passes only when something waits (an AudioClock for tests)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.time += max(0.0, seconds)


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes() / reader.getframerate()


class FakeOutput:
    """Opens fake output streams for a speaker (``Speaker(open_output=FakeOutput())``).

    ``missing`` makes opening fail as a machine without a sound device does; ``fail_after``
    makes the stream fail after that many writes, as a device that goes away; ``hold``
    keeps every write waiting until :meth:`release` (a device that plays slowly).
    """

    def __init__(
        self, *, missing: str | None = None, fail_after: int | None = None, hold: bool = False
    ) -> None:
        self.missing = missing
        self.fail_after = fail_after
        self.opened: list[FakeStream] = []
        self._released = threading.Event()
        if not hold:
            self._released.set()

    def __call__(self, audio_format: AudioFormat) -> FakeStream:
        if self.missing is not None:
            raise NoAudioDevice(self.missing)
        stream = FakeStream(audio_format, self)
        self.opened.append(stream)
        return stream

    def release(self) -> None:
        self._released.set()


class FakeStream:
    """One turn's output stream: the frames written, and how it was ended."""

    def __init__(self, audio_format: AudioFormat, output: FakeOutput) -> None:
        self.format = audio_format
        self.output = output
        self.frames = bytearray()
        self.writes = 0
        self.events: list[str] = []

    def start(self) -> None:
        self.events.append("start")

    def write(self, frames: bytes) -> None:
        self.output._released.wait()
        if self.output.fail_after is not None and self.writes >= self.output.fail_after:
            raise OSError("the audio device went away")
        self.writes += 1
        self.frames += frames

    def stop(self) -> None:
        self.events.append("stop")

    def abort(self) -> None:
        self.events.append("abort")
        self.output.release()

    def close(self) -> None:
        self.events.append("close")
