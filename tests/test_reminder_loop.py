"""Tests for bot.reminder_loop: ticks driven by a fake clock, and a real AsyncIOScheduler.

The sender is a fake that records calls; pacing runs on fake time (see test_pacing).
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.base import STATE_STOPPED

from bot.core.clock import FakeClock
from bot.core.learner import Platform
from bot.core.reminders import ReminderJob, SendResult
from bot.core.scheduling import CardScheduler
from bot.core.session import SESSION_IDLE, Status
from bot.decks import DeckLibrary
from bot.pacing import Pacer, RetryAfter
from bot.reminder_loop import PostResult, ReminderLoop, TickReport
from bot.services.daily import DailyPostJob, DailyQuestionService
from bot.services.reminders import ReminderService
from bot.services.study import StudyService, Where
from bot.storage import DatabaseURL, Store, open_store
from bot.storage.codec import to_epoch
from bot.storage.script import execute
from tests.reminder_helpers import add_learner, sends, utc, who
from tests.test_pacing import FakeTime


def n_of(job: ReminderJob) -> int:
    """The learner's number in these tests (their Discord id)."""
    return int(job.identity.external_id)


class FakeSender:
    """Records every DM; can answer "DMs closed" or 429 for chosen learners."""

    def __init__(self) -> None:
        self.calls: list[ReminderJob] = []
        self.closed: set[int] = set()
        self.limit_once: set[int] = set()

    async def send_reminder(self, job: ReminderJob) -> SendResult:
        self.calls.append(job)
        if n_of(job) in self.limit_once:
            self.limit_once.discard(n_of(job))
            raise RetryAfter(3.0)
        if n_of(job) in self.closed:
            return SendResult.dms_closed()
        return SendResult.sent()

    def delivered(self) -> Counter[tuple[int, object]]:
        return Counter((n_of(job), job.local_date) for job in self.calls)


def make_loop(
    db: Store, clock: FakeClock, sender: FakeSender, fake: FakeTime, rate: float = 50
) -> ReminderLoop:
    pacer = Pacer(rate, clock=fake.clock, sleep=fake.sleep, rng=random.Random(1))
    return ReminderLoop(ReminderService(db, clock), sender, pacer, clock=clock, batch_size=25)


async def learners_at(db: Store, count: int, local_time: str, now: datetime) -> None:
    service = ReminderService(db, FakeClock(now))
    for user in range(1, count + 1):
        await add_learner(db, user, now)
        await service.set_time(who(user), local_time)


async def test_a_tick_sends_every_due_reminder_once(db: Store):
    clock = FakeClock(utc(2026, 3, 2, 6))
    await learners_at(db, 60, "07:00", clock())
    sender, fake = FakeSender(), FakeTime()
    loop = make_loop(db, clock, sender, fake)

    assert (await loop.reminder_tick()).claimed == 0  # 06:00: nothing due
    clock.set(utc(2026, 3, 2, 7))
    report = await loop.reminder_tick()
    assert (report.claimed, report.sent, report.batches) == (60, 60, 3)
    assert (await loop.reminder_tick()).claimed == 0
    assert set(sender.delivered().values()) == {1}
    assert len(sender.delivered()) == 60
    assert set((await sends(db)).values()) == {"sent"}
    # 60 DMs at 50/s took a bit over a second of (fake) time, never a burst.
    assert fake.now - 1000.0 >= 59 / 50 * 0.8


async def test_the_time_budget_leaves_the_rest_for_the_next_tick(db: Store):
    clock = FakeClock(utc(2026, 3, 2, 7))
    await learners_at(db, 60, "07:00", utc(2026, 3, 2, 6))
    sender, fake = FakeSender(), FakeTime()
    pacer = Pacer(10, jitter=0, clock=fake.clock, sleep=fake.sleep)
    # 10/s, batches of 10 (1 s each), 3 s interval: budget = 3 - 2 = 1 s, one batch a tick.
    loop = ReminderLoop(
        ReminderService(db, clock), sender, pacer, clock=clock, interval=3, batch_size=10
    )
    first = await loop.reminder_tick()
    assert first.claimed == 20  # the second batch starts at the budget's edge, then stops
    rest = await loop.reminder_tick(drain=True)
    assert first.claimed + rest.claimed == 60
    assert len(sender.delivered()) == 60 and set(sender.delivered().values()) == {1}


