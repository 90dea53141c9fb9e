"""The ``card_states`` table: each learner's FSRS memory of each card."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.scheduling import CardMemory
from bot.storage.codec import from_epoch, maybe_datetime, maybe_epoch, to_epoch
from bot.storage.database import Database

CardKey = tuple[str, str]
"""(deck id, card id)"""


def _memory(row: sqlite3.Row) -> CardMemory:
    return CardMemory(
        state=row["state"],
        step=row["step"],
        stability=row["stability"],
        difficulty=row["difficulty"],
        due=from_epoch(row["due"]),
        last_review=maybe_datetime(row["last_review"]),
        reps=row["reps"],
        lapses=row["lapses"],
    )


_GET = "SELECT * FROM card_states WHERE user_id = ? AND deck_id = ? AND card_id = ?"
_PUT = (
    "INSERT OR REPLACE INTO card_states (user_id, deck_id, card_id, state, step, stability,"
    " difficulty, due, last_review, reps, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_NEXT_DUE = "SELECT MIN(due) FROM card_states WHERE user_id = ?"


def _put_params(
    user_id: int, deck_id: str, card_id: str, memory: CardMemory
) -> tuple[int | str | float | None, ...]:
    return (
        user_id,
        deck_id,
        card_id,
        memory.state,
        memory.step,
        memory.stability,
        memory.difficulty,
        to_epoch(memory.due),
        maybe_epoch(memory.last_review),
        memory.reps,
        memory.lapses,
    )


async def get(
    conn: aiosqlite.Connection, user_id: int, deck_id: str, card_id: str
) -> CardMemory | None:
    """The learner's memory of one card, or None for a new card."""
    # execute_fetchall: one trip to the database thread (see Database.fetchall).
    rows = list(await conn.execute_fetchall(_GET, (user_id, deck_id, card_id)))
    return _memory(rows[0]) if rows else None


def get_sync(
    conn: sqlite3.Connection, user_id: int, deck_id: str, card_id: str
) -> CardMemory | None:
    """:func:`get` in a ``Database.run_transaction`` or ``run_read`` job."""
    row = conn.execute(_GET, (user_id, deck_id, card_id)).fetchone()
    return _memory(row) if row else None


async def put(
    conn: aiosqlite.Connection, user_id: int, deck_id: str, card_id: str, memory: CardMemory
) -> None:
    """Insert or replace the learner's memory of one card."""
    await conn.execute(_PUT, _put_params(user_id, deck_id, card_id, memory))


def put_sync(
    conn: sqlite3.Connection, user_id: int, deck_id: str, card_id: str, memory: CardMemory
) -> None:
    """:func:`put` in a ``Database.run_transaction`` job."""
    conn.execute(_PUT, _put_params(user_id, deck_id, card_id, memory))


async def for_learner(
    db: Database, user_id: int, deck_ids: Iterable[str] | None = None
) -> dict[CardKey, CardMemory]:
    """Every card memory of a learner, optionally limited to some decks."""
    return await db.run_read(lambda conn: for_learner_sync(conn, user_id, deck_ids))


def for_learner_sync(
    conn: sqlite3.Connection, user_id: int, deck_ids: Iterable[str] | None = None
) -> dict[CardKey, CardMemory]:
    """:func:`for_learner` in a ``Database.run_transaction`` or ``run_read`` job."""
    rows = conn.execute("SELECT * FROM card_states WHERE user_id = ?", (user_id,)).fetchall()
    wanted = None if deck_ids is None else set(deck_ids)
    return {
        (row["deck_id"], row["card_id"]): _memory(row)
        for row in rows
        if wanted is None or row["deck_id"] in wanted
    }


async def due(db: Database, user_id: int, now: datetime, limit: int) -> list[CardKey]:
    """The learner's due cards, most overdue first (uses the (user_id, due) index)."""
    rows = await db.fetchall(
        "SELECT deck_id, card_id FROM card_states WHERE user_id = ? AND due <= ?"
        " ORDER BY due LIMIT ?",
        (user_id, to_epoch(now), limit),
    )
    return [(row["deck_id"], row["card_id"]) for row in rows]


async def count_due(db: Database, user_id: int, until: datetime) -> int:
    """How many of the learner's cards are due at or before ``until``."""
    row = await db.fetchone(
        "SELECT COUNT(*) FROM card_states WHERE user_id = ? AND due <= ?",
        (user_id, to_epoch(until)),
    )
    return int(row[0]) if row else 0


async def next_due(db: Database, user_id: int) -> datetime | None:
    """The learner's earliest scheduled review, if any."""
    row = await db.fetchone(_NEXT_DUE, (user_id,))
    return maybe_datetime(row[0]) if row else None


def next_due_sync(conn: sqlite3.Connection, user_id: int) -> datetime | None:
    """:func:`next_due` in a ``Database.run_transaction`` or ``run_read`` job."""
    row = conn.execute(_NEXT_DUE, (user_id,)).fetchone()
    return maybe_datetime(row[0]) if row else None
