"""A user's progress: pace, where to resume, what they completed and when.

The record lives in the user's persistent attributes as plain JSON::

    {"pace": "normal",
     "resume": {"kind": "exercise", "id": "russian_pushups", "step": 2,
                "saved_at": "2026-11-25T07:00:00+00:00"} | None,
     "history": [{"kind": "routine", "id": "morning", "completed_at": "..."}, ...],
     "total_completed": 57,
     "levels": {"clamshell": "easier"}}

Everything here is a pure function of its arguments: the clock and the user's time zone
are passed in, so the calendar arithmetic (streaks, ISO weeks, day boundaries in the
user's zone) is tested with fixed times. Functions take a record and return a new one, so
they fit :meth:`skill.storage.base.PersistenceAdapter.update_attributes` directly::

    adapter.update_attributes(envelope, lambda raw: record_completion(raw, "exercise", id, now))

Stored data comes from outside this process (an older release, a hand edit, a bug), so
every function first passes the record through :func:`normalise_record`, which keeps what
is valid and drops the rest, and never raises.

The history keeps the last ``HISTORY_LIMIT`` completions (a few kilobytes); the total
is counted separately so it survives the bound. Streaks longer than the kept history are
reported as long as the history reaches.
"""

# Without ``from __future__ import annotations``: with it, every NamedTuple field here
# would be a ForwardRef that typing compiles at import, on every Lambda cold start.

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from skill.coach.pacing import DEFAULT_PACE, PACES

KINDS = ("exercise", "routine")
# Completions kept; older ones only count towards ``total_completed``.
HISTORY_LIMIT = 200
# Longest workout id accepted from storage (catalog ids are short snake_case words).
MAX_ID_LENGTH = 100
# Largest plan step accepted from storage.
MAX_STEP = 10_000
# Stored times outside these years are nonsense (and too close to datetime's limits to
# convert between zones safely), so they are dropped.
YEARS = range(1970, 9999)

Record = dict[str, Any]


class Completion(NamedTuple):
    """One finished workout; a tuple so it unpacks as ``kind, id, when``."""

    kind: str
    id: str
    completed_at: datetime


class ResumePoint(NamedTuple):
    """Where an interrupted workout can pick up again."""

    kind: str
    id: str
    step: int
    saved_at: datetime


class ProgressSummary(NamedTuple):
    """What the coach can tell a user about their training so far."""

    last_workout: Completion | None
    this_week_count: int  # completions in the current ISO week (Monday start), user's zone
    streak_days: int  # consecutive active days ending today or yesterday, user's zone
    total: int  # completions ever recorded


# A person's gentler or harder way of an exercise ("make it easier"); standard is absent.
LEVELS = ("easier", "harder")
# Exercises a record keeps a level for (a catalog has about ten).
MAX_LEVELS = 50


def new_record() -> Record:
    return {
        "pace": DEFAULT_PACE,
        "sounds": True,
        "resume": None,
        "history": [],
        "total_completed": 0,
        "levels": {},
    }


def normalise_record(raw: object) -> Record:
    """A well-formed record from whatever was stored: valid parts kept, the rest dropped."""
    record = new_record()
    if not isinstance(raw, dict):
        return record
    if isinstance(pace := raw.get("pace"), str) and pace in PACES:
        record["pace"] = pace
    if isinstance(sounds := raw.get("sounds"), bool):
        record["sounds"] = sounds
    record["resume"] = _resume_entry(raw.get("resume"))
    history = raw.get("history")
    if isinstance(history, list):
        entries = (_history_entry(item) for item in history)
        record["history"] = [entry for entry in entries if entry is not None][-HISTORY_LIMIT:]
    total = raw.get("total_completed")
    record["total_completed"] = max(total if _is_count(total) else 0, len(record["history"]))
    levels = raw.get("levels")
    if isinstance(levels, dict):
        kept = [(k, v) for k, v in levels.items() if _is_workout_id(k) and v in LEVELS]
        record["levels"] = dict(kept[:MAX_LEVELS])
    return record


def record_completion(record: object, kind: str, workout_id: str, when: datetime) -> Record:
    """The record with one more completed workout; its resume point, if any, is spent."""
    new = normalise_record(record)
    _check_workout(kind, workout_id)
    entry = {"kind": kind, "id": workout_id, "completed_at": _stamp(when)}
    new["history"] = [*new["history"], entry][-HISTORY_LIMIT:]
    new["total_completed"] += 1
    resume = new["resume"]
    if resume is not None and (resume["kind"], resume["id"]) == (kind, workout_id):
        new["resume"] = None
    return new


def set_resume_point(
    record: object, kind: str, workout_id: str, step: int, when: datetime
) -> Record:
    """The record remembering that ``workout_id`` stopped before plan step ``step``."""
    new = normalise_record(record)
    _check_workout(kind, workout_id)
    if not _is_count(step) or step > MAX_STEP:
        raise ValueError(f"step must be an int in 0..{MAX_STEP}, not {step!r}")
    new["resume"] = {"kind": kind, "id": workout_id, "step": step, "saved_at": _stamp(when)}
    return new