async def test_catch_up_after_five_hours_down_is_one_dm(db: Store):
    clock = FakeClock(utc(2026, 3, 2, 6))
    await learners_at(db, 1, "09:00", clock())
    sender, fake = FakeSender(), FakeTime()
    loop = make_loop(db, clock, sender, fake)
    await loop.reminder_tick()
    clock.set(utc(2026, 3, 2, 8, 59))
    await loop.reminder_tick()
    clock.advance(timedelta(hours=5))  # the bot was down
    for _ in range(10):  # ten ticks after coming back
        await loop.reminder_tick()
        clock.advance(timedelta(seconds=30))
    assert [(job.local_date.isoformat(), job.scheduled_at) for job in sender.calls] == [
        ("2026-03-02", utc(2026, 3, 2, 9))
    ]


async def test_downtime_past_the_day_end_sends_nothing_and_resumes_next_day(db: Store):
    clock = FakeClock(utc(2026, 3, 2, 6))
    await learners_at(db, 1, "22:00", clock())
    sender, fake = FakeSender(), FakeTime()
    loop = make_loop(db, clock, sender, fake)
    clock.set(utc(2026, 3, 3, 0, 30))  # down from 06:00 to 00:30 the next day
    await loop.reminder_tick()
    assert sender.calls == []
    clock.set(utc(2026, 3, 3, 22))
    await loop.reminder_tick()
    assert [job.local_date.isoformat() for job in sender.calls] == ["2026-03-03"]


async def test_dms_closed_through_the_loop_turns_that_learner_off(db: Store):
    clock = FakeClock(utc(2026, 3, 2, 6))
    await learners_at(db, 3, "07:00", clock())
    sender, fake = FakeSender(), FakeTime()
    sender.closed = {2}
    loop = make_loop(db, clock, sender, fake)
    clock.set(utc(2026, 3, 2, 7))
    report = await loop.reminder_tick()
    assert (report.sent, report.dms_closed) == (2, 1)
    state = await ReminderService(db, clock).settings(who(2))
    assert state is not None and (state.time, state.off_reason) == (None, "dms_closed")
    clock.set(utc(2026, 3, 3, 7))
    await loop.reminder_tick()
    assert sorted(n_of(job) for job in sender.calls if job.local_date.day == 3) == [1, 3]


async def test_a_429_is_waited_out_and_the_dm_is_sent_once(db: Store):
    clock = FakeClock(utc(2026, 3, 2, 7))
    await learners_at(db, 5, "07:00", utc(2026, 3, 2, 6))
    sender, fake = FakeSender(), FakeTime()
    sender.limit_once = {3}
    loop = make_loop(db, clock, sender, fake)
    report = await loop.reminder_tick()
    assert report.sent == 5
    assert [n_of(job) for job in sender.calls].count(3) == 2  # the 429, then the retry
    assert set((await sends(db)).values()) == {"sent"}
    assert loop.pacer.stats.retries == 1


async def test_stopping_mid_batch_releases_unsent_claims_for_the_next_run(db: Store):
    clock = FakeClock(utc(2026, 3, 2, 7))
    await learners_at(db, 10, "07:00", utc(2026, 3, 2, 6))
    fake = FakeTime()
    loop: ReminderLoop
    stopping: list[asyncio.Task[None]] = []

    class StopAfterThree(FakeSender):
        async def send_reminder(self, job: ReminderJob) -> SendResult:
            if len(self.calls) == 2:  # a shutdown arrives while the third DM is sent
                stopping.append(asyncio.get_running_loop().create_task(loop.stop()))
            return await super().send_reminder(job)

    sender = StopAfterThree()
    loop = ReminderLoop(
        ReminderService(db, clock),
        sender,
        Pacer(50, max_in_flight=1, clock=fake.clock, sleep=fake.sleep),
        clock=clock,
        batch_size=10,
    )
    report = await loop.reminder_tick()
    await stopping[0]  # stop() returns once the tick has finished
    assert report.sent == 3 and report.released == 7
    assert (await loop.reminder_tick()).claimed == 0  # stopped: claims nothing more

    # The next process picks up exactly the seven unsent reminders.
    after = make_loop(db, clock, FakeSender(), FakeTime())
    clock.advance(timedelta(seconds=30))
    rest = await after.reminder_tick()
    assert rest.sent == 7
    sent_to = [n_of(j) for j in sender.calls] + [n_of(j) for j in rest_calls(after)]
    assert sorted(sent_to) == list(range(1, 11))


def rest_calls(loop: ReminderLoop) -> list[ReminderJob]:
    assert isinstance(loop.sender, FakeSender)
    return loop.sender.calls


async def test_two_loops_on_one_database_never_send_twice(database_url: DatabaseURL, db: Store):
    second = await open_store(database_url)
    try:
        clock = FakeClock(utc(2026, 3, 2, 6))
        await learners_at(db, 200, "07:00", clock())
        sender = FakeSender()  # one "Discord" that both processes send through
        loops = [
            make_loop(db, clock, sender, FakeTime()),
            make_loop(second, clock, sender, FakeTime()),
        ]
        for minute in range(3):
            clock.set(utc(2026, 3, 2, 7, minute))
            await asyncio.gather(*(loop.reminder_tick() for loop in loops))
        assert len(sender.delivered()) == 200
        assert set(sender.delivered().values()) == {1}
    finally:
        await second.close()


