"""Where audio comes from: a real microphone (sounddevice on PortAudio), recordings, or a room.

Both yield 16 kHz mono int16 blocks through the same :class:`~.audio.Converter`, so the
recognizer cannot tell them apart. :class:`SimulatedMicrophone` plays recordings as if
someone spoke them (optionally in real time), and can be given more audio while it runs,
which is what barge-in tests need; :class:`ScriptedRoom` is a room whose sounds are set on
a clock shared with the coach's playback, so a test lives minutes of a workout in an
instant. No device, or no PortAudio, raises
:class:`NoMicrophone` with a one-line message: the runner then carries on with typing.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from skill.local.hearing._skill import SystemAudioClock
from skill.local.hearing.audio import SAMPLE_RATE, AudioError, Converter

if TYPE_CHECKING:
    from skill.local.hearing._skill import AudioClock

# Seconds of audio per block handed to the recognizer.
BLOCK_SECONDS = 0.1
_BLOCK = int(SAMPLE_RATE * BLOCK_SECONDS)


class NoMicrophone(RuntimeError):
    """No usable microphone; the message is one line saying why."""


class Microphone:
    """The default input device, as a context manager yielding 16 kHz blocks."""

    def __init__(self, device: int | str | None = None) -> None:
        try:
            import sounddevice
        except OSError as error:  # PortAudio's shared library is missing
            raise NoMicrophone(
                f"no microphone: PortAudio is not installed ({error}); "
                "apt-get install libportaudio2"
            ) from None
        try:
            info = sounddevice.query_devices(device, "input")
        except (ValueError, sounddevice.PortAudioError) as error:
            raise NoMicrophone(f"no microphone found ({error})") from None
        self._sounddevice = sounddevice
        self.device = device
        self.name = str(info["name"])
        self.rate = int(info["default_samplerate"])
        try:
            self._converter = Converter(self.rate, 1)
        except AudioError as error:
            raise NoMicrophone(f"microphone {self.name!r}: {error}") from None
        self._blocks: queue.Queue[bytes] = queue.Queue()
        self._stream = None

    def __enter__(self) -> Microphone:
        def collect(data, _frames, _time, _status) -> None:
            self._blocks.put(bytes(data))

        try:
            self._stream = self._sounddevice.RawInputStream(
                samplerate=self.rate, blocksize=int(self.rate * BLOCK_SECONDS), device=self.device,
                channels=1, dtype="int16", callback=collect,
            )  # fmt: skip
            self._stream.start()
        except self._sounddevice.PortAudioError as error:
            raise NoMicrophone(f"microphone {self.name!r} cannot be opened ({error})") from None
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None

    def drain(self) -> None:
        """Drop what was recorded so far: what it caught while the coach spoke."""
        while True:
            try:
                self._blocks.get_nowait()
            except queue.Empty:
                return

    def blocks(self, seconds: float | None = None) -> Iterator[np.ndarray]:
        """16 kHz blocks as they are recorded, for ``seconds`` (None: until closed)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while self._stream is not None and (deadline is None or time.monotonic() < deadline):
            try:
                data = self._blocks.get(timeout=BLOCK_SECONDS * 5)
            except queue.Empty:
                continue
            yield self._converter.convert(data)


class SimulatedMicrophone:
    """A microphone that hears recordings: 16 kHz int16 samples queued with :meth:`say`.

    ``realtime`` paces the blocks as a real device would; otherwise they come as fast as
    they are read. When the queue runs dry it yields silence until ``seconds`` of audio
    have passed in all (None: stop when the queue is empty).
    """

    def __init__(self, *recordings: np.ndarray, realtime: bool = False) -> None:
        self.realtime = realtime
        self._pending: queue.Queue[np.ndarray] = queue.Queue()
        self._lock = threading.Lock()
        for recording in recordings:
            self.say(recording)

    def say(self, samples: np.ndarray) -> None:
        """Queue audio to be heard next (may be called from another thread)."""
        size = int(SAMPLE_RATE * BLOCK_SECONDS)
        samples = np.asarray(samples, dtype=np.int16)
        with self._lock:
            for start in range(0, len(samples), size):
                self._pending.put(samples[start : start + size])

    def __enter__(self) -> SimulatedMicrophone:
        return self

    def __exit__(self, *_exc) -> None:
        return None

    def drain(self) -> None:
        """Recordings hold nothing of the coach's voice."""

    def close(self) -> None:
        """Nothing to release."""

    def blocks(self, seconds: float | None = None) -> Iterator[np.ndarray]:
        size = int(SAMPLE_RATE * BLOCK_SECONDS)
        heard, started = 0, time.monotonic()
        while seconds is None or heard < seconds * SAMPLE_RATE:
            try:
                block = self._pending.get_nowait()
            except queue.Empty:
                if seconds is None:
                    return
                block = np.zeros(size, dtype=np.int16)
            if self.realtime:
                wait = started + heard / SAMPLE_RATE - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            heard += len(block)
            yield block


@dataclass(frozen=True)
class Sound:
    """Something the room hears at a moment: ``samples`` (16 kHz int16) from ``at`` seconds."""

    at: float
    samples: np.ndarray


class ScriptedRoom:
    """A microphone in a room whose sounds are known in advance, on a shared clock.

    Each block is what the room held at that moment, and taking it moves the clock on by
    the block's length, so a test lives minutes of a workout in a fraction of a second,
    with the coach's playback on the same clock. ``noise`` loops under everything.
    """

    def __init__(
        self,
        sounds: Sequence[Sound],
        clock: AudioClock | None = None,
        *,
        noise: np.ndarray | None = None,
        length_s: float | None = None,
    ) -> None:
        self.sounds = sorted(sounds, key=lambda sound: sound.at)
        self.clock = clock or SystemAudioClock()
        self.noise = noise
        self.length_s = length_s
        self.start = self.clock.now()

    def blocks(self) -> Iterator[np.ndarray]:
        while self.length_s is None or self.clock.now() - self.start < self.length_s:
            yield self._block_at(self.clock.now() - self.start)
            self.clock.sleep(BLOCK_SECONDS)

    def _block_at(self, moment: float) -> np.ndarray:
        first = round(moment * SAMPLE_RATE)
        mixed = np.zeros(_BLOCK, dtype=np.float32)
        if self.noise is not None and len(self.noise):
            positions = (np.arange(_BLOCK) + first) % len(self.noise)
            mixed += self.noise[positions]
        for sound in self.sounds:
            offset = first - round(sound.at * SAMPLE_RATE)
            if offset + _BLOCK <= 0 or offset >= len(sound.samples):
                continue
            lo, hi = max(0, offset), min(len(sound.samples), offset + _BLOCK)
            mixed[lo - offset : hi - offset] += sound.samples[lo:hi]
        return np.clip(np.rint(mixed), -32768, 32767).astype(np.int16)

    def drain(self) -> None:
        """The room's sounds are tied to the clock, not queued."""

    def close(self) -> None:
        """Nothing to release."""
