"""Tests for bot.reminders: settings, claim-once, catch-up, DST days, who gets a DM.

Every test uses real SQLite files in ``tmp_path`` and explicit instants; "two
processes" are two :class:`Database` objects (two connections) on one file.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.reminder_planning import reminder_instant_for_date
from bot.core.scheduling import CardMemory
from bot.core.streaks import StreakState
from bot.core.timezones import InvalidLocalTime, local_date
from bot.reminders import OffReason, ReminderJob, ReminderService, SendResult
from bot.storage import Database, card_states, learners
from bot.storage import reminders as store

NEW_YORK = ZoneInfo("America/New_York")
DAY = date(2026, 3, 2)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


async def add_learner(
    db: Database,
    user_id: int,
    now: datetime,
    *,
    zone: str = "UTC",
    due_cards: int = 1,
    streak: StreakState | None = None,
) -> None:
    """A learner in ``zone`` with ``due_cards`` cards due long before ``now``."""
    await learners.set_time_zone(db, user_id, zone, now)
    long_ago = now - timedelta(days=30)
    async with db.transaction() as conn:
        for n in range(due_cards):
            memory = CardMemory(
                state=2,
                step=None,
                stability=3.0,
                difficulty=5.0,
                due=long_ago,
                last_review=long_ago - timedelta(days=3),
                reps=1,
            )
            await card_states.put(conn, user_id, "deck", f"card-{n}", memory)
        if streak is not None:
            await learners.save_progress(conn, user_id, streak, 0)


async def sends(db: Database) -> dict[tuple[int, str], str]:
    """Every recorded decision: (user, local date) -> status."""
    rows = await db.fetchall("SELECT user_id, local_date, status FROM reminder_sends")
    return {(row[0], row[1]): row[2] for row in rows}


async def next_at(db: Database, user_id: int) -> datetime | None:
    stored = await store.get_settings(db, user_id)
    assert stored is not None
    return stored.next_at


@pytest.fixture
async def service(db: Database) -> ReminderService:
    return ReminderService(db)


# --- settings ----------------------------------------------------------------------


async def test_set_time_plans_in_utc_until_a_zone_is_set(service: ReminderService, db: Database):
    now = utc(2026, 3, 2, 12)
    result = await service.set_time(1, "7:30", now)
    assert (result.time, result.zone, result.zone_is_default) == ("07:30", "UTC", True)
    assert result.next_at == utc(2026, 3, 3, 7, 30)  # 07:30 today has passed: tomorrow
    assert await next_at(db, 1) == utc(2026, 3, 3, 7, 30)


async def test_set_time_uses_the_learner_zone_and_today_if_still_ahead(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 12)
    await learners.set_time_zone(db, 2, "Europe/Paris", now)
    result = await service.set_time(2, "18:00", now)
    assert (result.zone, result.zone_is_default) == ("Europe/Paris", False)
    assert result.next_at == utc(2026, 3, 2, 17)  # 18:00 CET, still today


@pytest.mark.parametrize("text", ["24:00", "12:60", "7pm", "", "07:30:00", "٠٧:٣٠", "7.30"])
async def test_bad_times_are_refused_and_nothing_is_stored(
    service: ReminderService, db: Database, text: str
):
    with pytest.raises(InvalidLocalTime, match="HH:MM"):
        await service.set_time(3, text, utc(2026, 3, 2, 12))
    assert await service.settings(3) is None


async def test_turn_off_stops_reminders(service: ReminderService, db: Database):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 4, now)
    await service.set_time(4, "07:00", now)
    assert await service.turn_off(4) is True
    assert await service.turn_off(4) is False
    settings_ = await service.settings(4)
    assert settings_ is not None and settings_.time is None and settings_.next_at is None
    assert await service.claim_due(utc(2026, 3, 2, 8)) == []


async def test_replan_after_a_zone_change(service: ReminderService, db: Database):
    now = utc(2026, 3, 2, 12)
    await service.set_time(5, "07:00", now)
    await learners.set_time_zone(db, 5, "Asia/Tokyo", now)
    # 07:00 in Tokyo on 03-03 is 22:00 UTC on 03-02.
    assert await service.replan(5, now) == utc(2026, 3, 2, 22)
    assert await service.replan(999, now) is None


async def test_a_zone_change_without_replan_is_noticed_at_claim(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 6, now)
    await service.set_time(6, "07:00", now)  # 07:00 UTC
    await learners.set_time_zone(db, 6, "America/New_York", now)
    # At the stale 07:00 UTC instant it is 02:00 in New York: nothing yet, re-planned.
    assert await service.claim_due(utc(2026, 3, 2, 7)) == []
    assert await next_at(db, 6) == utc(2026, 3, 2, 12)  # 07:00 EST
    [job] = await service.claim_due(utc(2026, 3, 2, 12))
    assert job.local_date == DAY


# --- claiming once -----------------------------------------------------------------


async def test_claim_returns_a_due_reminder_once_and_moves_to_the_next_day(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 7, now, due_cards=3)
    await service.set_time(7, "07:00", now)
    assert await service.claim_due(utc(2026, 3, 2, 6, 59)) == []
    [job] = await service.claim_due(utc(2026, 3, 2, 7))
    assert (job.user_id, job.local_date, job.due_count) == (7, DAY, 3)
    assert job.scheduled_at == utc(2026, 3, 2, 7)
    assert await service.claim_due(utc(2026, 3, 2, 7, 1)) == []
    assert await next_at(db, 7) == utc(2026, 3, 3, 7)
    assert await sends(db) == {(7, "2026-03-02"): "claimed"}


async def test_two_connections_claiming_concurrently_claim_each_reminder_once(tmp_path: Path):
    path = tmp_path / "shared.db"
    first, second = await Database.open(path), await Database.open(path)
    try:
        now = utc(2026, 3, 2, 6)
        setup = ReminderService(first)
        for user in range(1, 301):
            await add_learner(first, user, now)
            await setup.set_time(user, "07:00", now)

        async def drain(db: Database, when: datetime) -> list[ReminderJob]:
            service, got = ReminderService(db), []
            while batch := await service.claim_due(when, limit=17):
                got.extend(batch)
                # Sleep a little so the other connection can win BEGIN IMMEDIATE; whoever
                # wins, correctness must not depend on it.
                await asyncio.sleep(0.001)
            return got

        # Day 1: both connections race over the whole backlog.
        a, b = await asyncio.gather(
            drain(first, utc(2026, 3, 2, 7, 0, 30)), drain(second, utc(2026, 3, 2, 7, 0, 30))
        )
        claimed = Counter((job.user_id, job.local_date) for job in a + b)
        assert len(claimed) == 300
        assert max(claimed.values()) == 1

        # Day 2: strictly alternating claims, so both certainly take part.
        services = [ReminderService(first), ReminderService(second)]
        day2: list[ReminderJob] = []
        turn = 0
        while batch := await services[turn % 2].claim_due(utc(2026, 3, 3, 7), limit=40):
            day2.extend(batch)
            turn += 1
        assert turn >= 2
        assert len(day2) == len({job.user_id for job in day2}) == 300
    finally:
        await first.close()
        await second.close()


async def test_a_restart_after_claiming_does_not_send_again(tmp_path: Path):
    path = tmp_path / "recall.db"
    db = await Database.open(path)
    service = ReminderService(db)
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 8, now)
    await service.set_time(8, "07:00", now)
    [job] = await service.claim_due(utc(2026, 3, 2, 7))
    await service.mark_sent(job, utc(2026, 3, 2, 7))
    await db.close()

    reopened = await Database.open(path)
    try:
        again = ReminderService(reopened)
        assert await again.claim_due(utc(2026, 3, 2, 7)) == []
        assert await again.claim_due(utc(2026, 3, 2, 23, 59)) == []
        assert await sends(reopened) == {(8, "2026-03-02"): "sent"}
    finally:
        await reopened.close()


async def test_a_crash_between_claim_and_send_loses_that_day_rather_than_sending_twice(
    tmp_path: Path,
):
    """At most once: a claim that never reached mark_sent is not re-sent that day."""
    path = tmp_path / "recall.db"
    db = await Database.open(path)
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 9, now)
    await ReminderService(db).set_time(9, "07:00", now)
    assert len(await ReminderService(db).claim_due(utc(2026, 3, 2, 7))) == 1
    await db.close()  # "crash": the DM may or may not have gone out; nothing recorded

    reopened = await Database.open(path)
    try:
        service = ReminderService(reopened)
        for hour in (7, 9, 15, 23):
            assert await service.claim_due(utc(2026, 3, 2, hour, 30)) == []
        assert await sends(reopened) == {(9, "2026-03-02"): "claimed"}
        [tomorrow] = await service.claim_due(utc(2026, 3, 3, 7))
        assert tomorrow.local_date == date(2026, 3, 3)
    finally:
        await reopened.close()


async def test_changing_the_time_after_todays_reminder_does_not_remind_twice(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 10, now)
    await service.set_time(10, "07:00", now)
    assert len(await service.claim_due(utc(2026, 3, 2, 7))) == 1
    await service.set_time(10, "20:00", utc(2026, 3, 2, 8))  # later the same day
    assert await service.claim_due(utc(2026, 3, 2, 20)) == []
    assert await next_at(db, 10) == utc(2026, 3, 3, 20)


# --- catch-up after downtime -------------------------------------------------------


async def test_five_hours_of_downtime_give_one_late_reminder_not_five(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 11, now)
    await service.set_time(11, "09:00", now)
    jobs = await service.claim_due(utc(2026, 3, 2, 14))  # down from 08:59 to 14:00
    assert [(j.local_date, j.scheduled_at) for j in jobs] == [(DAY, utc(2026, 3, 2, 9))]
    assert await service.claim_due(utc(2026, 3, 2, 14, 0, 30)) == []
    assert await next_at(db, 11) == utc(2026, 3, 3, 9)


async def test_downtime_past_the_local_day_skips_it_and_schedules_the_next(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 12)  # 07:00 in New York
    await add_learner(db, 12, now, zone="America/New_York")
    await service.set_time(12, "09:00", now)  # 14:00 UTC today
    # Down until 03:00 New York time the next day: 03-02 is over there.
    assert await service.claim_due(utc(2026, 3, 3, 8)) == []
    assert await sends(db) == {(12, "2026-03-02"): "expired"}
    assert await next_at(db, 12) == utc(2026, 3, 3, 14)
    [job] = await service.claim_due(utc(2026, 3, 3, 14))
    assert job.local_date == date(2026, 3, 3)


async def test_downtime_over_several_days_sends_only_todays(service: ReminderService, db: Database):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 13, now)
    await service.set_time(13, "07:00", now)
    jobs = await service.claim_due(utc(2026, 3, 5, 10))  # back on 03-05 at 10:00
    assert [j.local_date for j in jobs] == [date(2026, 3, 5)]
    assert await sends(db) == {(13, "2026-03-02"): "expired", (13, "2026-03-05"): "claimed"}


async def test_late_evening_in_new_york_still_sends_the_missed_reminder(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 12)  # 07:00 in New York
    await add_learner(db, 16, now, zone="America/New_York")
    await service.set_time(16, "18:00", now)  # 23:00 UTC on 03-02
    # Down until 22:00 in New York: 03-03 in UTC already, but 03-02 is still running there.
    jobs = await service.claim_due(utc(2026, 3, 3, 3))
    assert [(j.local_date, j.scheduled_at) for j in jobs] == [
        (date(2026, 3, 2), utc(2026, 3, 2, 23))
    ]
    assert await sends(db) == {(16, "2026-03-02"): "claimed"}
    assert await next_at(db, 16) == utc(2026, 3, 3, 23)


async def test_kiritimati_day_over_before_utcs_drops_the_missed_reminder(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 3, 0)  # 14:00 on 03-03 in Kiritimati (UTC+14)
    await add_learner(db, 17, now, zone="Pacific/Kiritimati")
    await service.set_time(17, "20:00", now)  # 06:00 UTC on 03-03
    # Down until 11:00 UTC, still 03-03 in UTC but 01:00 on 03-04 in Kiritimati:
    # the learner's 03-03 is over, and 03-04's reminder is not due yet.
    assert await service.claim_due(utc(2026, 3, 3, 11)) == []
    assert await sends(db) == {(17, "2026-03-03"): "expired"}
    assert await next_at(db, 17) == utc(2026, 3, 4, 6)


# --- DST days, driven through claim_due -----------------------------------------------


async def simulate(
    service: ReminderService, start: datetime, end: datetime, step: timedelta
) -> list[tuple[datetime, ReminderJob]]:
    """Call claim_due every ``step`` from ``start`` to ``end``; (claim time, job) pairs."""
    got: list[tuple[datetime, ReminderJob]] = []
    now = start
    while now <= end:
        got.extend((now, job) for job in await service.claim_due(now))
        now += step
    return got


async def test_spring_forward_reminder_in_the_gap_fires_once_at_three(
    service: ReminderService, db: Database
):
    start = utc(2026, 3, 7, 12)
    await add_learner(db, 14, start, zone="America/New_York")
    await service.set_time(14, "02:30", start)
    got = await simulate(service, start, utc(2026, 3, 9, 12), timedelta(minutes=5))
    assert [(job.local_date, job.scheduled_at) for _, job in got] == [
        (date(2026, 3, 8), utc(2026, 3, 8, 7)),  # 03:00 EDT: the first instant after the gap
        (date(2026, 3, 9), utc(2026, 3, 9, 6, 30)),  # 02:30 EDT
    ]
    assert got[0][0] == utc(2026, 3, 8, 7)


async def test_fall_back_reminder_in_the_repeated_hour_fires_once(
    service: ReminderService, db: Database
):
    start = utc(2026, 10, 31, 12)
    await add_learner(db, 15, start, zone="America/New_York")
    await service.set_time(15, "01:30", start)
    got = await simulate(service, start, utc(2026, 11, 2, 12), timedelta(minutes=5))
    assert [(job.local_date, job.scheduled_at) for _, job in got] == [
        (date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),  # the first 01:30 (EDT)
        (date(2026, 11, 2), utc(2026, 11, 2, 6, 30)),  # 01:30 EST
    ]


DST_ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/St_Johns",
    "Asia/Kathmandu",
    "UTC",
]
TRANSITIONS = [utc(2026, 3, 8, 7), utc(2026, 3, 29, 1), utc(2026, 10, 4, 0), utc(2026, 11, 1, 6)]


@settings(
    derandomize=True,
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    zone_name=st.sampled_from(DST_ZONES),
    hour=st.integers(0, 21),
    minute=st.sampled_from([0, 15, 30, 45]),
    transition=st.sampled_from(TRANSITIONS),
    offset_minutes=st.integers(-48 * 60, 0),
    gaps=st.lists(st.integers(1, 20), min_size=200, max_size=200),
)
def test_property_one_reminder_per_local_date_never_early(
    zone_name: str,
    hour: int,
    minute: int,
    transition: datetime,
    offset_minutes: int,
    gaps: list[int],
):
    """Ticks at random gaps of up to 20 minutes around a DST change, in many zones.

    Every local date whose reminder instant falls in the window gets exactly one job,
    claimed at or after that instant and before the date ends; no date gets two.
    """
    zone = ZoneInfo(zone_name)
    local_time = time(hour, minute)
    start = transition + timedelta(minutes=offset_minutes)

    async def run() -> tuple[list[tuple[datetime, ReminderJob]], datetime]:
        with tempfile.TemporaryDirectory() as folder:
            db = await Database.open(Path(folder) / "p.db")
            try:
                service = ReminderService(db)
                await add_learner(db, 1, start, zone=zone_name)
                await service.set_time(1, f"{hour:02d}:{minute:02d}", start)
                got: list[tuple[datetime, ReminderJob]] = []
                now = start
                for gap in gaps:
                    now += timedelta(minutes=gap)
                    got.extend((now, job) for job in await service.claim_due(now))
                return got, now
            finally:
                await db.close()

    got, end = asyncio.run(run())
    dates = [job.local_date for _, job in got]
    assert len(dates) == len(set(dates))
    for claimed_at, job in got:
        assert job.scheduled_at == reminder_instant_for_date(job.local_date, local_time, zone)
        assert job.scheduled_at <= claimed_at
        assert local_date(claimed_at, zone) == job.local_date
    # Every date whose reminder came after set-up and at least 20 minutes before the
    # last tick (the largest gap) was claimed.
    day = local_date(start, zone) - timedelta(days=1)
    expected = set()
    while day <= local_date(end, zone):
        instant = reminder_instant_for_date(day, local_time, zone)
        if start < instant <= end - timedelta(minutes=20):
            expected.add(day)
        day += timedelta(days=1)
    assert expected <= set(dates)


# --- who gets a DM -----------------------------------------------------------------


async def test_studied_today_and_nothing_due_gets_nothing_but_is_rescheduled(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 6)
    studied = StreakState(current=4, best=4, last_active=DAY)
    await add_learner(db, 16, now, due_cards=0, streak=studied)
    await service.set_time(16, "19:00", now)
    assert await service.claim_due(utc(2026, 3, 2, 19)) == []
    assert await sends(db) == {(16, "2026-03-02"): "skipped"}
    assert await next_at(db, 16) == utc(2026, 3, 3, 19)


async def test_studied_today_with_cards_due_still_gets_the_due_count(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 6)
    studied = StreakState(current=4, best=4, last_active=DAY)
    await add_learner(db, 17, now, due_cards=2, streak=studied)
    await service.set_time(17, "19:00", now)
    [job] = await service.claim_due(utc(2026, 3, 2, 19))
    assert (job.due_count, job.streak, job.at_risk) == (2, 4, False)
    assert job.text() == "2 cards are due for review. Current streak: 4 days."


async def test_a_streak_at_risk_gets_a_reminder_even_with_nothing_due(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 6)
    yesterday = StreakState(current=6, best=6, freezes=0, last_active=DAY - timedelta(days=1))
    await add_learner(db, 18, now, due_cards=0, streak=yesterday)
    await service.set_time(18, "19:00", now)
    [job] = await service.claim_due(utc(2026, 3, 2, 19))
    assert (job.due_count, job.streak, job.at_risk) == (0, 6, True)
    assert job.text() == (
        "No cards are due, but a few new ones will keep your streak going."
        " Your 6-day streak ends at midnight unless you study today."
    )


async def test_a_new_learner_with_nothing_due_and_no_streak_gets_nothing(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 19, now, due_cards=0)
    await service.set_time(19, "07:00", now)
    assert await service.claim_due(utc(2026, 3, 2, 7)) == []
    assert await sends(db) == {(19, "2026-03-02"): "skipped"}


# --- recording how sending went -----------------------------------------------------


async def test_dms_closed_turns_reminders_off_and_records_why(
    service: ReminderService, db: Database
):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 20, now)
    await service.set_time(20, "07:00", now)
    [job] = await service.claim_due(utc(2026, 3, 2, 7))
    await service.mark_failed(job, utc(2026, 3, 2, 7), "403 Forbidden (50007)", dms_closed=True)

    state = await service.settings(20)
    assert state is not None
    assert (state.time, state.off_reason, state.next_at) == (None, OffReason.DMS_CLOSED, None)
    learner = await learners.get(db, 20)
    assert learner is not None and learner.reminders_off_reason == "dms_closed"
    assert await sends(db) == {(20, "2026-03-02"): "dms_closed"}
    assert await service.claim_due(utc(2026, 3, 3, 7)) == []

    notice = await service.take_off_notice(20)
    assert notice is not None and "DMs are closed" in notice
    assert await service.take_off_notice(20) is None  # told once

    again = await service.set_time(20, "07:00", utc(2026, 3, 3, 8))
    assert again.off_reason is None
    state = await service.settings(20)
    assert state is not None and state.off_reason is None and state.time == "07:00"


async def test_other_failures_are_recorded_and_not_retried(service: ReminderService, db: Database):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 21, now)
    await service.set_time(21, "07:00", now)
    [job] = await service.claim_due(utc(2026, 3, 2, 7))
    await service.record_results([(job, SendResult.failed("HTTP 500"))], utc(2026, 3, 2, 7))
    assert await sends(db) == {(21, "2026-03-02"): "failed"}
    assert await service.claim_due(utc(2026, 3, 2, 8)) == []
    state = await service.settings(21)
    assert state is not None and state.time == "07:00"  # still on for tomorrow


async def test_released_claims_are_claimed_again(service: ReminderService, db: Database):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 22, now)
    await service.set_time(22, "07:00", now)
    [job] = await service.claim_due(utc(2026, 3, 2, 7))
    await service.release([job], utc(2026, 3, 2, 7))
    [again] = await service.claim_due(utc(2026, 3, 2, 7, 1))
    assert (again.local_date, again.scheduled_at) == (job.local_date, job.scheduled_at)


async def test_forget_me_removes_reminder_rows(service: ReminderService, db: Database):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 23, now)
    await service.set_time(23, "07:00", now)
    await service.claim_due(utc(2026, 3, 2, 7))
    assert await learners.delete(db, 23)
    assert await db.fetchall("SELECT * FROM reminders") == []
    assert await sends(db) == {}


async def test_prune_forgets_old_records_only(service: ReminderService, db: Database):
    now = utc(2026, 3, 2, 6)
    await add_learner(db, 24, now)
    await service.set_time(24, "07:00", now)
    await service.claim_due(utc(2026, 3, 2, 7))
    assert await service.prune(utc(2026, 3, 20)) == 0
    assert await service.prune(utc(2026, 4, 20)) == 1
