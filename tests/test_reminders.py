"""Tests for the reminder service: settings, claim-once, catch-up, DST days, who gets a DM.

Every test runs on SQLite and on PostgreSQL (the ``store`` fixture) at explicit
instants; "two processes" are two :class:`Store` objects opened on one database.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.clock import FakeClock
from bot.core.learner import Platform
from bot.core.reminder_planning import reminder_instant_for_date
from bot.core.reminders import OffReason, ReminderJob, SendResult
from bot.core.streaks import StreakState
from bot.core.timezones import InvalidLocalTime, local_date
from bot.services.reminders import ReminderService
from bot.storage import DatabaseURL, Store, learners, open_store
from bot.storage.script import execute
from tests.reminder_helpers import add_learner, count, sends, utc, who

DISCORD = Platform.DISCORD
DAY = date(2026, 3, 2)


@pytest.fixture
def service(store: Store, clock: FakeClock) -> ReminderService:
    return ReminderService(store, clock)


def at(service: ReminderService, when: datetime) -> ReminderService:
    """Move the service's (fake) clock to ``when``."""
    assert isinstance(service.clock, FakeClock)
    service.clock.set(when)
    return service


async def claim(
    service: ReminderService, when: datetime, limit: int = 200, platform: Platform = DISCORD
) -> list[ReminderJob]:
    return await at(service, when).claim_due(platform, limit)


async def set_time(service: ReminderService, n: int, text: str, when: datetime):
    return await at(service, when).set_time(who(n), text)


async def set_zone(store: Store, n: int, zone: str) -> None:
    await store.write(
        execute("UPDATE learners SET time_zone = ? WHERE external_id = ?", zone, str(n))
    )


async def next_at(service: ReminderService, n: int) -> datetime | None:
    stored = await service.settings(who(n))
    assert stored is not None
    return stored.next_at


# --- settings ----------------------------------------------------------------------


async def test_set_time_plans_in_utc_until_a_zone_is_set(service: ReminderService):
    result = await set_time(service, 1, "7:30", utc(2026, 3, 2, 12))
    assert (result.time, result.zone, result.zone_is_default) == ("07:30", "UTC", True)
    assert result.next_at == utc(2026, 3, 3, 7, 30)  # 07:30 today has passed: tomorrow
    assert await next_at(service, 1) == utc(2026, 3, 3, 7, 30)


async def test_set_time_uses_the_learner_zone_and_today_if_still_ahead(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 12)
    await add_learner(store, 2, now, zone="Europe/Paris", due_cards=0)
    result = await set_time(service, 2, "18:00", now)
    assert (result.zone, result.zone_is_default) == ("Europe/Paris", False)
    assert result.next_at == utc(2026, 3, 2, 17)  # 18:00 CET, still today


@pytest.mark.parametrize("text", ["24:00", "12:60", "7pm", "", "07:30:00", "٠٧:٣٠", "7.30"])
async def test_bad_times_are_refused_and_nothing_is_stored(service: ReminderService, text: str):
    with pytest.raises(InvalidLocalTime, match="HH:MM"):
        await set_time(service, 3, text, utc(2026, 3, 2, 12))
    assert await service.settings(who(3)) is None


async def test_turn_off_stops_reminders(service: ReminderService, store: Store):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 4, now)
    await set_time(service, 4, "07:00", now)
    assert await service.turn_off(who(4)) is True
    assert await service.turn_off(who(4)) is False
    assert await service.turn_off(who(404)) is False  # never used Recall
    settings_ = await service.settings(who(4))
    assert settings_ is not None and settings_.time is None and settings_.next_at is None
    assert await claim(service, utc(2026, 3, 2, 8)) == []


async def test_replan_after_a_zone_change(service: ReminderService, store: Store):
    now = utc(2026, 3, 2, 12)
    await set_time(service, 5, "07:00", now)
    await set_zone(store, 5, "Asia/Tokyo")
    # 07:00 in Tokyo on 03-03 is 22:00 UTC on 03-02.
    assert await at(service, now).replan(who(5)) == utc(2026, 3, 2, 22)
    assert await service.replan(who(999)) is None


