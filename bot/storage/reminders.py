"""The ``reminders`` and ``reminder_sends`` tables, and the learners' reminder columns.

Only SQL lives here; :mod:`bot.reminders` decides what to claim. Functions taking a
``conn`` run inside the caller's transaction, so a claim and the move of ``next_at``
to the next day commit together or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.core.streaks import StreakState
from bot.storage.codec import from_epoch, maybe_datetime, to_epoch
from bot.storage.database import Database

__all__ = [
    "DueRow",
    "Plan",
    "SendRecord",
    "Settings",
    "claim_status",
    "clear",
    "delete_plans",
    "due_rows",
    "finish_sends",
    "get_settings",
    "insert_sends",
    "pause_for",
    "plan_rows_for",
    "prune_sends",
    "release",
    "send_counts",
    "take_notice",
    "turn_on",
    "update_plans",
]


@dataclass(frozen=True)
class Plan:
    """When a learner's next reminder is, and what settings it was computed from."""

    user_id: int
    next_at: datetime
    local_date: date
    zone: str
    local_time: str  # 'HH:MM'


@dataclass(frozen=True)
class DueRow:
    """A reminder whose ``next_at`` has passed, with what deciding about it needs."""

    user_id: int
    next_at: datetime
    local_date: date
    planned_zone: str
    planned_time: str
    time_zone: str  # the learner's zone now (may differ from planned_zone)
    reminder_time: str | None  # the learner's 'HH:MM' now
    streak: StreakState
    due_count: int  # cards due at the claim instant
    claim_status: str | None  # reminder_sends.status for (user, local_date), if any


@dataclass(frozen=True)
class SendRecord:
    """One row of ``reminder_sends`` to insert."""

    user_id: int
    local_date: date
    status: str
    due_count: int
    streak: int
    at_risk: bool
    scheduled_at: datetime
    claimed_at: datetime


@dataclass(frozen=True)
class Settings:
    """A learner's reminder settings as stored."""

    reminder_time: str | None
    time_zone: str
    off_reason: str | None
    next_at: datetime | None


def _streak(row: sqlite3.Row) -> StreakState:
    last = row["last_active_date"]
    return StreakState(
        current=row["streak"],
        best=row["best_streak"],
        freezes=row["freezes"],
        last_active=date.fromisoformat(last) if last else None,
    )


async def turn_on(conn: aiosqlite.Connection, plan: Plan, now: datetime) -> None:
    """Store the learner's chosen time and first plan; clears any "turned off" reason."""
    await conn.execute(
        "UPDATE learners SET reminder_time = ?, reminders_off_reason = NULL WHERE user_id = ?",
        (plan.local_time, plan.user_id),
    )
    await conn.execute(
        "INSERT INTO reminders (user_id, next_at, local_date, planned_zone, planned_time,"
        " notice_pending, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET next_at = excluded.next_at,"
        " local_date = excluded.local_date, planned_zone = excluded.planned_zone,"
        " planned_time = excluded.planned_time, notice_pending = 0,"
        " updated_at = excluded.updated_at",
        (
            plan.user_id,
            to_epoch(plan.next_at),
            plan.local_date.isoformat(),
            plan.zone,
            plan.local_time,
            to_epoch(now),
        ),
    )


async def clear(conn: aiosqlite.Connection, user_id: int) -> bool:
    """Turn reminders off at the learner's request; True if they were on."""
    cur = await conn.execute(
        "UPDATE learners SET reminder_time = NULL, reminders_off_reason = NULL"
        " WHERE user_id = ? AND reminder_time IS NOT NULL",
        (user_id,),
    )
    was_on = cur.rowcount > 0
    await conn.execute("DELETE FROM reminders WHERE user_id = ?", (user_id,))
    return was_on


async def pause_for(conn: aiosqlite.Connection, user_id: int, reason: str, now: datetime) -> None:
    """Turn reminders off on Recall's side (e.g. DMs closed), recording why.

    The ``reminders`` row stays, paused, to remember that the learner has not been told.
    """
    await conn.execute(
        "UPDATE learners SET reminder_time = NULL, reminders_off_reason = ? WHERE user_id = ?",
        (reason, user_id),
    )
    await conn.execute(
        "UPDATE reminders SET next_at = NULL, local_date = NULL, notice_pending = 1,"
        " updated_at = ? WHERE user_id = ?",
        (to_epoch(now), user_id),
    )


