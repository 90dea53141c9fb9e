"""Tests for bot.core.streaks: the daily streak rules, freezes, the view, and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.streaks import (
    FREEZE_EVERY_DAYS,
    MAX_FREEZES,
    StreakState,
    StreakUpdate,
    record_activity,
    view,
)
from bot.core.timezones import local_date

DETERMINISTIC = settings(derandomize=True, deadline=None, max_examples=200)

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kathmandu",  # +5:45
    "Pacific/Apia",
    "Pacific/Kiritimati",  # +14
    "America/St_Johns",  # -3:30 / -2:30
    "UTC",
]

D = date(2026, 3, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def state(
    current: int, freezes: int = 0, last: int | None = 0, best: int | None = None
) -> StreakState:
    return StreakState(
        current=current,
        best=current if best is None else best,
        freezes=freezes,
        last_active=None if last is None else day(last),
    )


def record_all(dates: list[date], start: StreakState | None = None) -> StreakState:
    current = start or StreakState()
    for when in dates:
        current = record_activity(current, when).state
    return current


# --- record_activity: table tests ------------------------------------------------


def test_first_day_starts_a_streak() -> None:
    update = record_activity(StreakState(), day(0))
    assert update == StreakUpdate(
        state=StreakState(current=1, best=1, freezes=0, last_active=day(0)),
        extended=True,
        freezes_spent=0,
        freeze_earned=False,
        broken=False,
    )


def test_same_day_twice_is_unchanged() -> None:
    first = record_activity(StreakState(), day(0)).state
    again = record_activity(first, day(0))
    assert again == StreakUpdate(state=first)
    assert not again.changed


def test_next_day_extends() -> None:
    update = record_activity(state(3, freezes=1, best=5), day(1))
    assert update.state == StreakState(current=4, best=5, freezes=1, last_active=day(1))
    assert update.extended
    assert (update.freezes_spent, update.freeze_earned, update.broken) == (0, False, False)


@pytest.mark.parametrize(
    ("freezes", "gap", "current", "freezes_after", "spent", "broken"),
    [
        # gap = missed days between last_active and today
        (0, 1, 1, 0, 0, True),
        (1, 1, 5, 0, 1, False),
        (2, 1, 5, 1, 1, False),
        (2, 2, 5, 0, 2, False),
        (1, 2, 1, 0, 1, True),  # freezes used up one per missed day, then it breaks
        (2, 3, 1, 0, 2, True),
        (0, 30, 1, 0, 0, True),
    ],
)
def test_gaps_spend_freezes_or_break(
    freezes: int, gap: int, current: int, freezes_after: int, spent: int, broken: bool
) -> None:
    before = state(4, freezes=freezes, best=9)
    update = record_activity(before, day(gap + 1))
    assert update.state == StreakState(
        current=current, best=9, freezes=freezes_after, last_active=day(gap + 1)
    )
    assert update.freezes_spent == spent
    assert update.broken is broken
    assert update.extended is not broken
    assert not update.freeze_earned


def test_frozen_days_do_not_add_to_length() -> None:
    # 3 days, skip 2 (covered by 2 freezes), then study: 4 days long, not 6.
    update = record_activity(state(3, freezes=2), day(3))
    assert update.state.current == 4
    assert update.state.freezes == 0


def test_freeze_earned_at_7_and_14() -> None:
    s = record_all([day(n) for n in range(6)])
    assert (s.current, s.freezes) == (6, 0)
    seventh = record_activity(s, day(6))
    assert seventh.freeze_earned
    assert (seventh.state.current, seventh.state.freezes) == (7, 1)
    s = record_all([day(n) for n in range(7, 13)], seventh.state)
    assert (s.current, s.freezes) == (13, 1)
    fourteenth = record_activity(s, day(13))
    assert fourteenth.freeze_earned
    assert (fourteenth.state.current, fourteenth.state.freezes) == (14, 2)


def test_freezes_capped_at_two() -> None:
    s = record_all([day(n) for n in range(20)])
    assert (s.current, s.freezes) == (20, 2)
    update = record_activity(s, day(20))  # 21: a multiple of 7, but already holding 2
    assert update.state.current == 21
    assert update.state.freezes == MAX_FREEZES
    assert not update.freeze_earned


def test_spend_then_earn_on_the_same_day() -> None:
    # current 6, one freeze, one missed day: spend it, reach 7, earn one back.
    update = record_activity(state(6, freezes=1), day(2))
    assert update.freezes_spent == 1
    assert update.freeze_earned
    assert update.state == StreakState(current=7, best=7, freezes=1, last_active=day(2))


def test_best_is_kept_after_a_break() -> None:
    s = record_all([day(n) for n in range(5)])
    s = record_activity(s, day(10)).state
    assert (s.current, s.best) == (1, 5)
    s = record_all([day(n) for n in range(11, 17)], s)
    assert (s.current, s.best) == (7, 7)


@pytest.mark.parametrize("back", [1, 2, 365])
def test_earlier_date_changes_nothing(back: int) -> None:
    before = state(5, freezes=1, last=10, best=8)
    update = record_activity(before, day(10 - back))
    assert update == StreakUpdate(state=before)
    # ...and the next real day still just extends: last_active was not rewound.
    assert record_activity(update.state, day(11)).state.current == 6


def test_record_activity_does_not_mutate_and_refuses_datetimes() -> None:
    before = state(2)
    record_activity(before, day(1))
    assert before == state(2)
    with pytest.raises(TypeError):
        record_activity(before, datetime(2026, 3, 2, 12, tzinfo=UTC))


# --- StreakState ----------------------------------------------------------------------


def test_to_dict_from_dict_round_trip() -> None:
    s = StreakState(current=3, best=10, freezes=2, last_active=date(2026, 3, 8))
    data = s.to_dict()
    assert data == {"current": 3, "best": 10, "freezes": 2, "last_active": "2026-03-08"}
    assert StreakState.from_dict(data) == s
    assert StreakState.from_dict(StreakState().to_dict()) == StreakState()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"current": -1},
        {"best": -1},
        {"freezes": -1},
        {"freezes": 3},
        {"current": 5, "best": 4},
        {"current": True, "best": 1},
        {"last_active": datetime(2026, 3, 8, tzinfo=UTC)},
    ],
)
def test_invalid_states_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="StreakState"):
        StreakState(**kwargs)  # type: ignore[arg-type]


def test_from_dict_refuses_bad_dates() -> None:
    with pytest.raises(ValueError, match="isoformat"):
        StreakState.from_dict({"current": 0, "best": 0, "freezes": 0, "last_active": "nope"})
    with pytest.raises(ValueError, match="last_active"):
        StreakState.from_dict({"current": 0, "best": 0, "freezes": 0, "last_active": 5})


# --- view -------------------------------------------------------------------------------


def test_view_new_learner() -> None:
    v = view(StreakState(), day(0))
    assert (v.current, v.freezes, v.studied_today, v.at_risk) == (0, 0, False, False)


def test_view_studied_today() -> None:
    v = view(state(5, freezes=1, last=3), day(3))
    assert (v.current, v.freezes, v.studied_today, v.at_risk, v.missed_days) == (
        5,
        1,
        True,
        False,
        0,
    )


def test_view_studied_yesterday_is_at_risk() -> None:
    v = view(state(5, freezes=2, last=3), day(4))
    assert (v.current, v.freezes, v.studied_today, v.at_risk, v.missed_days) == (
        5,
        2,
        False,
        True,
        0,
    )


def test_view_missed_days_covered_by_freezes() -> None:
    v = view(state(5, freezes=2, last=3), day(6))  # missed days 4 and 5
    assert (v.current, v.freezes, v.at_risk, v.missed_days) == (5, 0, True, 2)


def test_view_broken_streak_shows_zero() -> None:
    v = view(state(5, freezes=1, last=3, best=6), day(6))
    assert (v.current, v.freezes, v.best, v.at_risk, v.missed_days) == (0, 0, 6, False, 2)


def test_view_backwards_date_counts_as_studied() -> None:
    v = view(state(5, last=3), day(1))
    assert (v.current, v.studied_today, v.at_risk) == (5, True, False)


# --- properties ---------------------------------------------------------------------

study_dates = st.lists(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 4, 30)), max_size=60
)


def _check_invariants(s: StreakState) -> None:
    assert 0 <= s.current <= s.best
    assert 0 <= s.freezes <= MAX_FREEZES


@given(study_dates, st.booleans())
@DETERMINISTIC
def test_invariants_for_any_dates(dates: list[date], sort: bool) -> None:
    if sort:
        dates = sorted(dates)
    s = StreakState()
    for when in dates:
        update = record_activity(s, when)
        s = update.state
        _check_invariants(s)
        assert update.freezes_spent >= 0
        assert not (update.extended and update.broken)
    assert s.current <= len(set(dates))
    assert s.best <= len(set(dates))


@given(study_dates)
@DETERMINISTIC
def test_recording_a_date_twice_equals_once(dates: list[date]) -> None:
    doubled = [when for when in dates for _ in range(2)]
    assert record_all(doubled) == record_all(dates)


@given(study_dates)
@DETERMINISTIC
def test_consecutive_days_count_fully(dates: list[date]) -> None:
    # Consecutive distinct days: the streak is exactly the number of days.
    if not dates:
        return
    start = min(dates)
    run = [start + timedelta(days=n) for n in range(len(set(dates)))]
    s = record_all(run)
    assert s.current == s.best == len(run)
    assert s.freezes == min(MAX_FREEZES, len(run) // FREEZE_EVERY_DAYS)


@given(study_dates, st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 6, 30)))
@DETERMINISTIC
def test_view_agrees_with_record_activity(dates: list[date], today: date) -> None:
    s = record_all(sorted(dates))
    shown = view(s, today)
    after = record_activity(s, today).state
    if shown.studied_today:
        assert after == s
    elif shown.current == 0:
        assert after.current == 1
    else:
        assert after.current == shown.current + 1
        earned = 1 if after.current % FREEZE_EVERY_DAYS == 0 and shown.freezes < MAX_FREEZES else 0
        assert after.freezes == shown.freezes + earned
    assert shown.at_risk == (not shown.studied_today and shown.current > 0)


noon_starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(noon_starts, st.sampled_from(ZONES), st.integers(min_value=2, max_value=60))
@DETERMINISTIC
def test_reviews_24_hours_apart_at_local_noon_never_break(
    start: datetime, zone_name: str, count: int
) -> None:
    zone = ZoneInfo(zone_name)
    # Move the generated instant to local noon on its local date; then step by exactly
    # 24 hours of real time. Across a DST change that is 11:00 or 13:00 the next day
    # (11:30/12:30 on Lord Howe): always the next local date.
    first_date = start.astimezone(zone).date()
    noon = datetime.combine(first_date, time(12), tzinfo=zone).astimezone(UTC)
    s = StreakState()
    for n in range(count):
        instant = noon + timedelta(hours=24 * n)
        today = local_date(instant, zone)
        assert today == first_date + timedelta(days=n)
        update = record_activity(s, today)
        assert not update.broken
        assert update.freezes_spent == 0
        assert update.extended
        s = update.state
    assert s.current == count


@given(
    st.lists(
        st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
        ),
        max_size=40,
    ),
    st.sampled_from(ZONES),
)
@DETERMINISTIC
def test_reviews_at_any_instants_count_local_days_once(
    instants: list[datetime], zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    dates = [local_date(instant, zone) for instant in sorted(instants)]
    for instant, when in zip(sorted(instants), dates, strict=True):
        assert when == zone.fromutc(instant.replace(tzinfo=zone)).date()
    s = record_all(dates)
    _check_invariants(s)
    assert s.best <= len(set(dates))
    # Many reviews on the same local date count once.
    assert record_all([d for d in dates for _ in range(3)]) == s


def test_zone_change_backwards_does_not_double_count() -> None:
    # Study at 00:30 on 9 March in Kiritimati (+14), switch the zone to New York and
    # study again an hour later: there it is still 8 March, an earlier local date.
    kiritimati, new_york = ZoneInfo("Pacific/Kiritimati"), ZoneInfo("America/New_York")
    first = datetime(2026, 3, 9, 0, 30, tzinfo=kiritimati)
    s = record_activity(state(4, last=7), local_date(first, kiritimati)).state
    assert (s.current, s.last_active) == (5, date(2026, 3, 9))
    second = first + timedelta(hours=1)
    assert local_date(second, new_york) == date(2026, 3, 8)
    assert record_activity(s, local_date(second, new_york)).state == s
    # The next New York day is 9 March again: already counted, still no double count.
    third = datetime(2026, 3, 9, 20, 0, tzinfo=new_york)
    assert record_activity(s, local_date(third, new_york)).state == s
    # 10 March in New York extends normally.
    fourth = datetime(2026, 3, 10, 8, 0, tzinfo=new_york)
    assert record_activity(s, local_date(fourth, new_york)).state.current == 6
