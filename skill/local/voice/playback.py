"""Playing a turn through PortAudio (``sounddevice``), the library the microphone uses.

The speaker hands each rendered piece of a turn to a :class:`PlayerFeed`, which writes
it to an output stream from a thread of its own, so the coach starts speaking on the
first segment while the rest renders. Nothing here is Linux-only: PortAudio plays through
WASAPI/MME on Windows, Core Audio on a Mac and ALSA or PulseAudio on Linux. Without an
output device, or without PortAudio, opening the stream raises :class:`NoAudioDevice`
(one line), and the turn still "plays" on the clock, silently, so pauses and countdowns
take their real time. Tests pass their own stream opener (a fake output stream), as they
pass ``ScriptedRoom`` for the microphone.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from skill.local.audio_clock import AudioClock
from skill.local.voice.audio_format import AudioFormat

# Seconds a stopped turn waits for its feed thread to give up.
STOP_TIMEOUT_S = 2.0
# PortAudio's sample formats for the engine's sample widths, in bytes.
SAMPLE_FORMATS = {1: "uint8", 2: "int16", 4: "int32"}


class NoAudioDevice(Exception):
    """No sound can be played here; the message is one line saying why."""


class OutputStream(Protocol):
    """Where a turn's frames go: ``sounddevice.RawOutputStream``, or a fake in tests."""

    def start(self) -> None: ...

    def write(self, frames: bytes) -> Any: ...  # blocks until the frames are buffered

    def stop(self) -> None: ...  # after what was written has played

    def abort(self) -> None: ...  # at once

    def close(self) -> None: ...


OpenOutput = Callable[[AudioFormat], OutputStream]


def open_sound_device(audio_format: AudioFormat) -> OutputStream:
    """The default output device, in the turn's format; :class:`NoAudioDevice` if none."""
    try:
        import sounddevice
    except OSError as missing:  # sounddevice loads the PortAudio library on import
        raise NoAudioDevice(f"PortAudio is not installed ({missing})") from None
    dtype = SAMPLE_FORMATS.get(audio_format.sample_width)
    if dtype is None:
        raise NoAudioDevice(f"{8 * audio_format.sample_width}-bit audio cannot be played")
    try:
        return sounddevice.RawOutputStream(
            samplerate=audio_format.frame_rate, channels=audio_format.channels, dtype=dtype
        )
    except (sounddevice.PortAudioError, ValueError) as error:
        raise NoAudioDevice(f"playback failed ({error})") from None


@dataclass(frozen=True)
class SpeechAudio:
    """What one spoken turn produced.

    ``path`` is this turn's WAV; it stays valid until the next ``speak()`` or ``close()``
    of the same speaker, which keeps a long session from filling the temporary directory.
    """

    path: Path
    duration_s: float
    played: bool
    # Where the turn is silent (SSML pauses), as (start, end) seconds into it: the only
    # moments a listening runner may take the microphone's sound for the user's.
    quiet: tuple[tuple[float, float], ...] = ()


class PlayerFeed:
    """A turn's frames written to an output stream from a thread of its own: writes that
    outrun playback wait in that thread, never in the caller's."""

    def __init__(self, stream: OutputStream) -> None:
        self._stream = stream
        self._pieces: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._finished = threading.Event()
        self._stopping = False
        self.failure: str | None = None  # why playback failed, if it did
        self._thread = threading.Thread(target=self._run, name="player-feed", daemon=True)
        self._thread.start()

    def write(self, frames: bytes) -> None:
        self._pieces.put(frames)

    def close(self) -> None:
        """No more sound: the stream ends when it has played what it has."""
        self._pieces.put(None)

    def stop(self) -> None:
        """Stop at once (barge-in), whatever is still queued."""
        self._stopping = True
        with contextlib.suppress(Exception):
            self._stream.abort()
        self._pieces.put(None)
        self._finished.wait(STOP_TIMEOUT_S)

    def finished(self) -> bool:
        return self._finished.is_set()

    def wait(self) -> None:
        self._finished.wait()

    def _run(self) -> None:
        try:
            self._stream.start()
            for piece in iter(self._pieces.get, None):
                if self._stopping:
                    break
                self._stream.write(piece)
            if not self._stopping:
                self._stream.stop()
        except Exception as error:  # PortAudio's errors: the device went away
            if not self._stopping:
                self.failure = str(error) or type(error).__name__
        finally:
            with contextlib.suppress(Exception):
                self._stream.close()
            self._finished.set()


class Playback:
    """A turn being played: how far it is, whether it is over, and a way to cut it short.

    Without a working output the turn still "plays" on the clock, silently. ``ended``
    hears how the feed ended (its failure, or None), once, whoever notices first: the
    speaker says so when there is no sound.
    """

    def __init__(
        self,
        audio: SpeechAudio,
        clock: AudioClock,
        feed: PlayerFeed | None = None,
        started: float | None = None,
        ended: Callable[[Playback, str | None], None] | None = None,
    ) -> None:
        self.audio = audio
        self.clock = clock
        self.feed = feed
        self.ended = ended
        # When the first sound went to the output (a streamed turn starts before it is
        # wholly rendered), on ``clock``.
        self.started = clock.now() if started is None else started
        self.stopped_at: float | None = None

    def elapsed_s(self) -> float:
        if self.stopped_at is not None:
            return self.stopped_at
        return min(self.clock.now() - self.started, self.audio.duration_s)

    def done(self) -> bool:
        if self.stopped_at is not None:
            return True
        if self.feed is not None and self.feed.finished() and self.feed_ended() is None:
            return True
        return self.clock.now() - self.started >= self.audio.duration_s

    def feed_ended(self) -> str | None:
        """The finished feed's failure (None: it played), told to ``ended``; a failed
        feed leaves the turn to the clock."""
        assert self.feed is not None
        failure = self.feed.failure
        if failure is not None:
            self.feed = None  # no sound after all: the turn plays on the clock
        if self.ended is not None:
            ended, self.ended = self.ended, None
            ended(self, failure)
        return failure

    def stop(self) -> None:
        """Stop now (barge-in): the output is stopped, the position is kept."""
        if self.stopped_at is None:
            self.stopped_at = self.elapsed_s()
        if self.feed is not None:
            self.feed.stop()

    def wait(self) -> None:
        """Until the turn has been heard to its end (or stopped)."""
        if self.feed is not None:
            self.feed.wait()
            if self.feed_ended() is None:
                return
        while not self.done():
            left = self.audio.duration_s - (self.clock.now() - self.started)
            self.clock.sleep(min(0.05, max(left, 0.001)))
