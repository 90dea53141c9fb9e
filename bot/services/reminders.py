"""Daily DM reminders: settings, claiming what is due, and recording how sending went.

Each public call is one store transaction. The front end sends the DMs (and words
them); :mod:`bot.reminder_loop` drives the claims. The rules (planning, catch-up,
who gets one) are in :mod:`bot.core.reminders`.

Delivery guarantees, decided here:

- **At most once per learner and local date, across processes.**
  :meth:`ReminderService.claim_due` selects due reminders, writes a
  ``reminder_sends`` row for each (learner, local date) and moves ``next_at`` to the
  next day, in one transaction. The rows it decides about are held for that
  transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
  SQLite), so a second process, a restart or a later tick never claims that date again.
- **One platform per claim.** A process claims the learners of its own platform
  (the Discord process Discord learners), since only it can DM them.
- **At most once, not at least once.** A crash after the claim commits but before
  the DM goes out leaves the row ``claimed`` and that day's reminder is lost. The
  alternative (re-send claims that never reached ``sent``) sends twice whenever the
  crash came after the platform accepted the DM; a duplicate DM is worse than a missed
  nudge (it is what gets bots flagged as spam), and the loop claims small batches so
  a crash can only lose a few seconds' worth.
- **DMs closed.** :meth:`ReminderService.record_results` with a ``dms_closed`` result
  turns the learner's reminders off, records why, and keeps a notice for their next
  command (:meth:`ReminderService.take_off_notice`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.learner import Identity, Platform
from bot.core.reminders import (
    OffReason,
    Plan,
    ReminderJob,
    SendResult,
    SendStatus,
    plan_after,
    target,
    worth_sending,
)
from bot.core.streaks import view as streak_view
from bot.core.timezones import InvalidLocalTime, InvalidTimeZone, parse_local_time, parse_zone
from bot.storage import learners
from bot.storage import reminders as table
from bot.storage.errors import Conflict
from bot.storage.reminders import DueRow, SendRecord
from bot.storage.script import Script
from bot.storage.store import Store

log = logging.getLogger(__name__)

DEFAULT_CLAIM_BATCH = 200
"""Reminders claimed per transaction: short enough that other writers barely wait."""

SEND_RECORDS_KEEP = timedelta(days=35)
"""How long a (learner, date) decision is kept; only the last day or two matter."""

_UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """A learner's reminder settings, for the front end's replies."""

    time: str | None
    """'HH:MM' local, None = off"""
    zone: str
    next_at: datetime | None
    off_reason: str | None
    """Set when Recall turned reminders off (an :class:`OffReason` value)."""

    @property
    def zone_is_default(self) -> bool:
        """True while the learner is on UTC (the default): the reply should say so."""
        return self.zone == "UTC"


def _zone(name: str) -> ZoneInfo:
    try:
        return parse_zone(name)
    except InvalidTimeZone:
        # Only a hand-edited row can hold a bad zone; planning in UTC beats crashing the
        # whole batch for everyone else.
        log.warning("learner zone %r is not a known zone; planning reminders in UTC", name)
        return _UTC


def _record(
    row: DueRow,
    reminder: tuple[date, datetime],
    status: str,
    now: datetime,
    at_risk: bool,
    streak: int = 0,
) -> SendRecord:
    return SendRecord(
        learner_id=row.planned.learner_id,
        local_date=reminder[0],
        status=status,
        due_count=row.due_count,
        streak=streak,
        at_risk=at_risk,
        scheduled_at=reminder[1],
        claimed_at=now,
    )


class ReminderService:
    """Reminder settings and the claim/record cycle over one :class:`Store`."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- settings ---------------------------------------------------------------------

    async def set_time(self, who: Identity, text: str) -> ReminderSettings:
        """Turn on daily reminders at ``text`` (``HH:MM``) in the learner's zone.

        Raises :class:`bot.core.timezones.InvalidLocalTime` for bad input (nothing is
        stored). The first reminder is today's if that time is still ahead, else
        tomorrow's; a date already reminded is never reminded again.
        """
        local_time = parse_local_time(text)
        now = self.clock()

        def script() -> Script[ReminderSettings]:
            learner = yield from learners.ensure(who, now)
            zone = _zone(learner.time_zone)
            plan = plan_after(learner.id, local_time, zone, now)
            yield from table.turn_on(plan, now)
            return ReminderSettings(
                time=plan.local_time, zone=zone.key, next_at=plan.next_at, off_reason=None
            )

        return await self.store.write(script())

    async def turn_off(self, who: Identity) -> bool:
        """Stop the learner's reminders; True if they were on."""

        def script() -> Script[bool]:
            learner = yield from learners.find(who)
            if learner is None:
                return False
            return (yield from table.clear(learner.id))

        return await self.store.write(script())

    async def replan(self, who: Identity) -> datetime | None:
        """Recompute ``next_at`` after the learner changed zone; the new instant or None.

        Call it after the learner sets a time zone. Without it the next claim notices
        the change and re-plans anyway, but only once the old instant comes round.
        """
        now = self.clock()

        def script() -> Script[datetime | None]:
            learner = yield from learners.find(who)
            if learner is None:
                return None
            found = yield from table.plan_settings(learner.id)
            if found is None:
                return None
            try:
                local_time = parse_local_time(found[0])
            except InvalidLocalTime:
                return None
            plan = plan_after(learner.id, local_time, _zone(found[1]), now)
            yield from table.update_plans([plan], now)
            return plan.next_at

        return await self.store.write(script())

    async def settings(self, who: Identity) -> ReminderSettings | None:
        """The learner's current settings, or None if they never used Recall."""
        stored = await self.store.read(table.settings_of(who))
        if stored is None:
            return None
        return ReminderSettings(
            time=stored.reminder_time,
            zone=stored.time_zone,
            next_at=stored.next_at if stored.reminder_time else None,
            off_reason=stored.off_reason,
        )

    async def take_off_notice(self, who: Identity) -> str | None:
        """Once after Recall turned reminders off: why (an :class:`OffReason` value), for
        the front end to tell the learner; None every other time."""
        # Every command reply asks, and almost never is there a notice: a read first
        # keeps the common case out of a write transaction (SQLite's one writer). The
        # write alone decides who takes a notice.
        if not await self.store.read(table.notice_pending(who)):
            return None
        return await self.store.write(table.take_notice(who))

    # -- claiming ---------------------------------------------------------------------

    async def claim_due(
        self, platform: Platform, limit: int = DEFAULT_CLAIM_BATCH
    ) -> list[ReminderJob]:
        """Claim up to ``limit`` due reminders of ``platform``'s learners; the ones to send.

        In one transaction: decide each due (learner, local date), record the decision
        and move ``next_at`` to the next day. Learners with nothing to send are recorded
        ``skipped`` and rescheduled too, so a call may return fewer jobs than it
        processed; call again while :meth:`has_due` is true.
        """
        now = self.clock()
        try:
            return await self.store.write(self._claim(platform, now, limit))
        except Conflict:
            # A date decided meanwhile by another process (the locks make this a
            # should-not-happen): nothing of this batch was kept; the next tick retries.
            log.warning("reminder claim met a date already decided; retrying next tick")
            return []

    def _claim(self, platform: Platform, now: datetime, limit: int) -> Script[list[ReminderJob]]:
        due = yield from table.due_rows(platform, now, limit)
        jobs: list[ReminderJob] = []
        records: list[SendRecord] = []
        plans: list[Plan] = []
        gone: list[int] = []
        for row in due:
            learner_id = row.planned.learner_id
            try:
                local_time = parse_local_time(row.reminder_time or "")
            except InvalidLocalTime:
                gone.append(learner_id)  # reminders were turned off: drop the plan
                continue
            decided = target(row.planned, _zone(row.time_zone), local_time, now)
            plans.append(decided.plan)
            if decided.expired is not None and row.claim_status is None:
                records.append(_record(row, decided.expired, "expired", now, False))
            if decided.act is None:
                continue
            day, instant = decided.act
            if day == row.planned.local_date:
                status = row.claim_status
            else:
                status = yield from table.claim_status(learner_id, day)
            if status is not None:
                continue  # already decided for that date (e.g. the time was changed)
            streak = streak_view(row.streak, day)
            send = worth_sending(row.due_count, streak.at_risk)
            records.append(
                _record(
                    row,
                    decided.act,
                    "claimed" if send else "skipped",
                    now,
                    streak.at_risk,
                    streak.current,
                )
            )
            if send:
                jobs.append(
                    ReminderJob(
                        learner_id=learner_id,
                        identity=row.identity,
                        local_date=day,
                        scheduled_at=instant,
                        due_count=row.due_count,
                        streak=streak.current,
                        freezes=streak.freezes,
                        at_risk=streak.at_risk,
                    )
                )
        yield from table.insert_sends(records)
        yield from table.update_plans(plans, now)
        yield from table.delete_plans(gone)
        return jobs

    async def has_due(self, platform: Platform) -> bool:
        """Whether a reminder of ``platform``'s learners is due now (one index probe)."""
        return await self.store.read(table.any_due(platform, self.clock()))

    # -- recording --------------------------------------------------------------------

    async def mark_sent(self, job: ReminderJob) -> None:
        """Record that the DM for ``job`` went out."""
        await self.record_results([(job, SendResult.sent())])

    async def record_results(self, outcomes: Sequence[tuple[ReminderJob, SendResult]]) -> None:
        """Record a batch of send outcomes in one transaction.

        A ``dms_closed`` result also turns that learner's reminders off
        (:attr:`OffReason.DMS_CLOSED`) and keeps a notice for their next command.
        """
        if not outcomes:
            return
        now = self.clock()

        def script() -> Script[None]:
            yield from table.finish_sends(
                [
                    (job.learner_id, job.local_date, str(result.status), result.error)
                    for job, result in outcomes
                ],
                now,
            )
            for job, result in outcomes:
                if result.status is SendStatus.DMS_CLOSED:
                    yield from table.pause_for(job.learner_id, OffReason.DMS_CLOSED, now)

        await self.store.write(script())

    async def release(self, jobs: Sequence[ReminderJob]) -> None:
        """Give back claims that were never attempted (a graceful shutdown mid-batch), so
        the next tick or process sends them: only a crash can lose a claimed reminder."""
        if not jobs:
            return
        claims = [(job.learner_id, job.local_date, job.scheduled_at) for job in jobs]
        await self.store.write(table.release(claims, self.clock()))

    async def prune(self, keep: timedelta = SEND_RECORDS_KEEP) -> int:
        """Forget send records older than ``keep``; returns how many were removed."""
        return await self.store.write(table.prune_sends(self.clock() - keep))


__all__ = [
    "DEFAULT_CLAIM_BATCH",
    "SEND_RECORDS_KEEP",
    "ReminderService",
    "ReminderSettings",
]
