"""Daily DM reminders: settings, claiming what is due, and recording how sending went.

Plain Python (no discord import). The Discord cog calls :class:`ReminderService` for
``/quiz remind`` and implements the sending; :mod:`bot.reminder_loop` drives claims.

Delivery guarantees, decided here:

- **At most once per learner and local date.** :meth:`ReminderService.claim_due`
  selects due reminders, writes a ``reminder_sends`` row for each (learner, local
  date) and moves ``next_at`` to the next day, all in one ``BEGIN IMMEDIATE``
  transaction. A second process, a restart, or a later tick finds the row and the
  moved ``next_at``, so it never claims that date again.
- **At most once, not at least once.** A crash after the claim commits but before
  the DM goes out leaves the row ``claimed`` and that day's reminder is lost. The
  alternative (re-send claims that never reached ``sent``) sends twice whenever the
  crash came after Discord accepted the DM; a duplicate DM is worse than a missed
  nudge (it is what gets bots flagged as spam), and the loop claims small batches so
  a crash can only lose a few seconds' worth.
- **Catch-up.** After downtime a learner's one pending reminder is sent late if its
  local day is still running (one DM, however long the gap); once that day is over it
  is recorded ``expired`` and today's reminder, if its time has passed, is due now.
- **Who gets one.** A DM goes out when cards are due or the streak is at risk. A
  learner who studied today is never at risk, so they get nothing unless cards are
  due; the decision is still recorded (``skipped``) and ``next_at`` still moves on.
- **DMs closed.** :meth:`ReminderService.mark_failed` with ``dms_closed=True`` turns
  the learner's reminders off, records why, and keeps a notice for their next command.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.core.clock import require_aware
from bot.core.reminder_planning import (
    next_reminder_at,
    reminder_day_is_over,
    reminder_instant_for_date,
)
from bot.core.streaks import view as streak_view
from bot.core.timezones import (
    InvalidLocalTime,
    InvalidTimeZone,
    local_date,
    parse_local_time,
    parse_zone,
)
from bot.storage import learners
from bot.storage import reminders as store
from bot.storage.codec import to_epoch
from bot.storage.database import Database
from bot.storage.reminders import DueRow, Plan, SendRecord

__all__ = [
    "DEFAULT_CLAIM_BATCH",
    "OffReason",
    "ReminderJob",
    "ReminderService",
    "ReminderSettings",
    "SendResult",
    "SendStatus",
    "describe_off_reason",
]

log = logging.getLogger(__name__)

DEFAULT_CLAIM_BATCH = 200
"""Reminders claimed per transaction: short enough that other writers barely wait."""

_UTC = ZoneInfo("UTC")


class OffReason(StrEnum):
    """Why Recall (not the learner) turned a learner's reminders off."""

    DMS_CLOSED = "dms_closed"


_OFF_REASON_TEXT = {
    OffReason.DMS_CLOSED: (
        "Your daily reminders are off: Recall could not send you a DM (your DMs are "
        "closed). Allow direct messages from this server, then run /quiz remind set again."
    ),
}


def describe_off_reason(reason: str) -> str:
    """The user-facing sentence for a stored ``reminders_off_reason``."""
    try:
        return _OFF_REASON_TEXT[OffReason(reason)]
    except ValueError:
        return f"Your daily reminders were turned off ({reason}). Run /quiz remind set to resume."


class SendStatus(StrEnum):
    """How one reminder DM ended, as the sender reports it."""

    SENT = "sent"
    DMS_CLOSED = "dms_closed"  # Discord 403 with code 50007
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    """The outcome of one send; build with :meth:`sent`, :meth:`dms_closed`, :meth:`failed`."""

    status: SendStatus
    error: str | None = None

    @classmethod
    def sent(cls) -> SendResult:
        """The DM went out."""
        return cls(SendStatus.SENT)

    @classmethod
    def dms_closed(cls, error: str = "cannot send messages to this user (50007)") -> SendResult:
        """Discord refused: the learner does not accept DMs from the bot."""
        return cls(SendStatus.DMS_CLOSED, error)

    @classmethod
    def failed(cls, error: str) -> SendResult:
        """Anything else; not retried (it may have been delivered)."""
        return cls(SendStatus.FAILED, error)


@dataclass(frozen=True)
class ReminderJob:
    """One claimed reminder: who, for which local date, and what the DM should say."""

    user_id: int
    local_date: date
    scheduled_at: datetime
    due_count: int
    streak: int
    freezes: int
    at_risk: bool

    def text(self) -> str:
        """The DM's text in plain English (the cog adds the Start review button)."""
        parts: list[str] = []
        if self.due_count:
            plural = "card is" if self.due_count == 1 else "cards are"
            parts.append(f"{self.due_count} {plural} due for review.")
        else:
            parts.append("No cards are due, but a few new ones will keep your streak going.")
        if self.at_risk and self.freezes:
            parts.append(
                f"Study today to keep your {self.streak}-day streak without spending a freeze."
            )
        elif self.at_risk:
            parts.append(f"Your {self.streak}-day streak ends at midnight unless you study today.")
        elif self.streak:
            days = "day" if self.streak == 1 else "days"
            parts.append(f"Current streak: {self.streak} {days}.")
        return " ".join(parts)


