"""Where speech starts and ends in a stream: voice activity, relative to the room.

pocketsphinx's Endpointer asks its VAD whether each 30 ms frame is speech, and in a room
with a TV or people talking every frame is: the person's command never ends, and it is
heard glued to the babble. So a frame counts as speech here only when the VAD says so
*and* it is louder than the room by :data:`LOUDER_THAN_ROOM_DB`, the room being a low
percentile of recent frame energies (it follows a TV switched on within seconds, but a
person speaking for a few seconds does not raise it). Start and end are decided, as
pocketsphinx's Endpointer does, by the share of speech frames in a
:data:`WINDOW_SECONDS` window; when the room grew louder during the utterance (talkers
who began just before the command), its start is judged again at its end
(:meth:`Endpointer.confirm_start`). How much of the room noise suppression removed
(:func:`removed_db`) tells a room of talkers from steady noise.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pocketsphinx

from skill.local.hearing.audio import SAMPLE_RATE

# Seconds per VAD frame (pocketsphinx's VAD takes 10, 20 or 30 ms).
FRAME_SECONDS = 0.03
# Decision windows in seconds: speech starts when START_RATIO of the last WINDOW_SECONDS
# of frames are speech (half, so that a short "help" or "yes" counts), and ends when
# END_RATIO of the last END_WINDOW_SECONDS are not. The end window is longer than the
# gap between two sentences of one speaker (espeak-ng's is 0.39 s of frames the VAD
# calls silence), so the coach's "Paused. Say resume ..." is one long utterance, not a
# "pause" and a remark. Every answer waits this long: longer would make it sluggish.
WINDOW_SECONDS = 0.3
END_WINDOW_SECONDS = 0.45
START_RATIO = 0.5
END_RATIO = 0.9
# pocketsphinx's VAD aggressiveness (0-3): 3 cuts off the ends of words ("pause" as "is").
VAD_MODE = 2
# A speech frame must be this much louder than the room, in dB.
LOUDER_THAN_ROOM_DB = 6.0
# The room's level: this percentile of frame energies over the last ROOM_SECONDS.
ROOM_PERCENTILE = 20
ROOM_SECONDS = 4.0
# The room must have grown this much louder during an utterance, in dB, for its start to
# be judged again (Endpointer.confirm_start). Talkers starting after silence raise it by
# 40 dB; a long command in pink noise raises the 20th percentile itself by a few dB, and
# without this bar 5 of bench.hearing's 189 pink cuts started up to 1.1 s late.
ROOM_RISE_DB = 6.0
# Energy floor in dB of full scale: quieter than this is silence whatever the room.
SILENCE_DBFS = -55.0
# The share of a stretch's frames, the quietest, taken for the room between the words
# when judging how much of it noise suppression removed (removed_db).
QUIETEST_SHARE = 1 / 3


@dataclass(frozen=True)
class Boundary:
    """Speech started or ended at ``sample`` (counted from the stream's start)."""

    kind: str  # "start" or "end"
    sample: int


class Endpointer:
    """Feed 30 ms frames of 16 kHz int16 audio; get a :class:`Boundary` when one is decided."""

    def __init__(self) -> None:
        self._vad = pocketsphinx.Vad(VAD_MODE, SAMPLE_RATE, FRAME_SECONDS)
        self.frame = self._vad.frame_bytes // 2
        self._window: deque[bool] = deque(maxlen=round(WINDOW_SECONDS / FRAME_SECONDS))
        self._end_window: deque[bool] = deque(maxlen=round(END_WINDOW_SECONDS / FRAME_SECONDS))
        self._room: deque[float] = deque(maxlen=round(ROOM_SECONDS / FRAME_SECONDS))
        # The same frames' VAD decisions, to judge an utterance again against a later room.
        self._voiced: deque[bool] = deque(maxlen=self._room.maxlen)
        self.in_speech = False
        self._frames = 0
        self._start_room = SILENCE_DBFS  # the room's level when the utterance started

    def process(self, frame: np.ndarray) -> Boundary | None:
        """One frame of exactly :attr:`frame` samples, as heard (not noise-suppressed).

        Endpointing the suppressed stream was measured worse: RNNoise erases much of a
        command under babble, and the room-relative level already copes with steady noise.
        """
        speech = self._is_speech(frame)
        self._window.append(speech)
        self._end_window.append(speech)
        self._frames += 1
        window = self._end_window if self.in_speech else self._window
        if len(window) < window.maxlen:
            return None
        voiced = sum(window) / len(window)
        window_start = (self._frames - len(window)) * self.frame
        if not self.in_speech and voiced >= START_RATIO:
            self.in_speech = True
            self._start_room = self.room_dbfs
            first = next(i for i, s in enumerate(window) if s)
            return Boundary("start", window_start + first * self.frame)
        if self.in_speech and voiced <= 1 - END_RATIO:
            self.in_speech = False
            last = max((i for i, s in enumerate(window) if s), default=-1)
            return Boundary("end", window_start + (last + 1) * self.frame)
        return None

    @property
    def room_dbfs(self) -> float:
        """How loud the room is now (its quiet moments), in dB of full scale."""
        return _room_level(self._room)

    def _is_speech(self, frame: np.ndarray) -> bool:
        level = _dbfs(frame)
        room = self.room_dbfs  # before this frame joins it
        self._room.append(level)
        voiced = self._vad.is_speech(frame.astype("<i2").tobytes())
        self._voiced.append(voiced)
        return voiced and level > _speech_floor(room)

    def confirm_start(self, start: int) -> int:
        """Where the current utterance's speech starts, judged against the room as it is now.

        The room's level is learned from its past, so noise that began just before a
        command (talkers, a TV switched on) was louder than the room it followed and was
        taken for the command's start. By the utterance's end the room has heard it: when
        its level rose by :data:`ROOM_RISE_DB` since ``start``, the start moves to the
        first window that is speech against the room as it is now (never earlier than
        ``start``; ``start`` when no window is). bench.hearing's babble: the start a median
        0.56 s before the words, then 0.01 s; pink noise and clean: no cut moves.
        """
        if self.room_dbfs - self._start_room < ROOM_RISE_DB:
            return start
        floor = _speech_floor(self.room_dbfs)
        first = self._frames - len(self._room)  # frame number of self._room[0]
        speech = [v and level > floor for level, v in zip(self._room, self._voiced, strict=True)]
        size = self._window.maxlen
        begin = max(0, start // self.frame - first)
        for i in range(begin, len(speech) - size + 1):
            window = speech[i : i + size]
            if sum(window) >= START_RATIO * size:
                return max(start, (first + i + window.index(True)) * self.frame)
        return start

    def reset(self) -> None:
        """Forget the current utterance (after a cap); the room's level is kept."""
        self._window.clear()
        self._end_window.clear()
        self.in_speech = False


def room_dbfs(samples: np.ndarray) -> float:
    """A whole recording's room level, as the endpointer measures a stream's."""
    return _room_level(_frame_levels(samples))


def removed_db(heard: np.ndarray, suppressed: np.ndarray) -> float | None:
    """How much of the room noise suppression (:mod:`denoise`) removed, in dB: the median
    over the quietest third of the 30 ms frames heard (the room between and around the
    words), silent frames aside; None with fewer than three frames to judge by.

    RNNoise takes steady noise almost whole and talkers (a TV, people in the room) hardly
    at all: they are speech, as the command is. Around bench.hearing's commands it removed
    46-80 dB of pink noise and 8-21 dB of babble.
    """
    count = min(len(heard), len(suppressed)) // round(FRAME_SECONDS * SAMPLE_RATE)
    level = _frame_levels(heard, count)
    removed = level - _frame_levels(suppressed, count)
    sounding = level > SILENCE_DBFS
    if sounding.sum() < 3:
        return None
    share = max(3, int(sounding.sum() * QUIETEST_SHARE))
    quietest = np.argsort(np.where(sounding, level, np.inf))[:share]
    return float(np.median(removed[quietest]))


def _frame_levels(samples: np.ndarray, count: int | None = None) -> np.ndarray:
    """The level (dBFS) of each whole 30 ms frame of ``samples`` (of the first ``count``)."""
    frame = round(FRAME_SECONDS * SAMPLE_RATE)
    count = len(samples) // frame if count is None else count
    frames = samples[: count * frame].astype(np.float64).reshape(count, frame)
    return 10 * np.log10(np.mean(frames**2, axis=1) / 32768.0**2 + 1e-12)


def _room_level(levels: Sequence[float]) -> float:
    """The room's level from frame levels (dBFS): their quiet moments, or silence if none."""
    return float(np.percentile(levels, ROOM_PERCENTILE)) if len(levels) else SILENCE_DBFS


def _speech_floor(room: float) -> float:
    """The level (dBFS) a voiced frame must pass to be speech in a room this loud."""
    return max(SILENCE_DBFS, room + LOUDER_THAN_ROOM_DB)


def _dbfs(frame: np.ndarray) -> float:
    """One whole 30 ms frame's level (dBFS)."""
    return float(_frame_levels(frame, 1)[0])