async def test_a_zone_change_without_replan_is_noticed_at_claim(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 6, now)
    await set_time(service, 6, "07:00", now)  # 07:00 UTC
    await set_zone(store, 6, "America/New_York")
    # At the stale 07:00 UTC instant it is 02:00 in New York: nothing yet, re-planned.
    assert await claim(service, utc(2026, 3, 2, 7)) == []
    assert await next_at(service, 6) == utc(2026, 3, 2, 12)  # 07:00 EST
    [job] = await claim(service, utc(2026, 3, 2, 12))
    assert job.local_date == DAY


# --- claiming once -----------------------------------------------------------------


async def test_claim_returns_a_due_reminder_once_and_moves_to_the_next_day(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 6)
    learner_id = await add_learner(store, 7, now, due_cards=3)
    await set_time(service, 7, "07:00", now)
    assert await claim(service, utc(2026, 3, 2, 6, 59)) == []
    [job] = await claim(service, utc(2026, 3, 2, 7))
    assert (job.learner_id, job.identity, job.local_date, job.due_count) == (
        learner_id,
        who(7),
        DAY,
        3,
    )
    assert job.scheduled_at == utc(2026, 3, 2, 7)
    assert await claim(service, utc(2026, 3, 2, 7, 1)) == []
    assert await next_at(service, 7) == utc(2026, 3, 3, 7)
    assert await sends(store) == {(7, "2026-03-02"): "claimed"}


async def test_a_claim_is_for_one_platform_only(service: ReminderService, store: Store):
    """The Discord process claims Discord learners; a Slack learner waits for Slack's."""
    now = utc(2026, 3, 2, 6)
    slack = who(30, Platform.SLACK)
    await add_learner(store, slack, now)
    await add_learner(store, 30, now)  # the same external id on Discord: another learner
    await at(service, now).set_time(slack, "07:00")
    await set_time(service, 30, "07:00", now)
    at(service, utc(2026, 3, 2, 7))
    [discord_job] = await service.claim_due(DISCORD)
    assert discord_job.identity == who(30)
    assert await service.claim_due(DISCORD) == []
    assert not await service.has_due(DISCORD)  # a Discord loop does not spin on Slack's
    assert await service.has_due(Platform.SLACK)
    [slack_job] = await service.claim_due(Platform.SLACK)
    assert slack_job.identity == slack
    assert not await service.has_due(Platform.SLACK)


async def test_two_processes_claiming_concurrently_claim_each_reminder_once(
    database_url: DatabaseURL, store: Store, caplog: pytest.LogCaptureFixture
):
    """Two stores on one database (two processes' connections) race over a backlog:
    each (learner, date) is claimed exactly once, on both backends, and no claim ever
    met a date another had decided (the rows are held, not fought over)."""
    now = utc(2026, 3, 2, 6)
    setup = ReminderService(store, FakeClock(now))
    for n in range(1, 301):
        await add_learner(store, n, now)
        await setup.set_time(who(n), "07:00")
    second = await open_store(database_url)
    try:

        async def drain(db: Store, when: datetime, limit: int) -> list[ReminderJob]:
            service, got = ReminderService(db, FakeClock(when)), []
            while batch := await service.claim_due(DISCORD, limit):
                got.extend(batch)
                # Yield so the other store's claim can interleave; whoever wins, the
                # result must not depend on it.
                await asyncio.sleep(0)
            return got

        # Day 1: two stores, two claimers each, race over the whole backlog.
        when = utc(2026, 3, 2, 7, 0, 30)
        results = await asyncio.gather(
            drain(store, when, 17),
            drain(second, when, 13),
            drain(store, when, 11),
            drain(second, when, 19),
        )
        jobs = [job for batch in results for job in batch]
        claimed = Counter((job.identity, job.local_date) for job in jobs)
        assert len(claimed) == 300
        assert max(claimed.values()) == 1
        # Which store won how many is up to the machine's timing (on SQLite one store's
        # claimers may drain the backlog before the other's BEGIN IMMEDIATE gets in);
        # day 2 below makes both take part for certain.

        # Day 2: strictly alternating claims, so both certainly take part.
        services = [
            ReminderService(store, FakeClock(utc(2026, 3, 3, 7))),
            ReminderService(second, FakeClock(utc(2026, 3, 3, 7))),
        ]
        day2: list[ReminderJob] = []
        turn = 0
        while batch := await services[turn % 2].claim_due(DISCORD, limit=40):
            day2.extend(batch)
            turn += 1
        assert turn >= 2
        assert len(day2) == len({job.identity for job in day2}) == 300
        assert len(await sends(store)) == 600
        assert not [r for r in caplog.records if r.name == "bot.services.reminders"]
    finally:
        await second.close()


