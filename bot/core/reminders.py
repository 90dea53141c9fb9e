"""The rules of reminder DMs: when the next one is, what to do about a due one, and
the vocabulary of sending. Plain Python: no storage, no clock read, no words.

Decisions recorded here (the service stores them, the front end phrases them):

- **One reminder per learner and local date.** A plan is the next reminder instant
  and its local date; after a claim it moves to the next local date.
- **Catch-up.** A missed reminder is still sent while its local day is running;
  once that day is over it is recorded ``expired`` and today's, if its time has
  passed, is due now (one DM however long the downtime).
- **A changed zone or time** is noticed at the claim: the reminder is planned
  afresh, as if set now, and today's is still sent if its time has passed.
- **Who gets one.** A DM goes out when cards are due or the streak is at risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.core.learner import Identity
from bot.core.reminder_planning import (
    next_reminder_at,
    reminder_day_is_over,
    reminder_instant_for_date,
)
from bot.core.timezones import local_date


class OffReason(StrEnum):
    """Why Recall (not the learner) turned a learner's reminders off."""

    DMS_CLOSED = "dms_closed"


class SendStatus(StrEnum):
    """How one reminder DM ended, as the sender reports it."""

    SENT = "sent"
    DMS_CLOSED = "dms_closed"
    """The platform refused because the learner does not accept DMs (Discord 50007)."""
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one send; build with :meth:`sent`, :meth:`dms_closed`, :meth:`failed`."""

    status: SendStatus
    error: str | None = None

    @classmethod
    def sent(cls) -> SendResult:
        """The DM went out."""
        return cls(SendStatus.SENT)

    @classmethod
    def dms_closed(cls, error: str = "cannot send messages to this user") -> SendResult:
        """The platform refused: the learner does not accept DMs from the bot."""
        return cls(SendStatus.DMS_CLOSED, error)

    @classmethod
    def failed(cls, error: str) -> SendResult:
        """Anything else; not retried (it may have been delivered)."""
        return cls(SendStatus.FAILED, error)


@dataclass(frozen=True, slots=True)
class ReminderJob:
    """One claimed reminder: who (Recall's id and the platform's), for which local
    date, and the figures the DM shows (the front end words them)."""

    learner_id: int
    identity: Identity
    local_date: date
    scheduled_at: datetime
    due_count: int
    streak: int
    freezes: int
    at_risk: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """When a learner's next reminder is, and what settings it was computed from."""

    learner_id: int
    next_at: datetime
    local_date: date
    zone: str
    local_time: str
    """'HH:MM'"""


def plan_after(learner_id: int, local_time: time, zone: ZoneInfo, after: datetime) -> Plan:
    """The first reminder strictly after ``after``."""
    instant = next_reminder_at(local_time, zone, after)
    return Plan(
        learner_id=learner_id,
        next_at=instant,
        local_date=local_date(instant, zone),
        zone=zone.key,
        local_time=local_time.strftime("%H:%M"),
    )


@dataclass(frozen=True, slots=True)
class Target:
    """What to do about one due plan, before knowing whether its date was decided."""

    act: tuple[date, datetime] | None
    """The reminder (local date, instant) to decide about now, if any."""
    expired: tuple[date, datetime] | None
    """A reminder whose local day ended unsent."""
    plan: Plan
    """The plan after this claim."""


def target(planned: Plan, zone: ZoneInfo, local_time: time, now: datetime) -> Target:
    """Decide about a due ``planned`` reminder at ``now``, for a learner whose zone and
    time are now ``zone`` and ``local_time``."""
    hhmm = local_time.strftime("%H:%M")
    today = local_date(now, zone)
    todays = (today, reminder_instant_for_date(today, local_time, zone))
    expired = None
    if (zone.key, hhmm) != (planned.zone, planned.local_time):
        # The learner changed zone (or time) since this was planned: plan afresh, as if
        # they had set it now, but still send today's if its time has passed.
        candidate = todays
    elif reminder_day_is_over(planned.local_date, zone, now):
        expired = (planned.local_date, planned.next_at)
        candidate = todays
    else:
        candidate = (planned.local_date, planned.next_at)
    if candidate[1] > now:
        plan = Plan(planned.learner_id, candidate[1], candidate[0], zone.key, hhmm)
        return Target(act=None, expired=expired, plan=plan)
    # next_reminder_at(after=now) is the next local date's reminder: now is on or past
    # the candidate's instant and still within its local date.
    return Target(
        act=candidate,
        expired=expired,
        plan=plan_after(planned.learner_id, local_time, zone, now),
    )


def worth_sending(due_count: int, at_risk: bool) -> bool:
    """A DM goes out when cards are due or the streak is at risk; otherwise the day is
    recorded ``skipped`` (a learner who studied today is never at risk)."""
    return due_count > 0 or at_risk


__all__ = [
    "OffReason",
    "Plan",
    "ReminderJob",
    "SendResult",
    "SendStatus",
    "Target",
    "plan_after",
    "target",
    "worth_sending",
]
