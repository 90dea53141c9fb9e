"""The ``learners`` table: one row per Discord user who has used Recall."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.storage import daily
from bot.storage.codec import to_epoch
from bot.storage.database import Database
from bot.streaks import StreakState


@dataclass(frozen=True)
class Learner:
    """A learner's settings and running totals."""

    user_id: int
    time_zone: str
    reminder_time: str | None
    reminders_off_reason: str | None
    xp: int
    streak: StreakState

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Learner:
        """Build from a ``SELECT * FROM learners`` row."""
        last = row["last_active_date"]
        return cls(
            user_id=row["user_id"],
            time_zone=row["time_zone"],
            reminder_time=row["reminder_time"],
            reminders_off_reason=row["reminders_off_reason"],
            xp=row["xp"],
            streak=StreakState(
                current=row["streak"],
                best=row["best_streak"],
                freezes=row["freezes"],
                last_active=date.fromisoformat(last) if last else None,
            ),
        )


# One statement, one trip to the database thread (see Database.fetchall): the
# no-op update on conflict makes RETURNING give the existing row too.
_ENSURE = (
    "INSERT INTO learners (user_id, created_at) VALUES (?, ?)"
    " ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id RETURNING *"
)
_GET = "SELECT * FROM learners WHERE user_id = ?"
_SAVE_PROGRESS = (
    "UPDATE learners SET xp = xp + ?, streak = ?, best_streak = ?, freezes = ?,"
    " last_active_date = ? WHERE user_id = ?"
)


def _progress_params(
    user_id: int, streak: StreakState, xp_gained: int
) -> tuple[int | str | None, ...]:
    return (
        xp_gained,
        streak.current,
        streak.best,
        streak.freezes,
        streak.last_active.isoformat() if streak.last_active else None,
        user_id,
    )


async def ensure(conn: aiosqlite.Connection, user_id: int, now: datetime) -> Learner:
    """The learner's row, created with defaults on first use (inside a transaction)."""
    [row] = await conn.execute_fetchall(_ENSURE, (user_id, to_epoch(now)))
    return Learner.from_row(row)


def ensure_sync(conn: sqlite3.Connection, user_id: int, now: datetime) -> Learner:
    """:func:`ensure` in a ``Database.run_transaction`` job."""
    [row] = conn.execute(_ENSURE, (user_id, to_epoch(now))).fetchall()
    return Learner.from_row(row)


async def get(db: Database, user_id: int) -> Learner | None:
    """The learner, or None if they never used Recall."""
    row = await db.fetchone(_GET, (user_id,))
    return Learner.from_row(row) if row else None


def get_sync(conn: sqlite3.Connection, user_id: int) -> Learner | None:
    """:func:`get` in a ``Database.run_transaction`` or ``run_read`` job."""
    row = conn.execute(_GET, (user_id,)).fetchone()
    return Learner.from_row(row) if row else None


async def save_progress(
    conn: aiosqlite.Connection, user_id: int, streak: StreakState, xp_gained: int
) -> None:
    """Store a new streak state and add XP (inside the review's transaction)."""
    await conn.execute(_SAVE_PROGRESS, _progress_params(user_id, streak, xp_gained))


def save_progress_sync(
    conn: sqlite3.Connection, user_id: int, streak: StreakState, xp_gained: int
) -> None:
    """:func:`save_progress` in a ``Database.run_transaction`` job."""
    conn.execute(_SAVE_PROGRESS, _progress_params(user_id, streak, xp_gained))


async def set_time_zone(db: Database, user_id: int, zone: str, now: datetime) -> None:
    """Set the learner's IANA time zone."""
    async with db.transaction() as conn:
        await ensure(conn, user_id, now)
        await conn.execute("UPDATE learners SET time_zone = ? WHERE user_id = ?", (zone, user_id))


async def delete(db: Database, user_id: int) -> bool:
    """Delete the learner and, by cascade, all their cards, reviews and sessions.

    Their daily-question answers leave the posts' public counts too (see
    :func:`bot.storage.daily.forget_answers`).
    """
    async with db.transaction() as conn:
        await daily.forget_answers(conn, user_id)
        cur = await conn.execute("DELETE FROM learners WHERE user_id = ?", (user_id,))
        return cur.rowcount > 0