async def test_a_loop_sends_only_to_its_own_platform(db: Store):
    clock = FakeClock(utc(2026, 3, 2, 6))
    service = ReminderService(db, clock)
    for n, platform in ((1, Platform.DISCORD), (2, Platform.SLACK)):
        await add_learner(db, who(n, platform), clock())
        await service.set_time(who(n, platform), "07:00")
    sender = FakeSender()
    loop = make_loop(db, clock, sender, FakeTime())
    clock.set(utc(2026, 3, 2, 7))
    report = await loop.reminder_tick(drain=True)  # drain: it must still end
    assert report.sent == 1
    assert [job.identity for job in sender.calls] == [who(1)]


# --- the daily question job ------------------------------------------------------------


class FakePoster:
    def __init__(self) -> None:
        self.posts: list[DailyPostJob] = []

    async def post_daily(self, job: DailyPostJob) -> PostResult:
        self.posts.append(job)
        return PostResult.posted(str(5000 + job.post_id))


async def test_daily_tick_posts_once_per_day(
    db: Store, library: DeckLibrary, scheduler: CardScheduler
):
    clock = FakeClock(utc(2026, 3, 2, 8))
    daily = DailyQuestionService(db, library, scheduler, clock)
    await daily.configure(who(77), "700", "09:00", "UTC", None)
    poster, fake = FakePoster(), FakeTime()
    loop = ReminderLoop(
        ReminderService(db, clock),
        FakeSender(),
        Pacer(50, clock=fake.clock, sleep=fake.sleep),
        clock=clock,
        daily=daily,
        poster=poster,
    )
    assert await loop.daily_tick() == 0
    clock.set(utc(2026, 3, 2, 9))
    assert await loop.daily_tick() == 1
    assert await loop.daily_tick() == 0
    [job] = poster.posts
    post = await daily.post(job.post_id)
    assert post is not None and (post.status, post.message) == ("posted", str(5000 + job.post_id))
    assert job.channel == "700"


# --- a real AsyncIOScheduler ---------------------------------------------------------------


async def test_the_scheduler_runs_the_job_repeatedly_and_shuts_down_cleanly(db: Store):
    await add_learner(db, 1, datetime.now(UTC))
    await ReminderService(db, lambda: datetime.now(UTC)).set_time(who(1), "07:00")
    # Make it due right now, whatever the real time is.
    await db.write(execute("UPDATE reminders SET next_at = ?", to_epoch(datetime.now(UTC)) - 1))
    three_ticks = asyncio.Event()
    ticks = 0

    class CountingLoop(ReminderLoop):
        async def reminder_tick(self, *, drain: bool = False) -> TickReport:
            nonlocal ticks
            report = await super().reminder_tick(drain=drain)
            ticks += 1
            if ticks >= 3:
                three_ticks.set()
            return report

    sender = FakeSender()
    loop = CountingLoop(
        ReminderService(db, lambda: datetime.now(UTC)), sender, Pacer(100), interval=0.05
    )
    scheduler = loop.start()
    assert scheduler.running
    assert {job.id for job in scheduler.get_jobs()} == {"recall-reminders", "recall-reminder-prune"}
    try:
        await asyncio.wait_for(three_ticks.wait(), timeout=10)
    finally:
        await loop.stop()
    await asyncio.sleep(0)  # the scheduler shuts down on the next loop iteration
    # A stopped scheduler fires nothing more: that is the check, rather than waiting a
    # while to see that no tick comes (a sleep proves little on a loaded machine).
    assert not scheduler.running
    assert scheduler.state == STATE_STOPPED
    assert loop.scheduler is None
    assert [n_of(job) for job in sender.calls] == [1]  # three ticks, one DM


@pytest.fixture
def db(store: Store) -> Store:
    """The test's database (each backend in turn)."""
    return store


async def test_the_prune_job_tidies_old_sessions_too(
    db: Store, study: StudyService, clock: FakeClock
):
    view = await study.start(who(1), Where(community=None, channel="20"), count=2)
    loop = make_loop(db, clock, FakeSender(), FakeTime(), rate=10)
    loop.housekeeping = study.tidy_sessions  # what the cog wires: bot.study.tidy_sessions
    clock.advance(SESSION_IDLE + timedelta(seconds=1))
    await loop.prune_tick()
    after = await study.view(view.session.id)
    assert after.session.status is Status.EXPIRED