async def take_notice(db: Database, user_id: int) -> str | None:
    """The reason Recall turned reminders off, once: later calls return None."""
    # Every /quiz reply asks, and almost never is there a notice: a plain read first
    # keeps the common case out of a write transaction. The UPDATE below still decides
    # alone who takes a notice, so two concurrent replies cannot both show it.
    pending = await db.fetchone(
        "SELECT 1 FROM reminders WHERE user_id = ? AND notice_pending = 1", (user_id,)
    )
    if pending is None:
        return None
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE reminders SET notice_pending = 0 WHERE user_id = ? AND notice_pending = 1",
            (user_id,),
        )
        if cur.rowcount == 0:
            return None
        async with conn.execute(
            "SELECT reminders_off_reason FROM learners WHERE user_id = ?", (user_id,)
        ) as rows:
            row = await rows.fetchone()
    return None if row is None else row[0]


async def get_settings(db: Database, user_id: int) -> Settings | None:
    """The learner's reminder settings, or None for an unknown learner."""
    row = await db.fetchone(
        "SELECT l.reminder_time, l.time_zone, l.reminders_off_reason, r.next_at"
        " FROM learners l LEFT JOIN reminders r ON r.user_id = l.user_id WHERE l.user_id = ?",
        (user_id,),
    )
    if row is None:
        return None
    return Settings(
        reminder_time=row["reminder_time"],
        time_zone=row["time_zone"],
        off_reason=row["reminders_off_reason"],
        next_at=maybe_datetime(row["next_at"]),
    )


async def plan_rows_for(conn: aiosqlite.Connection, user_id: int) -> sqlite3.Row | None:
    """The learner's reminder time and zone, if reminders are on (inside a transaction)."""
    async with conn.execute(
        "SELECT l.reminder_time, l.time_zone FROM learners l JOIN reminders r"
        " ON r.user_id = l.user_id WHERE l.user_id = ? AND l.reminder_time IS NOT NULL",
        (user_id,),
    ) as cur:
        row: sqlite3.Row | None = await cur.fetchone()
    return row


async def due_rows(conn: aiosqlite.Connection, now: datetime, limit: int) -> list[DueRow]:
    """Up to ``limit`` reminders due at ``now``, earliest first (inside the claim)."""
    now_s = to_epoch(now)
    # One statement for the whole batch: the due count is a correlated subquery on the
    # (user_id, due) index and the existing claim a join on the primary key, so a batch
    # of hundreds costs one round trip to the database thread instead of three per row.
    async with conn.execute(
        "SELECT r.user_id, r.next_at, r.local_date, r.planned_zone, r.planned_time,"
        " l.time_zone, l.reminder_time, l.streak, l.best_streak, l.freezes,"
        " l.last_active_date, s.status AS claim_status,"
        " (SELECT COUNT(*) FROM card_states c WHERE c.user_id = r.user_id AND c.due <= ?)"
        " AS due_count"
        " FROM reminders r JOIN learners l ON l.user_id = r.user_id"
        " LEFT JOIN reminder_sends s ON s.user_id = r.user_id AND s.local_date = r.local_date"
        " WHERE r.next_at <= ? ORDER BY r.next_at, r.user_id LIMIT ?",
        (now_s, now_s, limit),
    ) as cur:
        rows = await cur.fetchall()
    return [
        DueRow(
            user_id=row["user_id"],
            next_at=from_epoch(row["next_at"]),
            local_date=date.fromisoformat(row["local_date"]),
            planned_zone=row["planned_zone"],
            planned_time=row["planned_time"],
            time_zone=row["time_zone"],
            reminder_time=row["reminder_time"],
            streak=_streak(row),
            due_count=row["due_count"],
            claim_status=row["claim_status"],
        )
        for row in rows
    ]


