"""The ``quiz_sessions`` table: each session's queue, position and current result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from bot.core.learner import Identity, Learner
from bot.core.scheduling import CardMemory
from bot.core.session import (
    Phase,
    QueueItem,
    SessionKind,
    SessionState,
    Status,
    StepResult,
)
from bot.storage import card_states, learners
from bot.storage.codec import to_epoch
from bot.storage.script import (
    Dialect,
    Dialects,
    Row,
    Script,
    Statement,
    dialect,
    execute,
    for_update,
    one,
)

_COLUMNS = (
    "id, learner_id, community_id, channel, deck_id, kind, queue, position, phase, status,"
    " message, answered, correct, xp, last_result, hint_shown, level"
)


_COLUMN_NAMES = tuple(name.strip() for name in _COLUMNS.split(","))


@lru_cache(maxsize=4096)
def _queue(text: str) -> tuple[QueueItem, ...]:
    """A stored queue, parsed. A session's queue never changes once written and every
    click reads it: the cache keeps the parse (of immutable data; the row stays the
    record)."""
    return tuple(QueueItem(d, c) for d, c in json.loads(text))


def _state(row: Row) -> SessionState:
    result = row["last_result"]
    return SessionState(
        id=int(row["id"]),
        learner_id=int(row["learner_id"]),
        community_id=row["community_id"],
        channel=row["channel"],
        deck_id=row["deck_id"],
        kind=SessionKind(row["kind"]),
        queue=_queue(row["queue"]),
        position=int(row["position"]),
        phase=Phase(row["phase"]),
        status=Status(row["status"]),
        message=row["message"],
        answered=int(row["answered"]),
        correct=int(row["correct"]),
        xp=int(row["xp"]),
        last_result=StepResult.from_dict(json.loads(result)) if result else None,
        hint_shown=bool(row["hint_shown"]),
        level=row["level"],
    )


def _create_statement(
    learner_id: int,
    community_id: int | None,
    channel: str | None,
    deck_id: str | None,
    kind: SessionKind,
    queue: list[QueueItem],
    now: datetime,
    level: str | None,
) -> Statement:
    return (
        "INSERT INTO quiz_sessions (learner_id, community_id, channel, deck_id, kind, queue,"
        f" level, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        (
            learner_id,
            community_id,
            channel,
            deck_id,
            str(kind),
            json.dumps([[q.deck_id, q.card_id] for q in queue]),
            level,
            to_epoch(now),
            to_epoch(now),
        ),
    )


def open_new(
    *,
    close: Statement,
    learner_id: int,
    community_id: int | None,
    channel: str | None,
    deck_id: str | None,
    kind: SessionKind,
    queue: list[QueueItem],
    now: datetime,
    level: str | None = None,
) -> Script[tuple[SessionState, bool]]:
    """End the learner's open sessions with ``close`` (:func:`abandon_statement` or
    :func:`finish_statement`), then store a new active session; also whether the
    learner had any session row before (:func:`has_any`, read first).

    On SQLite three statements; on PostgreSQL one (the read and the closing as
    ``WITH`` queries before the insert: they see the table as it was before, and the
    closing changes other rows than the one inserted), one round trip instead of three.
    """
    insert, values = _create_statement(
        learner_id, community_id, channel, deck_id, kind, queue, now, level
    )
    if (yield from dialect()) is Dialect.SQLITE:
        had = yield from has_any(learner_id)
        yield from execute(close[0], *close[1])
        row = yield from one(insert, *values)
        assert row is not None
        return _state(row), had
    row = yield from one(_open_new_sql(close[0], insert), learner_id, *close[1], *values)
    assert row is not None
    return _state(row), bool(row["had_any"])


@lru_cache(maxsize=8)
def _open_new_sql(close: str, insert: str) -> str:
    return (
        "WITH had AS (SELECT EXISTS (SELECT 1 FROM quiz_sessions WHERE learner_id = ?) AS found),"
        f" closed AS ({close}) {insert}, (SELECT found FROM had) AS had_any"
    )


def load(session_id: int, *, lock: bool = False) -> Script[SessionState | None]:
    """The session, or None. ``lock``: it is about to change (see :func:`for_update`)."""
    sql = f"SELECT {_COLUMNS} FROM quiz_sessions WHERE id = ?"
    row = yield from one(for_update(sql) if lock else sql, session_id)
    return _state(row) if row else None


# The click's locking read in one statement. The row locks are taken in the order of
# ``FOR UPDATE OF``: the learner's row, then the session's (the lock order every
# script keeps, see StudyService._click). Both tables are locked, so on a row another
# transaction changed meanwhile PostgreSQL re-reads the newest version of both.
_CLICK_SQL = (
    f"SELECT {learners.columns_as('l', 'l_')}, {', '.join(f's.{c}' for c in _COLUMN_NAMES)}"
    " FROM learners l, quiz_sessions s"
    " WHERE l.platform = ? AND l.external_id = ? AND s.id = ?"
)
# On PostgreSQL the same statement also reads the learner's memory of the session's
# current card (what a grade needs), saving the round trip of a second read. Only the
# locked rows are re-read when the lock had to wait for another transaction's
# change; a joined unlocked row stays as the statement's snapshot saw it, which may
# be older than that change. Every change to a learner's card memories also updates
# the learner's row (reviews.record), so the memory is known fresh exactly when the
# learner row locked is the version of the statement's snapshot (``c_fresh``: the
# subquery reads that version); otherwise the script reads it again after the lock.
_CLICK_POSTGRES = (
    f"SELECT {learners.columns_as('l', 'l_')}, {', '.join(f's.{c}' for c in _COLUMN_NAMES)},"
    f" c.learner_id IS NOT NULL AS c_found, {card_states.columns_as('c', 'c_')},"
    " (SELECT v.xmin FROM learners v WHERE v.id = l.id) = l.xmin AS c_fresh"
    " FROM learners l CROSS JOIN quiz_sessions s"
    " LEFT JOIN card_states c ON c.learner_id = l.id"
    " AND c.deck_id = (s.queue::jsonb -> s.position ->> 0)"
    " AND c.card_id = (s.queue::jsonb -> s.position ->> 1)"
    " WHERE l.platform = ? AND l.external_id = ? AND s.id = ?"
    " FOR UPDATE OF l, s"
)
_CLICK = Dialects(sqlite=_CLICK_SQL, postgres=_CLICK_POSTGRES)


@dataclass(frozen=True, slots=True)
class ClickRows:
    """What a click's locking read found (see :func:`load_for_click`)."""

    learner: Learner | None
    state: SessionState | None
    memory_known: bool = False
    """True when :attr:`memory` is the learner's memory of the session's current card
    as it stands under the locks (PostgreSQL, nearly always); else read it yourself."""
    memory: CardMemory | None = None
    """That memory (None: a new card), when :attr:`memory_known`."""