@dataclass(frozen=True)
class ReminderSettings:
    """A learner's reminder settings, for the ``/quiz remind`` and ``/quiz stats`` replies."""

    time: str | None  # 'HH:MM' local, None = off
    zone: str
    next_at: datetime | None
    off_reason: str | None  # set when Recall turned reminders off

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


def _plan_after(user_id: int, local_time: time, zone: ZoneInfo, after: datetime) -> Plan:
    instant = next_reminder_at(local_time, zone, after)
    return Plan(
        user_id=user_id,
        next_at=instant,
        local_date=local_date(instant, zone),
        zone=zone.key,
        local_time=local_time.strftime("%H:%M"),
    )


@dataclass(frozen=True)
class _Target:
    """What to do about one due row, before knowing whether its date was decided."""

    act: tuple[date, datetime] | None  # the reminder to decide about now
    expired: tuple[date, datetime] | None  # a reminder whose local day ended unsent
    plan: Plan  # next_at after this claim


def _target(row: DueRow, local_time: time, now: datetime) -> _Target:
    zone = _zone(row.time_zone)
    hhmm = local_time.strftime("%H:%M")
    today = local_date(now, zone)
    todays = (today, reminder_instant_for_date(today, local_time, zone))
    expired = None
    if (zone.key, hhmm) != (row.planned_zone, row.planned_time):
        # The learner changed zone (or time) since this was planned: plan afresh, as if
        # they had set it now, but still send today's if its time has passed.
        candidate = todays
    elif reminder_day_is_over(row.local_date, zone, now):
        expired = (row.local_date, row.next_at)
        candidate = todays
    else:
        candidate = (row.local_date, row.next_at)
    if candidate[1] > now:
        plan = Plan(row.user_id, candidate[1], candidate[0], zone.key, hhmm)
        return _Target(act=None, expired=expired, plan=plan)
    # next_reminder_at(after=now) is the next local date's reminder: now is on or past
    # the candidate's instant and still within its local date.
    return _Target(
        act=candidate, expired=expired, plan=_plan_after(row.user_id, local_time, zone, now)
    )


