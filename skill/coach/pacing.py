"""Hands-free pacing: a set of reps or a hold becomes a timed script of beats.

A person on the floor should not have to talk between reps, so a paced step is spoken as
counts and countdown cues separated by real SSML pauses. Alexa allows at most 10 s per
``<break>``, so longer silences are chained. The templates decide the words for each
beat; this module only decides when things happen.
"""

# Without ``from __future__ import annotations``: with it, every NamedTuple field here
# would be a ForwardRef that typing compiles at import, on every Lambda cold start.

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from skill.alexa.limits import MAX_AUDIO_TAGS, MAX_BREAK_MS
from skill.coach.catalog import PlanStep

PACES = ("slow", "normal", "fast")
DEFAULT_PACE = "normal"
# How much longer (or shorter) each rep and each rest lasts at a pace; holds stay exact.
PACE_FACTORS = {"slow": 1.5, "normal": 1.0, "fast": 0.7}
# Seconds left at which a hold or rest gets a spoken reminder.
REMINDERS = (60, 45, 30, 20, 10)
# The final seconds of a hold are counted down one by one.
FINAL_COUNTDOWN = 5


class Beat(NamedTuple):
    """One event of a paced set: ``kind`` is what to say (or "pause"), ``value`` its number."""

    kind: str
    value: int = 0
    of: int = 0


def pauses(total_ms: int) -> list[Beat]:
    """A silence of ``total_ms`` as chained breaks of at most ``MAX_BREAK_MS`` each."""
    beats = []
    while total_ms > 0:
        chunk = min(total_ms, MAX_BREAK_MS)
        beats.append(Beat("pause", chunk))
        total_ms -= chunk
    return beats


def countdown(seconds: int, *, counted: int = FINAL_COUNTDOWN) -> list[Beat]:
    """Silence with "N seconds left" reminders, then a spoken count of the last seconds."""
    beats: list[Beat] = []
    remaining = seconds
    for mark in (*(m for m in REMINDERS if m < seconds), counted):
        if mark >= remaining or mark <= 0:
            continue
        beats += pauses((remaining - mark) * 1000)
        remaining = mark
        if mark > counted:
            beats.append(Beat("remaining", mark))
    if remaining <= counted:
        for second in range(remaining, 0, -1):
            beats.append(Beat("tick", second))
            beats += pauses(900)
    return beats


def _one_set(step: PlanStep, pace: str) -> list[Beat]:
    if step.step.hold:
        return [Beat("hold", step.step.hold), *countdown(step.step.hold), Beat("release")]
    reps = step.step.reps
    rep_ms = round(step.step.tempo * PACE_FACTORS[pace] * 1000)
    beats = [Beat("begin", reps)]
    for rep in range(1, reps + 1):
        if rep == reps and reps > 1:
            beats.append(Beat("last_rep", rep, reps))
        else:
            beats.append(Beat("count", rep, reps))
        beats += pauses(rep_ms)
    beats.append(Beat("set_done", reps))
    return beats


# Earcon beats, named as the earcons are (content/earcons.toml): the sound plays there.
SET_START, INTERVAL_END = "set_start", "interval_end"


def with_earcons(beats: list[Beat], budget: int = MAX_AUDIO_TAGS) -> list[Beat]:
    """The beats with a sound at each set start and each end of a hold or rest.

    A response may play at most five sounds, so the first ``budget`` beats that want one
    get it, in speaking order, and the rest stay words alone ("And release").
    """
    marked: list[Beat] = []
    for beat in beats:
        if budget > 0 and beat.kind in ("release", "rest_over"):
            marked.append(Beat(INTERVAL_END))
            budget -= 1
        if budget > 0 and beat.kind == "begin":
            marked.append(Beat(SET_START))
            budget -= 1
        marked.append(beat)
        if budget > 0 and beat.kind == "hold":
            marked.append(Beat(SET_START))
            budget -= 1
    return marked


@cache
def script(step: PlanStep, pace: str = DEFAULT_PACE, sounds: bool = False) -> tuple[Beat, ...]:
    """The whole paced part of a step: every set, both sides, and the rests between;
    with ``sounds``, the earcon beats too.

    Cached: a catalog has a few dozen paced steps and three paces, and a paced set is
    about a hundred beats, rebuilt on every "next" otherwise.
    """
    if not step.step.paced:
        return ()
    if pace not in PACE_FACTORS:
        pace = DEFAULT_PACE
    beats: list[Beat] = []
    sides = 2 if step.step.switch_sides else 1
    for set_number in range(1, step.sets + 1):
        if step.sets > 1:
            beats.append(Beat("set", set_number, step.sets))
        for side in range(1, sides + 1):
            if side > 1:
                beats.append(Beat("switch_sides"))
                beats += pauses(round(3000 * PACE_FACTORS[pace]))
            beats += _one_set(step, pace)
        if set_number < step.sets and step.rest:
            rest = max(1, round(step.rest * PACE_FACTORS[pace]))
            beats.append(Beat("rest", rest))
            beats += countdown(rest, counted=3)
            beats.append(Beat("rest_over"))
    return tuple(with_earcons(beats) if sounds else beats)


def total_pause_ms(beats: tuple[Beat, ...] | list[Beat]) -> int:
    return sum(beat.value for beat in beats if beat.kind == "pause")


@dataclass(frozen=True, slots=True)
class Countdown:
    """A hold or a rest as a screen counts it: when it starts and ends within the paced part."""

    kind: str  # "hold" or "rest"
    seconds: int  # what the speech announced
    start_ms: int  # from the start of the paced part: when the announcing words end
    end_ms: int  # when the words that close it ("And release", "Back into position") begin
    set_number: int = 1
    sets: int = 1


_CLOSES = {"hold": "release", "rest": "rest_over"}


def countdowns(beats: tuple[Beat, ...], beat_ms: Callable[[Beat], int]) -> list[Countdown]:
    """Every hold and rest of a script, timed by ``beat_ms`` (each beat's duration).

    The pauses are the script's own, so they are exact; words take what ``beat_ms``
    estimates. A hold lasts, in the speech, its silences plus its spoken reminders, so
    the countdown spans that whole stretch rather than the bare announced seconds.
    """
    found: list[Countdown] = []
    elapsed = 0
    set_number, sets = 1, 1
    opened: tuple[str, int, int] | None = None  # kind, seconds, start
    for beat in beats:
        if beat.kind == "set":
            set_number, sets = beat.value, beat.of
        if opened is not None and beat.kind in (_CLOSES[opened[0]], INTERVAL_END):
            kind, seconds, start = opened
            found.append(Countdown(kind, seconds, start, elapsed, set_number, sets))
            opened = None
        elapsed += beat_ms(beat)
        if beat.kind in _CLOSES:
            opened = (beat.kind, beat.value, elapsed)
    return found