def load_for_click(who: Identity, session_id: int) -> Script[ClickRows]:
    """The clicking learner and the session, both locked for the click's changes.

    The same as :func:`bot.storage.learners.find` then :func:`load` with ``lock``, in
    one statement when both exist (every click but a stranger's or a stale one's). On
    PostgreSQL the statement also reads the learner's memory of the current card.
    """
    row = yield from one(_CLICK, str(who.platform), who.external_id, session_id)
    if row is not None:
        learner, state = learners.learner_from_row(row, "l_"), _state(row)
        # SQLite's statement reads no memory: its whole script is one trip anyway.
        if (yield from dialect()) is Dialect.SQLITE or not row["c_fresh"]:
            return ClickRows(learner, state)
        memory = card_states.memory_from_row(row, "c_") if row["c_found"] else None
        return ClickRows(learner, state, memory_known=True, memory=memory)
    # One of them is missing: find which, in the same order.
    found = yield from learners.find(who, lock=True)
    return ClickRows(found, (yield from load(session_id, lock=True)))


def save_statement(state: SessionState, now: datetime) -> Statement:
    """The UPDATE of :func:`save`, for :func:`bot.storage.script.execute_together`."""
    return (
        "UPDATE quiz_sessions SET position = ?, phase = ?, status = ?, message = ?,"
        " answered = ?, correct = ?, xp = ?, last_result = ?, hint_shown = ?, updated_at = ?"
        " WHERE id = ?",
        (
            state.position,
            str(state.phase),
            str(state.status),
            state.message,
            state.answered,
            state.correct,
            state.xp,
            None if state.last_result is None else json.dumps(state.last_result.to_dict()),
            int(state.hint_shown),
            to_epoch(now),
            state.id,
        ),
    )


def save(state: SessionState, now: datetime) -> Script[None]:
    """Store a session's new state (the columns a transition may change)."""
    sql, params = save_statement(state, now)
    yield from execute(sql, *params)


