"""The clock that playback and listening share: monotonic seconds, and sleeping on them.

Its own module so that hearing (the microphone) and the voice (the speaker) can both use it
without importing each other; tests pass one they move by hand.
"""

from __future__ import annotations

import time
from typing import Protocol


class AudioClock(Protocol):
    """Time as playback and listening share it."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemAudioClock:
    """The process's monotonic clock."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))
