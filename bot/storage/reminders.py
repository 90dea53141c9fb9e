"""The ``reminders`` and ``reminder_sends`` tables, and the learners' reminder columns.

Only SQL lives here; :mod:`bot.services.reminders` decides what to claim. Every
function is a transaction script (see :mod:`bot.storage.script`), so a claim and the
move of ``next_at`` to the next day commit together or not at all.

Claims hold across processes: on PostgreSQL :func:`due_rows` locks the plans it
returns (``FOR UPDATE OF r SKIP LOCKED``), so a second process skips them, and a
plan another process moved meanwhile is re-checked against ``next_at <= now`` when
its lock is taken; on SQLite the claim's ``BEGIN IMMEDIATE`` serialises writers.
The primary key of ``reminder_sends`` (learner, local date) is the last guard:
a second decision about one date raises :class:`~bot.storage.errors.Conflict`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.due import due_cutoff
from bot.core.learner import Identity, Platform
from bot.core.reminders import Plan
from bot.core.streaks import StreakState
from bot.storage.codec import from_epoch, maybe_datetime, to_epoch
from bot.storage.script import (
    Dialects,
    Row,
    Script,
    execute,
    execute_many,
    one,
    rows,
    value,
)


@dataclass(frozen=True, slots=True)
class DueRow:
    """A reminder whose ``next_at`` has passed, with what deciding about it needs."""

    planned: Plan
    identity: Identity
    time_zone: str
    """The learner's zone now (may differ from the plan's)."""
    reminder_time: str | None
    """The learner's 'HH:MM' now (None: reminders were turned off)."""
    streak: StreakState
    due_count: int
    """Cards due at the claim instant."""
    claim_status: str | None
    """``reminder_sends.status`` for the plan's (learner, local date), if any."""


@dataclass(frozen=True, slots=True)
class SendRecord:
    """One row of ``reminder_sends`` to insert."""

    learner_id: int
    local_date: date
    status: str
    due_count: int
    streak: int
    at_risk: bool
    scheduled_at: datetime
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class Settings:
    """A learner's reminder settings as stored."""

    learner_id: int
    reminder_time: str | None
    time_zone: str
    off_reason: str | None
    next_at: datetime | None


def _streak(row: Row) -> StreakState:
    last = row["last_active_date"]
    return StreakState(
        current=int(row["streak"]),
        best=int(row["best_streak"]),
        freezes=int(row["freezes"]),
        last_active=date.fromisoformat(last) if last else None,
    )


def turn_on(plan: Plan, now: datetime) -> Script[None]:
    """Store the learner's chosen time and first plan; clears any "turned off" reason."""
    yield from execute(
        "UPDATE learners SET reminder_time = ?, reminders_off_reason = NULL WHERE id = ?",
        plan.local_time,
        plan.learner_id,
    )
    yield from execute(
        "INSERT INTO reminders (learner_id, next_at, local_date, planned_zone, planned_time,"
        " notice_pending, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?)"
        " ON CONFLICT (learner_id) DO UPDATE SET next_at = excluded.next_at,"
        " local_date = excluded.local_date, planned_zone = excluded.planned_zone,"
        " planned_time = excluded.planned_time, notice_pending = 0,"
        " updated_at = excluded.updated_at",
        plan.learner_id,
        to_epoch(plan.next_at),
        plan.local_date.isoformat(),
        plan.zone,
        plan.local_time,
        to_epoch(now),
    )


def clear(learner_id: int) -> Script[bool]:
    """Turn reminders off at the learner's request; True if they were on."""
    changed = yield from execute(
        "UPDATE learners SET reminder_time = NULL, reminders_off_reason = NULL"
        " WHERE id = ? AND reminder_time IS NOT NULL",
        learner_id,
    )
    yield from execute("DELETE FROM reminders WHERE learner_id = ?", learner_id)
    return changed > 0


def pause_for(learner_id: int, reason: str, now: datetime) -> Script[None]:
    """Turn reminders off on Recall's side (e.g. DMs closed), recording why.

    The ``reminders`` row stays, paused, to remember that the learner has not been told.
    """
    yield from execute(
        "UPDATE learners SET reminder_time = NULL, reminders_off_reason = ? WHERE id = ?",
        reason,
        learner_id,
    )
    yield from execute(
        "UPDATE reminders SET next_at = NULL, local_date = NULL, notice_pending = 1,"
        " updated_at = ? WHERE learner_id = ?",
        to_epoch(now),
        learner_id,
    )


def notice_pending(identity: Identity) -> Script[bool]:
    """Whether Recall turned the learner's reminders off and has not told them yet."""
    found = yield from value(
        "SELECT 1 FROM reminders r JOIN learners l ON l.id = r.learner_id"
        " WHERE l.platform = ? AND l.external_id = ? AND r.notice_pending = 1",
        str(identity.platform),
        identity.external_id,
        alone=True,  # asked on every command reply: one round trip on PostgreSQL
    )
    return found is not None


