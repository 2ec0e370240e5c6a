"""A fake output stream, as ``ScriptedRoom`` is a fake microphone: what the speaker played."""

from __future__ import annotations

import threading

from skill.local.voice.audio_format import AudioFormat
from skill.local.voice.playback import NoAudioDevice


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
