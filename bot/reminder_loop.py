"""APScheduler wiring: periodic jobs that claim due reminders and daily posts and send them.

Plain Python (no discord import): the Discord cog implements :class:`Sender` and
:class:`DailyPoster` and owns the :class:`ReminderLoop`'s life (``start`` in
``cog_load``, ``await stop()`` in ``cog_unload``). A loop claims for one platform
(its front end's learners and communities).

The scheduler holds three jobs in memory, never one per learner: the database is the
record of what is due (``reminders.next_at``), so a restart loses nothing and
several processes sharing one database never send the same reminder (each claim is
one transaction holding the rows it decides about; see
:mod:`bot.services.reminders`). Every job is ``coalesce=True`` and
``max_instances=1``: after a stall, one run catches up on everything that is due.

A reminder tick claims small batches (a few seconds of sending each) and stops
starting new ones well before the next tick is due, so ticks never overlap and a
crash can only strand one small batch of claimed-but-unsent reminders.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.clock import Clock, system_clock
from bot.core.learner import Platform
from bot.core.reminders import ReminderJob, SendResult, SendStatus
from bot.pacing import Delivery, DeliveryStatus, Pacer
from bot.services.daily import DailyPostJob, DailyQuestionService
from bot.services.reminders import ReminderService

__all__ = [
    "DEFAULT_DM_RATE",
    "DEFAULT_INTERVAL",
    "DailyPoster",
    "PostResult",
    "ReminderLoop",
    "Sender",
    "TickReport",
    "production_pacer",
]

log = logging.getLogger(__name__)

DEFAULT_DM_RATE = 8.0
"""DMs started per second. Opening a DM channel and posting to it are two requests,
so this is at most 16 requests/s: a third of Discord's global 50/s, leaving the rest
for interactions. 10,000 reminders in one minute drain in about 21 minutes."""

DEFAULT_INTERVAL = 30.0
"""Seconds between reminder ticks; a reminder goes out at most this late (plus pacing)."""

BATCH_SECONDS = 5.0
"""A claim batch holds about this many seconds of sending (at most 500 reminders)."""

MAX_BATCH = 500


class Sender(Protocol):
    """Sends one reminder DM (implemented by the Discord cog).

    Return :meth:`SendResult.sent`, :meth:`SendResult.dms_closed` (403, code 50007) or
    :meth:`SendResult.failed`; raise :class:`bot.pacing.RetryAfter` on a 429.
    """

    async def send_reminder(self, job: ReminderJob) -> SendResult:
        """Send the DM for ``job``."""
        ...


@dataclass(frozen=True)
class PostResult:
    """How posting a daily question ended."""

    message: str | None = None
    """The front end's id of the message showing the question."""
    error: str | None = None
    disable: bool = False  # the channel is gone or Recall may not post there

    @classmethod
    def posted(cls, message: str) -> PostResult:
        """The question is up in ``message``."""
        return cls(message=message)

    @classmethod
    def failed(cls, error: str, *, disable: bool = False) -> PostResult:
        """It could not be posted; ``disable`` turns the guild's daily question off."""
        return cls(error=error, disable=disable)


class DailyPoster(Protocol):
    """Posts one daily question to its channel (implemented by the Discord cog)."""

    async def post_daily(self, job: DailyPostJob) -> PostResult:
        """Post ``job`` publicly, with one button per option."""
        ...


@dataclass
class TickReport:
    """What one reminder tick did."""

    batches: int = 0
    claimed: int = 0
    sent: int = 0
    dms_closed: int = 0
    failed: int = 0
    released: int = 0
    outcomes: list[tuple[ReminderJob, SendResult]] = field(default_factory=list, repr=False)


def production_pacer() -> Pacer:
    """The pacer the bot runs with: :data:`DEFAULT_DM_RATE`, ±20% jitter."""
    return Pacer(DEFAULT_DM_RATE, jitter=0.2, max_retries=3, max_in_flight=4)


