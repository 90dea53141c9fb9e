"""Tests for bot.core.reminder_planning: daily reminder instants across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.reminder_planning import (
    next_reminder_at,
    reminder_day_is_over,
    reminder_instant_for_date,
)

DETERMINISTIC = settings(derandomize=True, deadline=None, max_examples=200)

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "America/St_Johns",
    "UTC",
]

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def wall_exists(day: date, wall: time, zone: ZoneInfo) -> bool:
    """Independent oracle: a wall time exists iff it survives a UTC round trip."""
    naive = datetime.combine(day, wall)
    back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == naive


# --- table tests ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [
        # Ordinary days.
        (NEW_YORK, date(2026, 1, 15), time(7, 30), utc(2026, 1, 15, 12, 30)),
        (NEW_YORK, date(2026, 7, 15), time(7, 30), utc(2026, 7, 15, 11, 30)),
        # New York springs forward 02:00 → 03:00 on 2026-03-08: 02:30 does not exist,
        # the reminder is at 03:00 EDT.
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 59, 59), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(3, 0), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(1, 59), utc(2026, 3, 8, 6, 59)),
        # New York falls back 02:00 → 01:00 on 2026-11-01: 01:30 happens twice, the
        # first (EDT, -4) is used.
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (NEW_YORK, date(2026, 11, 1), time(2, 0), utc(2026, 11, 1, 7, 0)),
        # London springs forward 01:00 → 02:00 on 2026-03-29 and falls back on 10-25.
        (LONDON, date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1, 0)),
        (LONDON, date(2026, 3, 29), time(0, 30), utc(2026, 3, 29, 0, 30)),
        (LONDON, date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30)),
        # Lord Howe moves by 30 minutes: 02:00 → 02:30 (+10:30 → +11) on 2026-10-04,
        # and 02:00 → 01:30 (+11 → +10:30) on 2026-04-05.
        (LORD_HOWE, date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 30)),
        (LORD_HOWE, date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 15, 30)),
        (LORD_HOWE, date(2026, 10, 4), time(1, 59), utc(2026, 10, 3, 15, 29)),
        (LORD_HOWE, date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
        (LORD_HOWE, date(2026, 4, 5), time(2, 0), utc(2026, 4, 4, 15, 30)),
    ],
)
def test_reminder_instant_for_date(
    zone: ZoneInfo, day: date, wall: time, expected: datetime
) -> None:
    result = reminder_instant_for_date(day, wall, zone)
    assert result == expected
    assert result.tzinfo is UTC


def test_sub_second_wall_time_in_a_gap_lands_on_the_transition() -> None:
    result = reminder_instant_for_date(date(2026, 3, 8), time(2, 30, 0, 500_000), NEW_YORK)
    assert result == utc(2026, 3, 8, 7, 0)


def _daily(wall: time, zone: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    out = []
    for _ in range(count):
        after = next_reminder_at(wall, zone, after)
        out.append(after)
    return out


def test_spring_forward_reminder_once_at_post_gap_instant() -> None:
    got = _daily(time(2, 30), NEW_YORK, utc(2026, 3, 6, 0, 0), 4)
    assert got == [
        utc(2026, 3, 6, 7, 30),  # 02:30 EST
        utc(2026, 3, 7, 7, 30),
        utc(2026, 3, 8, 7, 0),  # 03:00 EDT: 02:30 does not exist
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


def test_fall_back_reminder_once_at_first_occurrence() -> None:
    got = _daily(time(1, 30), NEW_YORK, utc(2026, 10, 31, 0, 0), 3)
    assert got == [
        utc(2026, 10, 31, 5, 30),
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT, the first of the two
        utc(2026, 11, 2, 6, 30),  # 01:30 EST
    ]
    # Asking during the second 01:30 (01:10 EST) does not give a second reminder.
    assert next_reminder_at(time(1, 30), NEW_YORK, utc(2026, 11, 1, 6, 10)) == utc(
        2026, 11, 2, 6, 30
    )


def test_london_transitions() -> None:
    assert _daily(time(1, 30), LONDON, utc(2026, 3, 28, 2, 0), 2) == [
        utc(2026, 3, 29, 1, 0),  # 02:00 BST
        utc(2026, 3, 30, 0, 30),
    ]
    assert _daily(time(1, 30), LONDON, utc(2026, 10, 24, 2, 0), 2) == [
        utc(2026, 10, 25, 0, 30),  # 01:30 BST, not 01:30 GMT an hour later
        utc(2026, 10, 26, 1, 30),
    ]


def test_lord_howe_half_hour_transitions() -> None:
    assert _daily(time(2, 15), LORD_HOWE, utc(2026, 10, 2, 16, 0), 2) == [
        utc(2026, 10, 3, 15, 30),  # 02:30 +11
        utc(2026, 10, 4, 15, 15),
    ]
    assert _daily(time(1, 45), LORD_HOWE, utc(2026, 4, 3, 15, 0), 2) == [
        utc(2026, 4, 4, 14, 45),  # first 01:45, at +11
        utc(2026, 4, 5, 15, 15),  # 01:45 +10:30
    ]


def test_next_reminder_is_strictly_after() -> None:
    exact = utc(2026, 1, 15, 12, 30)  # 07:30 EST
    assert next_reminder_at(time(7, 30), NEW_YORK, exact) == utc(2026, 1, 16, 12, 30)
    just_before = exact - timedelta(microseconds=1)
    assert next_reminder_at(time(7, 30), NEW_YORK, just_before) == exact


def test_next_reminder_accepts_any_aware_after() -> None:
    after = datetime(2026, 1, 15, 4, 0, tzinfo=timezone(timedelta(hours=-5)))  # 09:00 UTC
    result = next_reminder_at(time(7, 30), NEW_YORK, after)
    assert result == utc(2026, 1, 15, 12, 30)
    assert result.tzinfo is UTC


def test_naive_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_reminder_at(time(7, 30), NEW_YORK, datetime(2026, 1, 1, 12))
    with pytest.raises(ValueError, match="aware"):
        reminder_day_is_over(date(2026, 1, 1), NEW_YORK, datetime(2026, 1, 1, 12))
    with pytest.raises(ValueError, match="naive wall time"):
        next_reminder_at(time(7, 30, tzinfo=UTC), NEW_YORK, utc(2026, 1, 1))
    with pytest.raises(ValueError, match="naive wall time"):
        reminder_instant_for_date(date(2026, 1, 1), time(7, 30, tzinfo=UTC), NEW_YORK)


@pytest.mark.parametrize(
    ("day", "now", "over"),
    [
        (date(2026, 1, 15), utc(2026, 1, 16, 4, 59), False),  # 23:59 EST on the 15th
        (date(2026, 1, 15), utc(2026, 1, 16, 5, 0), True),  # midnight: the day is over
        (date(2026, 1, 15), utc(2026, 1, 15, 12, 0), False),
        (date(2026, 1, 15), utc(2026, 1, 14, 12, 0), False),  # not even started
        (date(2026, 3, 8), utc(2026, 3, 9, 3, 59), False),  # 23:59 EDT, a 23-hour day
        (date(2026, 3, 8), utc(2026, 3, 9, 4, 0), True),
    ],
)
def test_reminder_day_is_over(day: date, now: datetime, over: bool) -> None:
    assert reminder_day_is_over(day, NEW_YORK, now) is over


def test_reminder_day_is_over_in_far_east_zone() -> None:
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    # 10:00 UTC on the 15th is already midnight of the 16th at +14.
    assert reminder_day_is_over(date(2026, 1, 15), kiritimati, utc(2026, 1, 15, 10, 0))
    assert not reminder_day_is_over(date(2026, 1, 15), kiritimati, utc(2026, 1, 15, 9, 59))


# --- properties ---------------------------------------------------------------------

zones = st.sampled_from(ZONES).map(ZoneInfo)
# Whole minutes like the product, plus odd seconds to exercise the gap search.
walls = st.one_of(
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
    st.times(),
)
afters = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


def _check_is_reminder(result: datetime, wall: time, zone: ZoneInfo) -> date:
    """Assert ``result`` is the reminder for its local date; return that date."""
    local = result.astimezone(zone)
    day = local.date()
    if wall_exists(day, wall, zone):
        assert local.time() == wall
        assert local.fold == 0  # the first occurrence of an ambiguous wall time
    else:
        # The first instant after the gap: one second earlier the wall clock was before
        # the wanted time, now it is past it, and the offset changed in between.
        before = (result - timedelta(seconds=1)).astimezone(zone)
        assert (
            before.replace(tzinfo=None) < datetime.combine(day, wall) < local.replace(tzinfo=None)
        )
        assert before.utcoffset() != local.utcoffset()
        assert result.microsecond == 0  # tzdata transitions are whole seconds
    return day


@given(zones, walls, afters)
@DETERMINISTIC
def test_next_reminder_properties(zone: ZoneInfo, wall: time, after: datetime) -> None:
    result = next_reminder_at(wall, zone, after)
    assert result.tzinfo is UTC
    assert result > after
    day = _check_is_reminder(result, wall, zone)
    assert result == reminder_instant_for_date(day, wall, zone)
    # Nothing between after and result: the previous date's reminder is not after it.
    assert reminder_instant_for_date(day - timedelta(days=1), wall, zone) <= after
    # And a reminder is never more than about a day away.
    assert result - after <= timedelta(hours=26)


@given(zones, walls, st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
@DETERMINISTIC
def test_instant_for_date_matches_round_trip_oracle(zone: ZoneInfo, wall: time, day: date) -> None:
    result = reminder_instant_for_date(day, wall, zone)
    naive = datetime.combine(day, wall)
    if wall_exists(day, wall, zone):
        # The fold=0 reading, via the plain (slow) astimezone path.
        assert result == naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    assert _check_is_reminder(result, wall, zone) == day


@given(zones, walls, st.integers(2024, 2030))
@settings(derandomize=True, deadline=None, max_examples=40)
def test_a_whole_year_gets_one_reminder_per_local_date(
    zone: ZoneInfo, wall: time, year: int
) -> None:
    # Start just before the year in this zone; feed each result back in as ``after``.
    after = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC) - timedelta(microseconds=1)
    expected_day = date(year, 1, 1)
    previous = after
    while expected_day.year == year:
        result = next_reminder_at(wall, zone, previous)
        assert result > previous
        day = _check_is_reminder(result, wall, zone)
        assert day == expected_day  # never skipped, never repeated
        previous = result
        expected_day += timedelta(days=1)


def test_a_year_in_new_york_at_the_gap_time() -> None:
    # 02:30 every day of 2026: 364 ordinary days, 1 post-gap 03:00, and the fall-back
    # day at its single (first) 02:30... which is unambiguous, since 02:00-02:59 only
    # repeats as 01:00-01:59.
    wall = time(2, 30)
    results = []
    after = utc(2026, 1, 1, 0, 0)
    for _ in range(365):
        after = next_reminder_at(wall, NEW_YORK, after)
        results.append(after.astimezone(NEW_YORK))
    assert [r.date() for r in results] == [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    off_time = [r for r in results if r.time() != wall]
    assert [(r.date(), r.time()) for r in off_time] == [(date(2026, 3, 8), time(3, 0))]
