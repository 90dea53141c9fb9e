"""The append-only ``reviews`` log."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.codec import to_epoch


@dataclass(frozen=True)
class ReviewEntry:
    """One graded answer as it is logged."""

    user_id: int
    guild_id: int | None
    deck_id: str
    card_id: str
    kind: str
    rating: int
    correct: bool
    xp: int
    was_due: bool
    reviewed_at: datetime
    session_id: int | None = None
    step: int | None = None
    concepts_missed: tuple[str, ...] | None = None


_APPEND = (
    "INSERT INTO reviews (user_id, guild_id, deck_id, card_id, kind, rating, correct, xp,"
    " was_due, concepts_missed, session_id, step, reviewed_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _params(entry: ReviewEntry) -> tuple[int | str | None, ...]:
    return (
        entry.user_id,
        entry.guild_id,
        entry.deck_id,
        entry.card_id,
        entry.kind,
        entry.rating,
        int(entry.correct),
        entry.xp,
        int(entry.was_due),
        None if entry.concepts_missed is None else json.dumps(list(entry.concepts_missed)),
        entry.session_id,
        entry.step,
        to_epoch(entry.reviewed_at),
    )


async def append(conn: aiosqlite.Connection, entry: ReviewEntry) -> int:
    """Log one review (inside the transaction that also updates the card and learner).

    Raises ``sqlite3.IntegrityError`` if (session_id, step) was already logged.
    """
    cur = await conn.execute(_APPEND, _params(entry))
    assert cur.lastrowid is not None
    return cur.lastrowid


def append_sync(conn: sqlite3.Connection, entry: ReviewEntry) -> int:
    """:func:`append` in a ``Database.run_transaction`` job (same IntegrityError)."""
    cur = conn.execute(_APPEND, _params(entry))
    assert cur.lastrowid is not None
    return cur.lastrowid