async def test_a_restart_after_claiming_does_not_send_again(
    database_url: DatabaseURL, store: Store
):
    service = ReminderService(store, FakeClock(utc(2026, 3, 2, 6)))
    await add_learner(store, 8, utc(2026, 3, 2, 6))
    await service.set_time(who(8), "07:00")
    [job] = await claim(service, utc(2026, 3, 2, 7))
    await service.mark_sent(job)

    reopened = await open_store(database_url)  # another process, or the next start
    try:
        again = ReminderService(reopened, FakeClock(utc(2026, 3, 2, 7)))
        assert await again.claim_due(DISCORD) == []
        assert await claim(again, utc(2026, 3, 2, 23, 59)) == []
        assert await sends(reopened) == {(8, "2026-03-02"): "sent"}
    finally:
        await reopened.close()


async def test_a_crash_between_claim_and_send_loses_that_day_rather_than_sending_twice(
    database_url: DatabaseURL,
):
    """At most once: a claim that never reached mark_sent is not re-sent that day."""
    first = await open_store(database_url)
    service = ReminderService(first, FakeClock(utc(2026, 3, 2, 6)))
    await add_learner(first, 9, utc(2026, 3, 2, 6))
    await service.set_time(who(9), "07:00")
    assert len(await claim(service, utc(2026, 3, 2, 7))) == 1
    await first.close()  # "crash": the DM may or may not have gone out; nothing recorded

    reopened = await open_store(database_url)
    try:
        service = ReminderService(reopened, FakeClock(utc(2026, 3, 2, 7)))
        for hour in (7, 9, 15, 23):
            assert await claim(service, utc(2026, 3, 2, hour, 30)) == []
        assert await sends(reopened) == {(9, "2026-03-02"): "claimed"}
        [tomorrow] = await claim(service, utc(2026, 3, 3, 7))
        assert tomorrow.local_date == date(2026, 3, 3)
    finally:
        await reopened.close()


async def test_changing_the_time_after_todays_reminder_does_not_remind_twice(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 10, now)
    await set_time(service, 10, "07:00", now)
    assert len(await claim(service, utc(2026, 3, 2, 7))) == 1
    await set_time(service, 10, "20:00", utc(2026, 3, 2, 8))  # later the same day
    assert await claim(service, utc(2026, 3, 2, 20)) == []
    assert await next_at(service, 10) == utc(2026, 3, 3, 20)


# --- catch-up after downtime -------------------------------------------------------


async def test_five_hours_of_downtime_give_one_late_reminder_not_five(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 11, now)
    await set_time(service, 11, "09:00", now)
    jobs = await claim(service, utc(2026, 3, 2, 14))  # down from 08:59 to 14:00
    assert [(j.local_date, j.scheduled_at) for j in jobs] == [(DAY, utc(2026, 3, 2, 9))]
    assert await claim(service, utc(2026, 3, 2, 14, 0, 30)) == []
    assert await next_at(service, 11) == utc(2026, 3, 3, 9)


async def test_downtime_past_the_local_day_skips_it_and_schedules_the_next(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 12)  # 07:00 in New York
    await add_learner(store, 12, now, zone="America/New_York")
    await set_time(service, 12, "09:00", now)  # 14:00 UTC today
    # Down until 03:00 New York time the next day: 03-02 is over there.
    assert await claim(service, utc(2026, 3, 3, 8)) == []
    assert await sends(store) == {(12, "2026-03-02"): "expired"}
    assert await next_at(service, 12) == utc(2026, 3, 3, 14)
    [job] = await claim(service, utc(2026, 3, 3, 14))
    assert job.local_date == date(2026, 3, 3)


async def test_downtime_over_several_days_sends_only_todays(service: ReminderService, store: Store):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 13, now)
    await set_time(service, 13, "07:00", now)
    jobs = await claim(service, utc(2026, 3, 5, 10))  # back on 03-05 at 10:00
    assert [j.local_date for j in jobs] == [date(2026, 3, 5)]
    assert await sends(store) == {(13, "2026-03-02"): "expired", (13, "2026-03-05"): "claimed"}