class ReminderService:
    """Reminder settings and the claim/record cycle over one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def set_time(self, user_id: int, text: str, now: datetime) -> ReminderSettings:
        """Turn on daily reminders at ``text`` (``HH:MM``) in the learner's zone.

        Raises :class:`bot.core.timezones.InvalidLocalTime` (user-facing message) for bad
        input. The first reminder is today's if that time is still ahead, else
        tomorrow's; a date already reminded is never reminded again.
        """
        local_time = parse_local_time(text)
        now = require_aware(now, "now")
        async with self._db.transaction() as conn:
            learner = await learners.ensure(conn, user_id, now)
            zone = _zone(learner.time_zone)
            plan = _plan_after(user_id, local_time, zone, now)
            await store.turn_on(conn, plan, now)
        return ReminderSettings(
            time=plan.local_time, zone=zone.key, next_at=plan.next_at, off_reason=None
        )

    async def turn_off(self, user_id: int) -> bool:
        """Stop the learner's reminders (``/quiz remind off``); True if they were on."""
        async with self._db.transaction() as conn:
            return await store.clear(conn, user_id)

    async def replan(self, user_id: int, now: datetime) -> datetime | None:
        """Recompute ``next_at`` after the learner changed zone; the new instant or None.

        Call it after ``/quiz timezone``. Without it the next claim notices the change
        and re-plans anyway, but only once the old instant comes round.
        """
        async with self._db.transaction() as conn:
            row = await store.plan_rows_for(conn, user_id)
            if row is None:
                return None
            try:
                local_time = parse_local_time(row["reminder_time"])
            except InvalidLocalTime:
                return None
            plan = _plan_after(user_id, local_time, _zone(row["time_zone"]), now)
            await store.update_plans(conn, [plan], now)
        return plan.next_at

    async def settings(self, user_id: int) -> ReminderSettings | None:
        """The learner's current settings, or None if they never used Recall."""
        stored = await store.get_settings(self._db, user_id)
        if stored is None:
            return None
        return ReminderSettings(
            time=stored.reminder_time,
            zone=stored.time_zone,
            next_at=stored.next_at if stored.reminder_time else None,
            off_reason=stored.off_reason,
        )

    async def take_off_notice(self, user_id: int) -> str | None:
        """Once after Recall turned reminders off: the sentence to tell the learner."""
        reason = await store.take_notice(self._db, user_id)
        return None if reason is None else describe_off_reason(reason)

    async def claim_due(self, now: datetime, limit: int = DEFAULT_CLAIM_BATCH) -> list[ReminderJob]:
        """Claim up to ``limit`` due reminders and return the ones to send.

        In one transaction: decide each due (learner, local date), record the decision
        and move ``next_at`` to the next day. Learners with nothing to send are recorded
        ``skipped`` and rescheduled too, so a call may return fewer jobs than it
        processed; call again while :meth:`has_due` is true.
        """
        now = require_aware(now, "now")
        jobs: list[ReminderJob] = []
        async with self._db.transaction() as conn:
            rows = await store.due_rows(conn, now, limit)
            records: list[SendRecord] = []
            plans: list[Plan] = []
            gone: list[int] = []
            for row in rows:
                try:
                    local_time = parse_local_time(row.reminder_time or "")
                except InvalidLocalTime:
                    gone.append(row.user_id)  # reminders were turned off: drop the plan
                    continue
                target = _target(row, local_time, now)
                plans.append(target.plan)
                if target.expired is not None and row.claim_status is None:
                    records.append(_record(row, target.expired, "expired", now, False))
                if target.act is None:
                    continue
                day = target.act[0]
                status = (
                    row.claim_status
                    if day == row.local_date
                    else await store.claim_status(conn, row.user_id, day)
                )
                if status is not None:
                    continue  # already decided for that date (e.g. the time was changed)
                view = streak_view(row.streak, day)
                send = row.due_count > 0 or view.at_risk
                records.append(
                    _record(
                        row,
                        target.act,
                        "claimed" if send else "skipped",
                        now,
                        view.at_risk,
                        view.current,
                    )
                )
                if send:
                    jobs.append(
                        ReminderJob(
                            user_id=row.user_id,
                            local_date=day,
                            scheduled_at=target.act[1],
                            due_count=row.due_count,
                            streak=view.current,
                            freezes=view.freezes,
                            at_risk=view.at_risk,
                        )
                    )
            await store.insert_sends(conn, records)
            await store.update_plans(conn, plans, now)
            await store.delete_plans(conn, gone)
        return jobs

    async def has_due(self, now: datetime) -> bool:
        """Whether any reminder is due at ``now`` (cheap: one index probe)."""
        row = await self._db.fetchone(
            "SELECT 1 FROM reminders WHERE next_at <= ? LIMIT 1", (to_epoch(now),)
        )
        return row is not None

    async def mark_sent(self, job: ReminderJob, now: datetime) -> None:
        """Record that the DM for ``job`` went out."""
        await self.record_results([(job, SendResult.sent())], now)

    async def mark_failed(
        self, job: ReminderJob, now: datetime, error: str, *, dms_closed: bool = False
    ) -> None:
        """Record a failed DM; ``dms_closed`` also turns the learner's reminders off."""
        result = SendResult.dms_closed(error) if dms_closed else SendResult.failed(error)
        await self.record_results([(job, result)], now)

    async def record_results(
        self, results: Sequence[tuple[ReminderJob, SendResult]], now: datetime
    ) -> None:
        """Record many outcomes in one transaction (what the loop uses per batch)."""
        if not results:
            return
        async with self._db.transaction() as conn:
            await store.finish_sends(
                conn,
                [
                    (job.user_id, job.local_date, str(result.status), result.error)
                    for job, result in results
                ],
                now,
            )
            for job, result in results:
                if result.status is SendStatus.DMS_CLOSED:
                    await store.pause_for(conn, job.user_id, OffReason.DMS_CLOSED, now)

    async def release(self, jobs: Sequence[ReminderJob], now: datetime) -> None:
        """Give back claims that were never attempted (a graceful shutdown mid-batch), so
        the next tick or process sends them: only a crash can lose a claimed reminder."""
        if not jobs:
            return
        async with self._db.transaction() as conn:
            await store.release(
                conn, [(job.user_id, job.local_date, job.scheduled_at) for job in jobs], now
            )

    async def prune(self, now: datetime, keep: timedelta = timedelta(days=35)) -> int:
        """Forget send records older than ``keep``; returns how many were removed."""
        return await store.prune_sends(self._db, now - keep)


def _record(
    row: DueRow,
    reminder: tuple[date, datetime],
    status: str,
    now: datetime,
    at_risk: bool,
    streak: int = 0,
) -> SendRecord:
    return SendRecord(
        user_id=row.user_id,
        local_date=reminder[0],
        status=status,
        due_count=row.due_count,
        streak=streak,
        at_risk=at_risk,
        scheduled_at=reminder[1],
        claimed_at=now,
    )