def _result(delivery: Delivery[ReminderJob, SendResult]) -> SendResult:
    if delivery.status is DeliveryStatus.DELIVERED and delivery.result is not None:
        return delivery.result
    if delivery.status is DeliveryStatus.GAVE_UP:
        return SendResult.failed("still rate limited after retries")
    return SendResult.failed(f"{type(delivery.error).__name__}: {delivery.error}")


class ReminderLoop:
    """Claims and sends reminders and daily questions on a timer."""

    def __init__(
        self,
        reminders: ReminderService,
        sender: Sender,
        pacer: Pacer,
        *,
        platform: Platform = Platform.DISCORD,
        clock: Clock = system_clock,
        daily: DailyQuestionService | None = None,
        poster: DailyPoster | None = None,
        interval: float = DEFAULT_INTERVAL,
        batch_size: int | None = None,
        housekeeping: Callable[[datetime], Awaitable[object]] | None = None,
    ) -> None:
        self.reminders = reminders
        self.platform = platform
        self.sender = sender
        self.pacer = pacer
        self.daily = daily
        self.poster = poster
        self.interval = interval
        #: Light clean-up run with the prune job (the study service's old sessions).
        self.housekeeping = housekeeping
        self.batch_size = batch_size or max(1, min(MAX_BATCH, int(pacer.rate * BATCH_SECONDS)))
        self._clock = clock
        self._stopping = False
        self._busy = 0  # ticks running now
        self._idle = asyncio.Event()
        self._idle.set()
        self.scheduler: AsyncIOScheduler | None = None

    def _stopped(self) -> bool:
        return self._stopping

    async def run_batch(self) -> TickReport:
        """Claim one batch, send it through the pacer, record the outcomes."""
        report = TickReport(batches=1)
        jobs = await self.reminders.claim_due(self.platform, self.batch_size)
        report.claimed = len(jobs)
        if not jobs:
            return report
        deliveries = await self.pacer.run(jobs, self.sender.send_reminder, stop=self._stopped)
        skipped = [d.item for d in deliveries if d.status is DeliveryStatus.SKIPPED]
        outcomes = [
            (d.item, _result(d)) for d in deliveries if d.status is not DeliveryStatus.SKIPPED
        ]
        # shield: a cancelled tick must still write down what was already sent.
        await asyncio.shield(self._record(outcomes, skipped))
        report.released = len(skipped)
        report.outcomes = outcomes
        for _, result in outcomes:
            if result.status is SendStatus.SENT:
                report.sent += 1
            elif result.status is SendStatus.DMS_CLOSED:
                report.dms_closed += 1
            else:
                report.failed += 1
        return report

    async def _record(
        self, outcomes: Sequence[tuple[ReminderJob, SendResult]], skipped: Sequence[ReminderJob]
    ) -> None:
        await self.reminders.record_results(outcomes)
        await self.reminders.release(skipped)

    def _enter(self) -> None:
        self._busy += 1
        self._idle.clear()

    def _leave(self) -> None:
        self._busy -= 1
        if self._busy == 0:
            self._idle.set()

    async def reminder_tick(self, *, drain: bool = False) -> TickReport:
        """The periodic job: send batches until nothing is due or the time budget is used.

        The budget ends new batches well before the next tick (so runs never overlap);
        ``drain=True`` ignores it (benchmarks, tests).
        """
        total = TickReport()
        if self._stopping:
            return total
        self._enter()
        try:
            started = self.pacer.clock()
            budget = max(0.0, self.interval - 2 * self.batch_size / self.pacer.rate)
            while not self._stopping:
                report = await self.run_batch()
                total.batches += 1
                total.claimed += report.claimed
                total.sent += report.sent
                total.dms_closed += report.dms_closed
                total.failed += report.failed
                total.released += report.released
                total.outcomes.extend(report.outcomes)
                # A short batch can still hide more due rows (skipped learners are not
                # returned as jobs), so ask the index rather than trust the count.
                if not await self.reminders.has_due(self.platform):
                    break
                if not drain and self.pacer.clock() - started >= budget:
                    break
        finally:
            self._leave()
        if total.claimed:
            log.info(
                "reminders: %d claimed, %d sent, %d DMs closed, %d failed, %d released",
                total.claimed,
                total.sent,
                total.dms_closed,
                total.failed,
                total.released,
            )
        return total

    async def daily_tick(self) -> int:
        """The periodic job for daily questions: claim due posts and post them; how many."""
        if self.daily is None or self.poster is None or self._stopping:
            return 0
        self._enter()
        try:
            return await self._post_daily(self.daily, self.poster)
        finally:
            self._leave()

    async def _post_daily(self, daily: DailyQuestionService, poster: DailyPoster) -> int:
        jobs = await daily.claim_due_posts(self.platform)
        if not jobs:
            return 0
        deliveries = await self.pacer.run(jobs, poster.post_daily)
        posted = 0
        for delivery in deliveries:
            result = delivery.result
            if delivery.status is DeliveryStatus.DELIVERED and result and result.message:
                await daily.mark_posted(delivery.item.post_id, result.message)
                posted += 1
            else:
                error = (result.error if result else None) or repr(delivery.error)
                disable = bool(result and result.disable)
                log.warning(
                    "daily question for community %s failed: %s",
                    delivery.item.community.external_id,
                    error,
                )
                await daily.mark_failed(delivery.item.post_id, error, disable=disable)
        return posted

    async def prune_tick(self) -> int:
        """Forget old send records (they only matter while their date can come up), then
        run the housekeeping hook; returns the number of send records removed."""
        removed = await self.reminders.prune()
        if self.housekeeping is not None:
            await self.housekeeping(self._clock())
        return removed

    def start(self, scheduler: AsyncIOScheduler | None = None) -> AsyncIOScheduler:
        """Add the jobs to ``scheduler`` (a new AsyncIOScheduler by default) and start it.

        Must be called with the event loop running (e.g. in ``cog_load``).
        """
        self._stopping = False
        scheduler = scheduler or AsyncIOScheduler(timezone=UTC)
        every = timedelta(seconds=self.interval)
        # The scheduler runs on wall time, whatever clock the ticks use for "now".
        wall_now = datetime.now(UTC)
        common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
        # misfire_grace_time: a run delayed by a busy event loop still happens; a run
        # missed by more than that is dropped, harmlessly, since the next one claims
        # everything due (the database, not the schedule, knows what is owed).
        scheduler.add_job(
            self.reminder_tick,
            "interval",
            seconds=self.interval,
            id="recall-reminders",
            misfire_grace_time=int(self.interval) + 1,
            next_run_time=wall_now,
            **common,
        )
        if self.daily is not None and self.poster is not None:
            scheduler.add_job(
                self.daily_tick,
                "interval",
                seconds=self.interval,
                id="recall-daily-question",
                misfire_grace_time=int(self.interval) + 1,
                next_run_time=wall_now + every / 2,
                **common,
            )
        scheduler.add_job(
            self.prune_tick, "interval", hours=6, id="recall-reminder-prune", **common
        )
        if not scheduler.running:
            scheduler.start()
        self.scheduler = scheduler
        return scheduler

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop claiming, let a running tick finish its batch, then stop the scheduler.

        Reminders claimed but not yet started are released (sent by the next start).
        """
        self._stopping = True
        try:
            await asyncio.wait_for(self._idle.wait(), grace_seconds)
        except TimeoutError:
            # The scheduler's shutdown below cancels it; its sent-but-unrecorded DMs stay
            # "claimed", which is the at-most-once side of the trade.
            log.warning("reminder tick still running after %.0fs; cancelling it", grace_seconds)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None