async def test_late_evening_in_new_york_still_sends_the_missed_reminder(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 12)  # 07:00 in New York
    await add_learner(store, 16, now, zone="America/New_York")
    await set_time(service, 16, "18:00", now)  # 23:00 UTC on 03-02
    # Down until 22:00 in New York: 03-03 in UTC already, but 03-02 is still running there.
    jobs = await claim(service, utc(2026, 3, 3, 3))
    assert [(j.local_date, j.scheduled_at) for j in jobs] == [
        (date(2026, 3, 2), utc(2026, 3, 2, 23))
    ]
    assert await sends(store) == {(16, "2026-03-02"): "claimed"}
    assert await next_at(service, 16) == utc(2026, 3, 3, 23)


async def test_kiritimati_day_over_before_utcs_drops_the_missed_reminder(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 3, 0)  # 14:00 on 03-03 in Kiritimati (UTC+14)
    await add_learner(store, 17, now, zone="Pacific/Kiritimati")
    await set_time(service, 17, "20:00", now)  # 06:00 UTC on 03-03
    # Down until 11:00 UTC, still 03-03 in UTC but 01:00 on 03-04 in Kiritimati:
    # the learner's 03-03 is over, and 03-04's reminder is not due yet.
    assert await claim(service, utc(2026, 3, 3, 11)) == []
    assert await sends(store) == {(17, "2026-03-03"): "expired"}
    assert await next_at(service, 17) == utc(2026, 3, 4, 6)


# --- DST days, driven through claim_due -----------------------------------------------


async def simulate(
    service: ReminderService, start: datetime, end: datetime, step: timedelta
) -> list[tuple[datetime, ReminderJob]]:
    """Claim every ``step`` from ``start`` to ``end``; (claim time, job) pairs."""
    got: list[tuple[datetime, ReminderJob]] = []
    now = start
    while now <= end:
        got.extend((now, job) for job in await claim(service, now))
        now += step
    return got


async def test_spring_forward_reminder_in_the_gap_fires_once_at_three(
    service: ReminderService, store: Store
):
    start = utc(2026, 3, 7, 12)
    await add_learner(store, 14, start, zone="America/New_York")
    await set_time(service, 14, "02:30", start)
    got = await simulate(service, start, utc(2026, 3, 9, 12), timedelta(minutes=15))
    assert [(job.local_date, job.scheduled_at) for _, job in got] == [
        (date(2026, 3, 8), utc(2026, 3, 8, 7)),  # 03:00 EDT: the first instant after the gap
        (date(2026, 3, 9), utc(2026, 3, 9, 6, 30)),  # 02:30 EDT
    ]
    assert got[0][0] == utc(2026, 3, 8, 7)


async def test_fall_back_reminder_in_the_repeated_hour_fires_once(
    service: ReminderService, store: Store
):
    start = utc(2026, 10, 31, 12)
    await add_learner(store, 15, start, zone="America/New_York")
    await set_time(service, 15, "01:30", start)
    got = await simulate(service, start, utc(2026, 11, 2, 12), timedelta(minutes=15))
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
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
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
    database_url: DatabaseURL,
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
        db = await open_store(database_url)
        try:
            # One database for every example: each starts from no learner at all.
            await db.write(execute("DELETE FROM learners"))
            service = ReminderService(db, FakeClock(start))
            await add_learner(db, 1, start, zone=zone_name)
            await service.set_time(who(1), f"{hour:02d}:{minute:02d}")
            got: list[tuple[datetime, ReminderJob]] = []
            now = start
            for gap in gaps:
                now += timedelta(minutes=gap)
                got.extend((now, job) for job in await claim(service, now))
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
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 6)
    studied = StreakState(current=4, best=4, last_active=DAY)
    await add_learner(store, 16, now, due_cards=0, streak=studied)
    await set_time(service, 16, "19:00", now)
    assert await claim(service, utc(2026, 3, 2, 19)) == []
    assert await sends(store) == {(16, "2026-03-02"): "skipped"}
    assert await next_at(service, 16) == utc(2026, 3, 3, 19)


async def test_studied_today_with_cards_due_still_gets_the_due_count(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 6)
    studied = StreakState(current=4, best=4, last_active=DAY)
    await add_learner(store, 17, now, due_cards=2, streak=studied)
    await set_time(service, 17, "19:00", now)
    [job] = await claim(service, utc(2026, 3, 2, 19))
    assert (job.due_count, job.streak, job.at_risk) == (2, 4, False)


