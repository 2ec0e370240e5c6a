"""Progress records: calendar arithmetic with injected times, and defensive loading."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skill.coach import progress
from skill.coach.progress import (
    HISTORY_LIMIT,
    Completion,
    ProgressSummary,
    ResumePoint,
    clear_resume_point,
    normalise_record,
    record_completion,
    set_pace,
    set_resume_point,
    summary,
)


def at(text: str) -> datetime:
    """A UTC instant from ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def history(*instants: str, kind: str = "exercise", workout: str = "plank") -> dict:
    record = progress.new_record()
    for instant in instants:
        record = record_completion(record, kind, workout, at(instant))
    return record


# Recording -----------------------------------------------------------------------------


def test_record_completion_appends_in_utc_and_leaves_the_input_alone() -> None:
    before = progress.new_record()
    berlin = datetime(2026, 11, 25, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    after = record_completion(before, "routine", "morning", berlin)
    assert before == progress.new_record()
    assert after["history"] == [
        {"kind": "routine", "id": "morning", "completed_at": "2026-11-25T07:00:00+00:00"}
    ]
    assert after["total_completed"] == 1
    assert json.loads(json.dumps(after)) == after


def test_history_is_bounded_but_the_total_keeps_counting() -> None:
    record = progress.new_record()
    start = at("2026-01-01 07:00")
    for day in range(HISTORY_LIMIT + 50):
        record = record_completion(record, "exercise", f"e{day}", start + timedelta(days=day))
    assert len(record["history"]) == HISTORY_LIMIT
    assert record["history"][0]["id"] == "e50"
    assert record["total_completed"] == HISTORY_LIMIT + 50
    assert summary(record, start + timedelta(days=HISTORY_LIMIT + 49)).total == HISTORY_LIMIT + 50


def test_completing_a_workout_spends_its_resume_point_only() -> None:
    record = set_resume_point({}, "exercise", "russian_pushups", 2, at("2026-11-25 07:00"))
    other = record_completion(record, "exercise", "plank", at("2026-11-25 07:10"))
    assert other["resume"]["id"] == "russian_pushups"
    same = record_completion(record, "exercise", "russian_pushups", at("2026-11-25 07:10"))
    assert same["resume"] is None


def test_resume_point_round_trip() -> None:
    record = set_resume_point(None, "routine", "morning", 3, at("2026-11-25 07:00"))
    assert record["resume"] == {
        "kind": "routine",
        "id": "morning",
        "step": 3,
        "saved_at": "2026-11-25T07:00:00+00:00",
    }
    assert progress.resume_point(record) == ResumePoint(
        "routine", "morning", 3, at("2026-11-25 07:00")
    )
    assert progress.resume_point(clear_resume_point(record)) is None
    assert clear_resume_point(record)["history"] == []


def test_pace() -> None:
    assert normalise_record({})["pace"] == "normal"
    assert set_pace({}, "slow")["pace"] == "slow"
    with pytest.raises(ValueError, match="pace"):
        set_pace({}, "ludicrous")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: record_completion({}, "dance", "plank", at("2026-11-25 07:00")), "kind"),
        (lambda: record_completion({}, "exercise", "", at("2026-11-25 07:00")), "workout id"),
        (lambda: record_completion({}, "exercise", "plank", datetime(2026, 11, 25)), "aware"),
        (lambda: set_resume_point({}, "exercise", "plank", -1, at("2026-11-25 07:00")), "step"),
        (lambda: set_resume_point({}, "exercise", "plank", True, at("2026-11-25 07:00")), "step"),
        (lambda: summary({}, datetime(2026, 11, 25)), "aware"),
    ],
)
def test_programming_errors_are_loud(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# Summary: streaks, weeks and time zones ------------------------------------------------


def test_summary_of_nothing() -> None:
    assert summary({}, at("2026-11-25 07:00")) == ProgressSummary(None, 0, 0, 0)
    assert summary("garbage", at("2026-11-25 07:00"), "Europe/Berlin").total == 0


def test_last_workout_is_the_latest_even_if_stored_out_of_order() -> None:
    record = history("2026-11-24 07:00")
    record = record_completion(record, "routine", "evening", at("2026-11-25 19:00"))
    record = record_completion(record, "exercise", "squat", at("2026-11-25 08:00"))  # skewed
    kind, workout, when = summary(record, at("2026-11-25 20:00")).last_workout
    assert (kind, workout, when) == ("routine", "evening", at("2026-11-25 19:00"))
    assert isinstance(summary(record, at("2026-11-25 20:00")).last_workout, Completion)
    assert progress.completions(record)[-1] == Completion(
        "exercise", "squat", at("2026-11-25 08:00")
    )


# fmt: off
STREAKS = [
    # (completions in UTC, now in UTC, zone, expected streak, expected this-week count)
    pytest.param([], "2026-11-25 12:00", None, 0, 0, id="nothing"),
    pytest.param(["2026-11-25 07:00"], "2026-11-25 12:00", None, 1, 1, id="today"),
    pytest.param(["2026-11-25 07:00", "2026-11-25 09:00"], "2026-11-25 12:00", None, 1, 2,
                 id="twice-today-is-one-day"),
    pytest.param(["2026-11-24 07:00", "2026-11-25 07:00"], "2026-11-25 12:00", None, 2, 2,
                 id="yesterday-and-today"),
    pytest.param(["2026-11-23 07:00", "2026-11-24 07:00"], "2026-11-25 23:59", None, 2, 2,
                 id="ending-yesterday-is-alive"),
    pytest.param(["2026-11-23 07:00"], "2026-11-25 00:00", None, 0, 1,
                 id="ending-two-days-ago-is-broken"),
    pytest.param(["2026-11-21 07:00", "2026-11-23 07:00", "2026-11-24 07:00"],
                 "2026-11-24 12:00", None, 2, 2, id="a-gap-ends-the-streak"),
    pytest.param(["2026-11-29 23:59", "2026-11-30 00:00"], "2026-11-30 00:01", None, 2, 1,
                 id="sunday-to-monday-new-week"),
    pytest.param(["2026-10-31 07:00", "2026-11-01 07:00"], "2026-11-01 08:00", None, 2, 2,
                 id="month-boundary"),
    pytest.param(["2027-02-28 07:00", "2027-03-01 07:00"], "2027-03-01 08:00", None, 2, 1,
                 id="february-non-leap"),
    pytest.param(["2028-02-28 07:00", "2028-03-01 07:00"], "2028-03-01 08:00", None, 1, 2,
                 id="leap-day-missed"),
    pytest.param(["2028-02-28 07:00", "2028-02-29 07:00", "2028-03-01 07:00"],
                 "2028-03-01 08:00", None, 3, 3, id="leap-day-kept"),
    # 2026-W53 runs from Monday 28 December 2026 to Sunday 3 January 2027.
    pytest.param(["2026-12-27 07:00", "2026-12-28 07:00", "2026-12-31 07:00", "2027-01-01 07:00",
                  "2027-01-02 07:00", "2027-01-03 07:00"],
                 "2027-01-03 20:00", None, 4, 5, id="iso-week-across-new-year"),
    pytest.param(["2026-12-31 23:30", "2027-01-01 00:30"], "2027-01-01 01:00", None, 2, 2,
                 id="new-year-midnight"),
    # 02:00Z and 20:00Z on one UTC day are two evenings in Los Angeles (UTC-8).
    pytest.param(["2026-11-25 02:00", "2026-11-25 20:00"], "2026-11-25 21:00", None, 1, 2,
                 id="utc-one-day"),
    pytest.param(["2026-11-25 02:00", "2026-11-25 20:00"], "2026-11-25 21:00",
                 "America/Los_Angeles", 2, 2, id="los-angeles-two-days"),
    # Sunday 09:00Z is Sunday 23:00 in Kiritimati (UTC+14), whose clock says Monday by 11:00Z.
    pytest.param(["2026-11-29 09:00"], "2026-11-29 11:00", None, 1, 1, id="utc-same-week"),
    pytest.param(["2026-11-29 09:00"], "2026-11-29 11:00", "Pacific/Kiritimati", 1, 0,
                 id="kiritimati-already-next-week"),
    # Berlin leaves summer time on 25 October 2026: both are 25 October there, although
    # they are 24 hours apart; a fixed +02:00 offset would see two days.
    pytest.param(["2026-10-24 22:30", "2026-10-25 22:30"], "2026-10-25 23:00", "Europe/Berlin",
                 1, 0, id="berlin-dst-end"),
    pytest.param(["2026-10-24 22:30", "2026-10-25 22:30"], "2026-10-25 23:00",
                 timezone(timedelta(hours=2)), 2, 1, id="fixed-offset-differs"),
    pytest.param(["2026-11-25 02:00", "2026-11-25 20:00"], "2026-11-25 21:00", "Mars/Olympus",
                 1, 2, id="unknown-zone-means-utc"),
    pytest.param(["2026-11-25 07:00", "2026-11-26 07:00"], "2026-11-25 12:00", None, 1, 2,
                 id="future-entries-do-not-extend-the-streak"),
]
# fmt: on


@pytest.mark.parametrize(("done", "now", "zone", "streak", "week"), STREAKS)
def test_streak_and_week(done, now, zone, streak, week) -> None:
    result = summary(history(*done), at(now), zone)
    assert (result.streak_days, result.this_week_count, result.total) == (streak, week, len(done))


def test_zone_object_and_name_agree() -> None:
    record = history("2026-11-25 02:00", "2026-11-25 20:00")
    now = at("2026-11-25 21:00")
    assert summary(record, now, ZoneInfo("America/Los_Angeles")) == summary(
        record, now, "America/Los_Angeles"
    )


def test_a_long_streak_across_a_year_end() -> None:
    days = [at("2026-12-01 18:00") + timedelta(days=n) for n in range(62)]
    record = progress.new_record()
    for day in days:
        record = record_completion(record, "exercise", "plank", day)
    assert days[-1].date().isoformat() == "2027-01-31"
    assert summary(record, at("2027-02-01 06:00"), "Asia/Tokyo").streak_days == 62
    # Tokyo's 2 February ends at 15:00Z: without a workout that day the streak is over.
    assert summary(record, at("2027-02-02 14:59"), "Asia/Tokyo").streak_days == 62
    assert summary(record, at("2027-02-02 15:00"), "Asia/Tokyo").streak_days == 0


# Defensive loading ---------------------------------------------------------------------


def test_normalise_keeps_valid_parts_and_drops_the_rest() -> None:
    raw = {
        "pace": "fast",
        "resume": {"kind": "exercise", "id": "plank", "step": "2", "saved_at": "x"},
        "history": [
            {"kind": "routine", "id": "morning", "completed_at": "2026-11-25T08:00:00+01:00"},
            {"kind": "routine", "id": "morning", "completed_at": "2026-11-25T08:00:00"},
            {"kind": "yoga", "id": "morning", "completed_at": "2026-11-25T08:00:00+00:00"},
            {"kind": "exercise", "id": 7, "completed_at": "2026-11-25T08:00:00+00:00"},
            {"kind": "exercise", "id": "x" * 101, "completed_at": "2026-11-25T08:00:00+00:00"},
            {"kind": "exercise", "id": "plank", "completed_at": "0001-01-01T00:00:00+14:00"},
            "plank",
        ],
        "total_completed": True,
        "admin": True,
        "sounds": "off",
        "levels": {"clamshell": "easier", "plank": "hardest", "x" * 101: "harder", "bridge": 1},
    }
    assert normalise_record(raw) == {
        "pace": "fast",
        "sounds": True,
        "resume": None,
        "history": [
            {"kind": "routine", "id": "morning", "completed_at": "2026-11-25T07:00:00+00:00"}
        ],
        "total_completed": 1,
        "levels": {"clamshell": "easier"},
    }


def test_sounds_off_is_remembered() -> None:
    record = progress.set_sounds(progress.new_record(), False)
    assert normalise_record(record)["sounds"] is False
    assert progress.set_sounds(record, True)["sounds"] is True


def test_a_level_is_set_changed_and_back_to_standard_forgotten() -> None:
    record = progress.set_level(progress.new_record(), "clamshell", "easier")
    record = progress.set_level(record, "forearm_plank", "harder")
    assert normalise_record(record)["levels"] == {"clamshell": "easier", "forearm_plank": "harder"}
    assert progress.set_level(record, "clamshell", "standard")["levels"] == {
        "forearm_plank": "harder"
    }
    with pytest.raises(ValueError, match="level must be"):
        progress.set_level(record, "clamshell", "hardest")


@pytest.mark.parametrize("raw", [None, [], "record", 7, {"history": "lots"}, {"pace": ["slow"]}])
def test_normalise_of_junk_is_a_fresh_record(raw) -> None:
    assert normalise_record(raw) == progress.new_record()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), ZoneInfo("Europe/Berlin")]
)
# Times the skill could have written (from 1970 in UTC, whatever the zone), and others.
GOOD_STAMPS = st.datetimes(datetime(1970, 1, 2), datetime(9998, 1, 1), timezones=ZONES).map(
    datetime.isoformat
)
STAMPS = GOOD_STAMPS | st.datetimes(timezones=ZONES).map(datetime.isoformat) | st.text(max_size=30)
GOOD_KINDS = st.sampled_from(["exercise", "routine"])
GOOD_IDS = st.text(min_size=1, max_size=30)
GOOD_ENTRIES = st.fixed_dictionaries(
    {"kind": GOOD_KINDS, "id": GOOD_IDS, "completed_at": GOOD_STAMPS}, optional={"extra": JSON}
)
GOOD_RESUMES = st.fixed_dictionaries(
    {"kind": GOOD_KINDS, "id": GOOD_IDS, "step": st.integers(0, 10_000), "saved_at": GOOD_STAMPS}
)
KINDS = GOOD_KINDS | st.just("other") | JSON
IDS = GOOD_IDS | st.sampled_from(["", "x" * 101]) | JSON
ENTRIES = (
    GOOD_ENTRIES
    | st.fixed_dictionaries(
        {"kind": KINDS, "id": IDS, "completed_at": STAMPS}, optional={"extra": JSON}
    )
    | JSON
)
RESUMES = (
    GOOD_RESUMES
    | st.fixed_dictionaries(
        {"kind": KINDS, "id": IDS, "step": st.integers(-2, 10_002) | JSON, "saved_at": STAMPS}
    )
    | st.none()
    | JSON
)
RECORDS = (
    st.fixed_dictionaries(
        {},
        optional={
            "pace": st.sampled_from(["slow", "normal", "fast", "warp"]) | JSON,
            "resume": RESUMES,
            "history": st.lists(ENTRIES, max_size=8) | JSON,
            "total_completed": st.integers(-5, 10**12) | JSON,
            "other": JSON,
        },
    )
    | JSON
)


