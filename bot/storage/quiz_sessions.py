"""The ``quiz_sessions`` table: a session's queue, position and current step's result."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from bot.storage.codec import to_epoch
from bot.storage.database import Database


class Phase(StrEnum):
    """Where the current step is."""

    QUESTION = "question"
    REVEALED = "revealed"
    ANSWERED = "answered"


class Status(StrEnum):
    """Whether the session goes on."""

    ACTIVE = "active"
    FINISHED = "finished"
    ABANDONED = "abandoned"
    EXPIRED = "expired"
    """Left open and untouched for a day: closed by :func:`expire_idle`."""


@dataclass(frozen=True)
class QueueItem:
    """One card in a session's queue."""

    deck_id: str
    card_id: str


@lru_cache(maxsize=4096)
def _queue(text: str) -> tuple[QueueItem, ...]:
    """A stored queue, parsed. A session's queue never changes once written, and every
    click reads it: the cache keeps the parse (a read cache of immutable data; the
    database stays the record)."""
    return tuple(QueueItem(d, c) for d, c in json.loads(text))


@dataclass(frozen=True)
class SessionRecord:
    """A stored quiz session."""

    id: int
    user_id: int
    guild_id: int | None
    channel_id: int | None
    deck_id: str | None
    kind: str
    queue: tuple[QueueItem, ...]
    position: int
    phase: Phase
    status: Status
    message_id: int | None
    answered: int
    correct: int
    xp: int
    last_result: dict[str, Any] | None
    hint_shown: bool

    @property
    def current(self) -> QueueItem | None:
        """The card at the current position, None past the end."""
        return self.queue[self.position] if self.position < len(self.queue) else None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SessionRecord:
        """Build from a ``SELECT * FROM quiz_sessions`` row."""
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            deck_id=row["deck_id"],
            kind=row["kind"],
            queue=_queue(row["queue"]),
            position=row["position"],
            phase=Phase(row["phase"]),
            status=Status(row["status"]),
            message_id=row["message_id"],
            answered=row["answered"],
            correct=row["correct"],
            xp=row["xp"],
            last_result=json.loads(row["last_result"]) if row["last_result"] else None,
            hint_shown=bool(row["hint_shown"]),
        )


# Each statement has an async form (``aiosqlite``, inside ``Database.transaction``) and
# a ``*_sync`` form (plain ``sqlite3``, inside a ``Database.run_transaction`` or
# ``run_read`` job): the same SQL and parameters, built once below.