async def test_a_streak_at_risk_gets_a_reminder_even_with_nothing_due(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 6)
    yesterday = StreakState(current=6, best=6, freezes=0, last_active=DAY - timedelta(days=1))
    await add_learner(store, 18, now, due_cards=0, streak=yesterday)
    await set_time(service, 18, "19:00", now)
    [job] = await claim(service, utc(2026, 3, 2, 19))
    assert (job.due_count, job.streak, job.freezes, job.at_risk) == (0, 6, 0, True)


async def test_a_new_learner_with_nothing_due_and_no_streak_gets_nothing(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 19, now, due_cards=0)
    await set_time(service, 19, "07:00", now)
    assert await claim(service, utc(2026, 3, 2, 7)) == []
    assert await sends(store) == {(19, "2026-03-02"): "skipped"}


# --- recording how sending went -----------------------------------------------------


async def test_dms_closed_turns_reminders_off_and_records_why(
    service: ReminderService, store: Store
):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 20, now)
    await set_time(service, 20, "07:00", now)
    [job] = await claim(service, utc(2026, 3, 2, 7))
    await service.record_results([(job, SendResult.dms_closed("403 Forbidden (50007)"))])

    state = await service.settings(who(20))
    assert state is not None
    assert (state.time, state.off_reason, state.next_at) == (None, OffReason.DMS_CLOSED, None)
    learner = await store.read(learners.find(who(20)))
    assert learner is not None and learner.reminders_off_reason == "dms_closed"
    assert await sends(store) == {(20, "2026-03-02"): "dms_closed"}
    assert await claim(service, utc(2026, 3, 3, 7)) == []

    assert await service.take_off_notice(who(20)) == OffReason.DMS_CLOSED
    assert await service.take_off_notice(who(20)) is None  # told once
    assert await service.take_off_notice(who(404)) is None

    again = await set_time(service, 20, "07:00", utc(2026, 3, 3, 8))
    assert again.off_reason is None
    state = await service.settings(who(20))
    assert state is not None and state.off_reason is None and state.time == "07:00"


async def test_concurrent_replies_take_the_notice_once(service: ReminderService, store: Store):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 25, now)
    await set_time(service, 25, "07:00", now)
    [job] = await claim(service, utc(2026, 3, 2, 7))
    await service.record_results([(job, SendResult.dms_closed())])
    taken = await asyncio.gather(*(service.take_off_notice(who(25)) for _ in range(8)))
    assert taken.count(OffReason.DMS_CLOSED) == 1
    assert taken.count(None) == 7


async def test_other_failures_are_recorded_and_not_retried(service: ReminderService, store: Store):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 21, now)
    await set_time(service, 21, "07:00", now)
    [job] = await claim(service, utc(2026, 3, 2, 7))
    await service.record_results([(job, SendResult.failed("HTTP 500"))])
    assert await sends(store) == {(21, "2026-03-02"): "failed"}
    assert await claim(service, utc(2026, 3, 2, 8)) == []
    state = await service.settings(who(21))
    assert state is not None and state.time == "07:00"  # still on for tomorrow


async def test_released_claims_are_claimed_again(service: ReminderService, store: Store):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 22, now)
    await set_time(service, 22, "07:00", now)
    [job] = await claim(service, utc(2026, 3, 2, 7))
    await service.release([job])
    [again] = await claim(service, utc(2026, 3, 2, 7, 1))
    assert (again.local_date, again.scheduled_at) == (job.local_date, job.scheduled_at)


async def test_forget_me_removes_reminder_rows(service: ReminderService, store: Store):
    now = utc(2026, 3, 2, 6)
    learner_id = await add_learner(store, 23, now)
    await set_time(service, 23, "07:00", now)
    await claim(service, utc(2026, 3, 2, 7))
    assert await store.write(learners.delete(learner_id))
    assert await count(store, "reminders") == 0
    assert await sends(store) == {}


async def test_prune_forgets_old_records_only(service: ReminderService, store: Store):
    now = utc(2026, 3, 2, 6)
    await add_learner(store, 24, now)
    await set_time(service, 24, "07:00", now)
    await claim(service, utc(2026, 3, 2, 7))
    assert await at(service, utc(2026, 3, 20)).prune() == 0
    assert await at(service, utc(2026, 4, 20)).prune() == 1