def set_message(session_id: int, message: str) -> Script[None]:
    """Remember which message shows the session.

    ``updated_at`` stays: it is when the learner last did something, which decides
    when an untouched session expires, and showing it is not the learner's doing.
    """
    # After every new session message; the same again is harmless (see Query.alone).
    yield from execute(
        "UPDATE quiz_sessions SET message = ? WHERE id = ?", message, session_id, alone=True
    )


def abandon_statement(learner_id: int, channel: str | None, now: datetime) -> Statement:
    """The UPDATE of :func:`abandon_active` (for :func:`open_new`)."""
    return (
        "UPDATE quiz_sessions SET status = 'abandoned', updated_at = ?"
        " WHERE learner_id = ? AND status = 'active'"
        " AND (channel = ? OR (channel IS NULL AND CAST(? AS TEXT) IS NULL))",
        (to_epoch(now), learner_id, channel, channel),
    )


def abandon_active(learner_id: int, channel: str | None, now: datetime) -> Script[int]:
    """Mark the learner's running sessions in ``channel`` as abandoned; how many."""
    sql, params = abandon_statement(learner_id, channel, now)
    count = yield from execute(sql, *params)
    return count


def find_open(learner_id: int, touched_after: datetime) -> Script[SessionState | None]:
    """The learner's most recently used open session, in any channel, if it was used
    after ``touched_after`` (an older one is about to expire: it no longer counts)."""
    row = yield from one(
        f"SELECT {_COLUMNS} FROM quiz_sessions WHERE learner_id = ? AND status = 'active'"
        " AND updated_at > ? ORDER BY updated_at DESC, id DESC LIMIT 1",
        learner_id,
        to_epoch(touched_after),
    )
    return _state(row) if row else None


def finish_statement(learner_id: int, now: datetime) -> Statement:
    """The UPDATE of :func:`finish_active` (for :func:`open_new`)."""
    return (
        "UPDATE quiz_sessions SET status = 'finished', phase = 'question', updated_at = ?"
        " WHERE learner_id = ? AND status = 'active'",
        (to_epoch(now), learner_id),
    )


def finish_active(learner_id: int, now: datetime) -> Script[int]:
    """End every open session of the learner, in every channel (their answers stay in
    the log); how many."""
    sql, params = finish_statement(learner_id, now)
    count = yield from execute(sql, *params)
    return count


def has_any(learner_id: int) -> Script[bool]:
    """Whether the learner has any session row (open, or closed and not yet pruned)."""
    found = yield from one("SELECT 1 FROM quiz_sessions WHERE learner_id = ? LIMIT 1", learner_id)
    return found is not None


# Housekeeping. Sessions are working state, not the record: every answer is in
# ``reviews`` (the log, which stays), and statistics, streaks and leaderboards come
# from the log and its roll-ups, never from this table. A closed session is kept a
# while so that its old message's buttons can still say it is over.


def expire_idle(before: datetime, now: datetime, *, limit: int) -> Script[int]:
    """Mark at most ``limit`` active sessions last touched before ``before`` as expired."""
    count = yield from execute(
        "UPDATE quiz_sessions SET status = 'expired', updated_at = ?"
        " WHERE id IN (SELECT id FROM quiz_sessions"
        " WHERE status = 'active' AND updated_at < ? LIMIT ?)",
        to_epoch(now),
        to_epoch(before),
        limit,
    )
    return count


def prune_closed(before: datetime, *, limit: int) -> Script[int]:
    """Delete at most ``limit`` closed sessions last touched before ``before``.

    Never the newest row: SQLite (without AUTOINCREMENT) gives a new row max(id) + 1,
    and an emptied table would hand out old ids again, which old buttons and the
    reviews' unique (session_id, step) still refer to.
    """
    count = yield from execute(
        "DELETE FROM quiz_sessions WHERE id IN (SELECT id FROM quiz_sessions"
        " WHERE status != 'active' AND updated_at < ?"
        " AND id < (SELECT MAX(id) FROM quiz_sessions) LIMIT ?)",
        to_epoch(before),
        limit,
    )
    return count


__all__ = [
    "ClickRows",
    "abandon_active",
    "abandon_statement",
    "expire_idle",
    "find_open",
    "finish_active",
    "finish_statement",
    "has_any",
    "load",
    "load_for_click",
    "open_new",
    "prune_closed",
    "save",
    "save_statement",
    "set_message",
]