def clear_resume_point(record: object) -> Record:
    new = normalise_record(record)
    new["resume"] = None
    return new


def set_pace(record: object, pace: str) -> Record:
    if pace not in PACES:
        raise ValueError(f"pace must be one of {PACES}, not {pace!r}")
    new = normalise_record(record)
    new["pace"] = pace
    return new


def set_sounds(record: object, on: bool) -> Record:
    """The record with earcons on or off ("sounds off", "no beeps")."""
    new = normalise_record(record)
    new["sounds"] = bool(on)
    return new


def set_level(record: object, exercise_id: str, level: str) -> Record:
    """The record with a person's way of an exercise: "easier", "harder" or "standard"."""
    if level not in (*LEVELS, "standard"):
        raise ValueError(f"level must be one of {LEVELS} or standard, not {level!r}")
    if not _is_workout_id(exercise_id):
        raise ValueError(f"not an exercise id: {exercise_id!r}")
    new = normalise_record(record)
    levels = {k: v for k, v in new["levels"].items() if k != exercise_id}
    if level != "standard":
        levels[exercise_id] = level
    new["levels"] = dict(list(levels.items())[-MAX_LEVELS:])
    return new


def resume_point(record: object) -> ResumePoint | None:
    resume = normalise_record(record)["resume"]
    if resume is None:
        return None
    saved_at = datetime.fromisoformat(resume["saved_at"])
    return ResumePoint(resume["kind"], resume["id"], resume["step"], saved_at)


def completions(record: object) -> list[Completion]:
    """The kept history, oldest first as stored."""
    return _completions(normalise_record(record))


def _completions(record: Record) -> list[Completion]:
    return [
        Completion(entry["kind"], entry["id"], datetime.fromisoformat(entry["completed_at"]))
        for entry in record["history"]
    ]


def summary(record: object, now: datetime, tz: tzinfo | str | None = None) -> ProgressSummary:
    """Last workout, this week's count, current streak and total, as of ``now``.

    Days and weeks are calendar days and ISO weeks in ``tz`` (an IANA name such as
    ``"Europe/Berlin"`` from the device settings, or a tzinfo); ``None`` or a name that
    is not a known zone means UTC, so a bad setting degrades instead of failing. A
    streak that ended yesterday is still alive: the user has until midnight to extend it.
    """
    _check_aware(now)
    zone = _zone(tz)
    normalised = normalise_record(record)
    done, total = _completions(normalised), normalised["total_completed"]
    if not done:
        return ProgressSummary(last_workout=None, this_week_count=0, streak_days=0, total=total)
    last = max(enumerate(done), key=lambda pair: (pair[1].completed_at, pair[0]))[1]
    today = now.astimezone(zone).date()
    days = {entry.completed_at.astimezone(zone).date() for entry in done}
    week = today.isocalendar()[:2]
    this_week = sum(
        1 for entry in done if entry.completed_at.astimezone(zone).isocalendar()[:2] == week
    )
    return ProgressSummary(
        last_workout=last, this_week_count=this_week, streak_days=_streak(days, today), total=total
    )


def _streak(days: set[date], today: date) -> int:
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def _zone(tz: tzinfo | str | None) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    if isinstance(tz, str) and tz:
        from zoneinfo import ZoneInfo  # rarely needed: not on every cold start

        try:
            return ZoneInfo(tz)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            pass
    return UTC


def _stamp(when: datetime) -> str:
    _check_aware(when)
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _check_aware(when: datetime) -> None:
    if not isinstance(when, datetime) or when.utcoffset() is None:
        raise ValueError(f"times must be timezone-aware datetimes, not {when!r}")


def _check_workout(kind: str, workout_id: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if not _is_workout_id(workout_id):
        raise ValueError(f"not a workout id: {workout_id!r}")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_workout_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def _parse_stamp(value: object) -> str | None:
    """A stored time as canonical UTC ISO text, or None if it is not an aware time."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.utcoffset() is None:
            return None
        # The year is judged in UTC, as the stamp is kept: 1970-01-01T00:00+14:00 is 1969
        # there, and a normalised record must normalise to itself.
        stamp = parsed.astimezone(UTC)
        return stamp.isoformat(timespec="seconds") if stamp.year in YEARS else None
    except (ValueError, OverflowError):
        return None


def _history_entry(item: object) -> dict[str, str] | None:
    if not isinstance(item, dict):
        return None
    kind, workout_id = item.get("kind"), item.get("id")
    stamp = _parse_stamp(item.get("completed_at"))
    if kind not in KINDS or not _is_workout_id(workout_id) or stamp is None:
        return None
    return {"kind": kind, "id": workout_id, "completed_at": stamp}


def _resume_entry(item: object) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    kind, workout_id, step = item.get("kind"), item.get("id"), item.get("step")
    stamp = _parse_stamp(item.get("saved_at"))
    if kind not in KINDS or not _is_workout_id(workout_id) or stamp is None:
        return None
    if not _is_count(step) or step > MAX_STEP:
        return None
    return {"kind": kind, "id": workout_id, "step": step, "saved_at": stamp}