async def claim_status(conn: aiosqlite.Connection, user_id: int, day: date) -> str | None:
    """The status recorded for (learner, local date), or None if nothing was decided yet."""
    async with conn.execute(
        "SELECT status FROM reminder_sends WHERE user_id = ? AND local_date = ?",
        (user_id, day.isoformat()),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


async def insert_sends(conn: aiosqlite.Connection, records: Sequence[SendRecord]) -> None:
    """Record decisions. A plain INSERT: a (learner, date) already decided raises
    ``IntegrityError`` and rolls the whole claim back, so it can never be sent twice."""
    await conn.executemany(
        "INSERT INTO reminder_sends (user_id, local_date, status, due_count, streak, at_risk,"
        " scheduled_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.user_id,
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


async def update_plans(conn: aiosqlite.Connection, plans: Sequence[Plan], now: datetime) -> None:
    """Move each learner's ``next_at`` (inside the claim that decided about the old one)."""
    await conn.executemany(
        "UPDATE reminders SET next_at = ?, local_date = ?, planned_zone = ?, planned_time = ?,"
        " updated_at = ? WHERE user_id = ?",
        [
            (
                to_epoch(p.next_at),
                p.local_date.isoformat(),
                p.zone,
                p.local_time,
                to_epoch(now),
                p.user_id,
            )
            for p in plans
        ],
    )


async def delete_plans(conn: aiosqlite.Connection, user_ids: Sequence[int]) -> None:
    """Drop plans whose learner has no reminder time any more."""
    await conn.executemany("DELETE FROM reminders WHERE user_id = ?", [(u,) for u in user_ids])


async def finish_sends(
    conn: aiosqlite.Connection,
    outcomes: Sequence[tuple[int, date, str, str | None]],
    now: datetime,
) -> None:
    """Record how claimed reminders ended: (user, local date, status, error)."""
    await conn.executemany(
        "UPDATE reminder_sends SET status = ?, error = ?, finished_at = ?"
        " WHERE user_id = ? AND local_date = ? AND status = 'claimed'",
        [
            (status, error, to_epoch(now), user_id, day.isoformat())
            for user_id, day, status, error in outcomes
        ],
    )


async def release(
    conn: aiosqlite.Connection, claims: Sequence[tuple[int, date, datetime]], now: datetime
) -> None:
    """Undo claims that were never attempted: (user, local date, reminder instant).

    Deletes the ``claimed`` row and moves ``next_at`` back to that reminder, unless the
    plan changed meanwhile (the learner turned reminders off or set a new time).
    """
    for user_id, day, instant in claims:
        cur = await conn.execute(
            "DELETE FROM reminder_sends"
            " WHERE user_id = ? AND local_date = ? AND status = 'claimed'",
            (user_id, day.isoformat()),
        )
        if cur.rowcount:
            await conn.execute(
                "UPDATE reminders SET next_at = ?, local_date = ?, updated_at = ?"
                " WHERE user_id = ? AND next_at > ?",
                (to_epoch(instant), day.isoformat(), to_epoch(now), user_id, to_epoch(instant)),
            )


async def send_counts(db: Database, day: date | None = None) -> dict[str, int]:
    """How many (learner, date) decisions have each status, optionally for one date."""
    if day is None:
        rows = await db.fetchall("SELECT status, COUNT(*) FROM reminder_sends GROUP BY status")
    else:
        rows = await db.fetchall(
            "SELECT status, COUNT(*) FROM reminder_sends WHERE local_date = ? GROUP BY status",
            (day.isoformat(),),
        )
    return {str(row[0]): int(row[1]) for row in rows}


async def prune_sends(db: Database, claimed_before: datetime) -> int:
    """Forget decisions claimed before ``claimed_before``; returns how many.

    Safe once they are older than a couple of days: ``next_at`` only moves forward, so
    no old local date can come up again.
    """
    async with db.transaction() as conn:
        cur = await conn.execute(
            "DELETE FROM reminder_sends WHERE claimed_at < ?", (to_epoch(claimed_before),)
        )
        return cur.rowcount