def take_notice(identity: Identity) -> Script[str | None]:
    """The reason Recall turned reminders off, once: later calls return None.

    The UPDATE decides alone who takes a notice, so two concurrent replies cannot
    both show it.
    """
    row = yield from one(
        "UPDATE reminders SET notice_pending = 0 WHERE notice_pending = 1 AND learner_id ="
        " (SELECT id FROM learners WHERE platform = ? AND external_id = ?) RETURNING learner_id",
        str(identity.platform),
        identity.external_id,
    )
    if row is None:
        return None
    reason = yield from value(
        "SELECT reminders_off_reason FROM learners WHERE id = ?", int(row["learner_id"])
    )
    return None if reason is None else str(reason)


def settings_of(identity: Identity) -> Script[Settings | None]:
    """The learner's reminder settings, or None for an unknown learner."""
    row = yield from one(
        "SELECT l.id, l.reminder_time, l.time_zone, l.reminders_off_reason, r.next_at"
        " FROM learners l LEFT JOIN reminders r ON r.learner_id = l.id"
        " WHERE l.platform = ? AND l.external_id = ?",
        str(identity.platform),
        identity.external_id,
    )
    if row is None:
        return None
    return Settings(
        learner_id=int(row["id"]),
        reminder_time=row["reminder_time"],
        time_zone=row["time_zone"],
        off_reason=row["reminders_off_reason"],
        next_at=maybe_datetime(row["next_at"]),
    )


def _claim_sql(lock: str) -> str:
    # One statement for the whole batch: the due count is a correlated subquery over the
    # learner's primary-key range of card_states and the existing decision a join on the
    # primary key, so a batch of hundreds is one statement.
    return (
        "SELECT r.learner_id, r.next_at, r.local_date, r.planned_zone, r.planned_time,"
        " l.platform, l.external_id, l.time_zone, l.reminder_time, l.streak, l.best_streak,"
        " l.freezes, l.last_active_date, s.status AS claim_status,"
        " (SELECT COUNT(*) FROM card_states c WHERE c.learner_id = r.learner_id AND c.due <= ?)"
        " AS due_count"
        " FROM reminders r JOIN learners l ON l.id = r.learner_id"
        " LEFT JOIN reminder_sends s ON s.learner_id = r.learner_id"
        " AND s.local_date = r.local_date"
        " WHERE r.next_at <= ? AND l.platform = ?"
        f" ORDER BY r.next_at, r.learner_id LIMIT ?{lock}"
    )


_CLAIM = Dialects(
    sqlite=_claim_sql(""),
    # Only the plans are locked (the outer-joined sends cannot be): a plan another
    # process holds is skipped, not waited for, and one it moved and released is
    # re-read and fails ``next_at <= now``.
    postgres=_claim_sql(" FOR UPDATE OF r SKIP LOCKED"),
)


def due_rows(platform: Platform, now: datetime, limit: int) -> Script[list[DueRow]]:
    """Up to ``limit`` due reminders of ``platform``'s learners, earliest first, held
    for this transaction (see the module docstring)."""
    now_s = to_epoch(now)
    # The due count uses the one definition of "due" (bot.core.due).
    found = yield from rows(_CLAIM, to_epoch(due_cutoff(now)), now_s, str(platform), limit)
    return [
        DueRow(
            planned=Plan(
                learner_id=int(row["learner_id"]),
                next_at=from_epoch(row["next_at"]),
                local_date=date.fromisoformat(row["local_date"]),
                zone=row["planned_zone"],
                local_time=row["planned_time"],
            ),
            identity=Identity(Platform(row["platform"]), str(row["external_id"])),
            time_zone=row["time_zone"],
            reminder_time=row["reminder_time"],
            streak=_streak(row),
            due_count=int(row["due_count"]),
            claim_status=row["claim_status"],
        )
        for row in found
    ]


def any_due(platform: Platform, now: datetime) -> Script[bool]:
    """Whether a reminder of ``platform``'s learners is due at ``now``."""
    found = yield from value(
        "SELECT 1 FROM reminders r JOIN learners l ON l.id = r.learner_id"
        " WHERE r.next_at <= ? AND l.platform = ? LIMIT 1",
        to_epoch(now),
        str(platform),
    )
    return found is not None


def plan_settings(learner_id: int) -> Script[tuple[str, str] | None]:
    """(reminder time, zone) of the learner, if their reminders are on."""
    row = yield from one(
        "SELECT l.reminder_time, l.time_zone FROM learners l JOIN reminders r"
        " ON r.learner_id = l.id WHERE l.id = ? AND l.reminder_time IS NOT NULL",
        learner_id,
    )
    return None if row is None else (str(row["reminder_time"]), str(row["time_zone"]))