_CREATE = (
    "INSERT INTO quiz_sessions (user_id, guild_id, channel_id, deck_id, kind, queue,"
    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_LOAD = "SELECT * FROM quiz_sessions WHERE id = ?"
_ABANDON = (
    "UPDATE quiz_sessions SET status = 'abandoned', updated_at = ?"
    " WHERE user_id = ? AND status = 'active' AND channel_id IS ?"
)
_COLUMNS = frozenset(
    {
        "position",
        "phase",
        "status",
        "message_id",
        "answered",
        "correct",
        "xp",
        "last_result",
        "hint_shown",
    }
)


def _create_params(
    user_id: int,
    guild_id: int | None,
    channel_id: int | None,
    deck_id: str | None,
    kind: str,
    queue: list[QueueItem],
    now: datetime,
) -> tuple[Any, ...]:
    return (
        user_id,
        guild_id,
        channel_id,
        deck_id,
        kind,
        json.dumps([[q.deck_id, q.card_id] for q in queue]),
        to_epoch(now),
        to_epoch(now),
    )


def _update_statement(
    session_id: int, now: datetime, fields: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    unknown = set(fields) - _COLUMNS
    if unknown:
        raise ValueError(f"not session columns: {sorted(unknown)}")
    values = dict(fields)
    if "last_result" in values and values["last_result"] is not None:
        values["last_result"] = json.dumps(values["last_result"])
    for key in ("phase", "status"):
        if key in values:
            values[key] = str(values[key])
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    values["id"] = session_id
    values["updated_at"] = to_epoch(now)
    sql = f"UPDATE quiz_sessions SET {assignments}, updated_at = :updated_at WHERE id = :id"
    return sql, values


def create_sync(
    conn: sqlite3.Connection,
    *,
    user_id: int,
    guild_id: int | None,
    channel_id: int | None,
    deck_id: str | None,
    kind: str,
    queue: list[QueueItem],
    now: datetime,
) -> int:
    """Store a new active session and return its id (in a ``Database.run_transaction`` job)."""
    params = _create_params(user_id, guild_id, channel_id, deck_id, kind, queue, now)
    cur = conn.execute(_CREATE, params)
    assert cur.lastrowid is not None
    return cur.lastrowid


def load_sync(conn: sqlite3.Connection, session_id: int) -> SessionRecord | None:
    """:func:`load` in a ``Database.run_transaction`` or ``run_read`` job."""
    row = conn.execute(_LOAD, (session_id,)).fetchone()
    return SessionRecord.from_row(row) if row else None


async def get(db: Database, session_id: int) -> SessionRecord | None:
    """Read a session outside a transaction."""
    row = await db.fetchone(_LOAD, (session_id,))
    return SessionRecord.from_row(row) if row else None


def update_sync(
    conn: sqlite3.Connection, session_id: int, now: datetime, **fields: Any
) -> SessionRecord | None:
    """:func:`update` in a ``Database.run_transaction`` job; returns the updated session
    as stored (None if there is no such session), read by the same statement."""
    sql, values = _update_statement(session_id, now, fields)
    rows = conn.execute(sql + " RETURNING *", values).fetchall()
    return SessionRecord.from_row(rows[0]) if rows else None


def abandon_active_sync(
    conn: sqlite3.Connection, user_id: int, channel_id: int | None, now: datetime
) -> None:
    """:func:`abandon_active` in a ``Database.run_transaction`` job."""
    conn.execute(_ABANDON, (to_epoch(now), user_id, channel_id))


# Housekeeping. Sessions are working state, not the record: every answer is in
# ``reviews`` (the log, which stays), and statistics, streaks and leaderboards are
# computed from the log and its roll-ups, never from this table. A closed session is
# kept a while so that its old message's buttons can still say it is over.

_EXPIRE = (
    "UPDATE quiz_sessions SET status = 'expired', updated_at = :now"
    " WHERE id IN (SELECT id FROM quiz_sessions"
    " WHERE status = 'active' AND updated_at < :before LIMIT :limit)"
)
# Never the newest row: without AUTOINCREMENT, SQLite gives a new row max(id) + 1, and
# an emptied table would hand out old ids again, which old buttons and the reviews'
# unique (session_id, step) still refer to.
_PRUNE = (
    "DELETE FROM quiz_sessions WHERE id IN (SELECT id FROM quiz_sessions"
    " WHERE status != 'active' AND updated_at < :before"
    " AND id < (SELECT MAX(id) FROM quiz_sessions) LIMIT :limit)"
)


def _one_batch(sql: str, params: dict[str, Any]) -> Callable[[sqlite3.Connection], int]:
    def job(conn: sqlite3.Connection) -> int:
        return conn.execute(sql, params).rowcount

    return job


async def expire_idle(db: Database, before: datetime, now: datetime, *, limit: int) -> int:
    """Mark at most ``limit`` active sessions last touched before ``before`` as expired;
    returns how many (one short transaction, so clicks are not held up)."""
    params = {"now": to_epoch(now), "before": to_epoch(before), "limit": limit}
    return await db.run_transaction(_one_batch(_EXPIRE, params))


async def prune_closed(db: Database, before: datetime, *, limit: int) -> int:
    """Delete at most ``limit`` finished, abandoned or expired sessions closed before
    ``before``; returns how many (one short transaction)."""
    params = {"before": to_epoch(before), "limit": limit}
    return await db.run_transaction(_one_batch(_PRUNE, params))