@given(entries=st.lists(GOOD_ENTRIES, max_size=HISTORY_LIMIT + 5), resume=GOOD_RESUMES)
def test_normalise_keeps_every_valid_part(entries, resume) -> None:
    record = normalise_record({"history": entries, "resume": resume})
    kept = entries[-HISTORY_LIMIT:]
    assert [entry["id"] for entry in record["history"]] == [entry["id"] for entry in kept]
    assert [datetime.fromisoformat(entry["completed_at"]) for entry in record["history"]] == [
        datetime.fromisoformat(entry["completed_at"]).replace(microsecond=0) for entry in kept
    ]  # stored to the second
    assert all(entry["completed_at"].endswith("+00:00") for entry in record["history"])
    assert record["resume"]["step"] == resume["step"]


@given(
    raw=RECORDS, now=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9997, 1, 1))
)
def test_normalise_never_raises_and_is_stable(raw, now) -> None:
    record = normalise_record(raw)
    assert set(record) == {"pace", "sounds", "resume", "history", "total_completed", "levels"}
    assert normalise_record(record) == record
    assert json.loads(json.dumps(record)) == record
    assert record["total_completed"] >= len(record["history"])
    for zone in (None, "Pacific/Kiritimati", "Pacific/Pago_Pago"):
        result = summary(raw, now.replace(tzinfo=UTC), zone)
        assert 0 <= result.streak_days <= len(record["history"])
        assert 0 <= result.this_week_count <= len(record["history"])


# --- a household: whose record, at most ten persons ----------------------------------------
def test_household_records_are_kept_apart_and_bounded() -> None:
    from skill.coach import household

    payload: dict = {"account": {"pace": "slow", "sounds": False, "history": ["x"]}, "persons": {}}
    assert household.record_of(payload, "ann") == {"pace": "slow", "sounds": False}
    payload = household.with_record(payload, "ann", lambda record: {**record, "history": ["a"]})
    assert payload["persons"]["ann"] == {"pace": "slow", "sounds": False, "history": ["a"]}
    assert payload["account"]["history"] == ["x"]
    for number in range(household.MAX_PERSONS + 2):
        payload = household.with_record(payload, f"p{number}", lambda record: record)
    assert len(payload["persons"]) == household.MAX_PERSONS
    assert "ann" not in payload["persons"] and "p0" not in payload["persons"]  # least recent
    payload = household.with_record(payload, None, lambda record: {"pace": "fast"})
    assert payload["account"] == {"pace": "fast"} and len(payload["persons"]) == 10
    assert household.record_of({}, None) == {} and household.record_of("junk", "ann") == {}