def claim_status(learner_id: int, day: date) -> Script[str | None]:
    """The status recorded for (learner, local date), or None if nothing was decided yet."""
    found = yield from value(
        "SELECT status FROM reminder_sends WHERE learner_id = ? AND local_date = ?",
        learner_id,
        day.isoformat(),
    )
    return None if found is None else str(found)


def insert_sends(records: Sequence[SendRecord]) -> Script[None]:
    """Record decisions. A plain INSERT: a (learner, date) already decided raises
    :class:`~bot.storage.errors.Conflict` and rolls the whole claim back, so it can
    never be sent twice."""
    yield from execute_many(
        "INSERT INTO reminder_sends (learner_id, local_date, status, due_count, streak,"
        " at_risk, scheduled_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.learner_id,
                r.local_date.isoformat(),
                r.status,
                r.due_count,
                r.streak,
                int(r.at_risk),
                to_epoch(r.scheduled_at),
                to_epoch(r.claimed_at),
            )
            for r in records
        ],
    )


def update_plans(plans: Sequence[Plan], now: datetime) -> Script[None]:
    """Move each learner's ``next_at`` (inside the claim that decided about the old one)."""
    yield from execute_many(
        "UPDATE reminders SET next_at = ?, local_date = ?, planned_zone = ?, planned_time = ?,"
        " updated_at = ? WHERE learner_id = ?",
        [
            (
                to_epoch(p.next_at),
                p.local_date.isoformat(),
                p.zone,
                p.local_time,
                to_epoch(now),
                p.learner_id,
            )
            for p in plans
        ],
    )


def delete_plans(learner_ids: Sequence[int]) -> Script[None]:
    """Drop plans whose learner has no reminder time any more."""
    yield from execute_many(
        "DELETE FROM reminders WHERE learner_id = ?", [(u,) for u in learner_ids]
    )


def finish_sends(
    outcomes: Sequence[tuple[int, date, str, str | None]], now: datetime
) -> Script[None]:
    """Record how claimed reminders ended: (learner, local date, status, error)."""
    yield from execute_many(
        "UPDATE reminder_sends SET status = ?, error = ?, finished_at = ?"
        " WHERE learner_id = ? AND local_date = ? AND status = 'claimed'",
        [
            (status, error, to_epoch(now), learner_id, day.isoformat())
            for learner_id, day, status, error in outcomes
        ],
    )


def release(claims: Sequence[tuple[int, date, datetime]], now: datetime) -> Script[None]:
    """Undo claims that were never attempted: (learner, local date, reminder instant).

    Deletes the ``claimed`` row and moves ``next_at`` back to that reminder, unless the
    plan changed meanwhile (the learner turned reminders off or set a new time).
    """
    for learner_id, day, instant in claims:
        removed = yield from execute(
            "DELETE FROM reminder_sends"
            " WHERE learner_id = ? AND local_date = ? AND status = 'claimed'",
            learner_id,
            day.isoformat(),
        )
        if removed:
            yield from execute(
                "UPDATE reminders SET next_at = ?, local_date = ?, updated_at = ?"
                " WHERE learner_id = ? AND next_at > ?",
                to_epoch(instant),
                day.isoformat(),
                to_epoch(now),
                learner_id,
                to_epoch(instant),
            )


def send_counts(day: date | None = None) -> Script[dict[str, int]]:
    """How many (learner, date) decisions have each status, optionally for one date."""
    if day is None:
        found = yield from rows("SELECT status, COUNT(*) AS n FROM reminder_sends GROUP BY status")
    else:
        found = yield from rows(
            "SELECT status, COUNT(*) AS n FROM reminder_sends WHERE local_date = ? GROUP BY status",
            day.isoformat(),
        )
    return {str(row["status"]): int(row["n"]) for row in found}


def prune_sends(claimed_before: datetime) -> Script[int]:
    """Forget decisions claimed before ``claimed_before``; returns how many.

    Safe once they are older than a couple of days: ``next_at`` only moves forward, so
    no old local date can come up again.
    """
    removed = yield from execute(
        "DELETE FROM reminder_sends WHERE claimed_at < ?", to_epoch(claimed_before)
    )
    return removed


__all__ = [
    "DueRow",
    "SendRecord",
    "Settings",
    "any_due",
    "claim_status",
    "clear",
    "delete_plans",
    "due_rows",
    "finish_sends",
    "insert_sends",
    "notice_pending",
    "pause_for",
    "plan_settings",
    "prune_sends",
    "release",
    "send_counts",
    "settings_of",
    "take_notice",
    "turn_on",
    "update_plans",
]
