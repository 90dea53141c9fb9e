"""The ``card_states`` table: each learner's FSRS memory of each card."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.core.scheduling import CardMemory
from bot.storage.codec import from_epoch, maybe_datetime, maybe_epoch, to_epoch
from bot.storage.script import Row, Script, Statement, execute, one_after, rows, value

CardKey = tuple[str, str]
"""(deck id, card id)"""


MEMORY_COLUMNS = (
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
)
"""The columns of a card's memory (besides its key)."""


def columns_as(table: str, prefix: str) -> str:
    """The memory columns of ``table`` (an alias) as ``<prefix><column>``, for a query
    joining card_states to tables with columns of the same names."""
    return ", ".join(f"{table}.{name} AS {prefix}{name}" for name in MEMORY_COLUMNS)


def memory_from_row(row: Row, prefix: str = "") -> CardMemory:
    """A :class:`CardMemory` from a row with the memory columns (named ``prefix`` +
    the column, see :func:`columns_as`)."""
    return CardMemory(
        state=int(row[f"{prefix}state"]),
        step=row[f"{prefix}step"],
        stability=row[f"{prefix}stability"],
        difficulty=row[f"{prefix}difficulty"],
        due=from_epoch(row[f"{prefix}due"]),
        last_review=maybe_datetime(row[f"{prefix}last_review"]),
        reps=int(row[f"{prefix}reps"]),
        lapses=int(row[f"{prefix}lapses"]),
    )


_memory = memory_from_row


def get(
    learner_id: int, deck_id: str, card_id: str, *, after: Sequence[Statement] = ()
) -> Script[CardMemory | None]:
    """The learner's memory of one card, or None for a new card.

    ``after``: writes to make first, none of them to this card's memory (see
    :func:`~bot.storage.script.one_after`: one statement on PostgreSQL).
    """
    row = yield from one_after(
        after,
        "SELECT * FROM card_states WHERE learner_id = ? AND deck_id = ? AND card_id = ?",
        learner_id,
        deck_id,
        card_id,
    )
    return _memory(row) if row else None


def put_statement(
    learner_id: int,
    deck_id: str,
    card_id: str,
    memory: CardMemory,
    *,
    community_id: int | None = None,
) -> Statement:
    """The upsert of :func:`put`, for :func:`bot.storage.script.execute_together`.

    ``community_id``: where the card was studied. A review outside any community (a
    DM) keeps the community of the card's last review in one (the class view counts
    a card in the community where it was last studied).
    """
    return (
        "INSERT INTO card_states (learner_id, deck_id, card_id, state, step, stability,"
        " difficulty, due, last_review, reps, lapses, community_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (learner_id, deck_id, card_id) DO UPDATE SET state = excluded.state,"
        " step = excluded.step, stability = excluded.stability,"
        " difficulty = excluded.difficulty, due = excluded.due,"
        " last_review = excluded.last_review, reps = excluded.reps, lapses = excluded.lapses,"
        " community_id = COALESCE(excluded.community_id, card_states.community_id)",
        (
            learner_id,
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
            community_id,
        ),
    )


def put(
    learner_id: int,
    deck_id: str,
    card_id: str,
    memory: CardMemory,
    *,
    community_id: int | None = None,
) -> Script[None]:
    """Insert or replace the learner's memory of one card (see :func:`put_statement`)."""
    sql, params = put_statement(learner_id, deck_id, card_id, memory, community_id=community_id)
    yield from execute(sql, *params)


def for_learner(
    learner_id: int, deck_ids: Iterable[str] | None = None
) -> Script[dict[CardKey, CardMemory]]:
    """Every card memory of a learner, optionally limited to some decks."""
    found = yield from rows("SELECT * FROM card_states WHERE learner_id = ?", learner_id)
    wanted = None if deck_ids is None else set(deck_ids)
    return {
        (row["deck_id"], row["card_id"]): _memory(row)
        for row in found
        if wanted is None or row["deck_id"] in wanted
    }


def due(learner_id: int, cutoff: datetime, limit: int) -> Script[list[CardKey]]:
    """The learner's cards due at ``cutoff`` (:func:`bot.core.due.due_cutoff`), most
    overdue first (read off the primary key: the learner's rows, due ones sorted)."""
    found = yield from rows(
        "SELECT deck_id, card_id FROM card_states WHERE learner_id = ? AND due <= ?"
        " ORDER BY due, deck_id, card_id LIMIT ?",
        learner_id,
        to_epoch(cutoff),
        limit,
    )
    return [(row["deck_id"], row["card_id"]) for row in found]


def count_due(learner_id: int, until: datetime) -> Script[int]:
    """How many of the learner's cards are due at or before ``until``."""
    count = yield from value(
        "SELECT COUNT(*) FROM card_states WHERE learner_id = ? AND due <= ?",
        learner_id,
        to_epoch(until),
    )
    return int(count or 0)


def scheduled_until(learner_id: int, until: datetime) -> Script[list[tuple[str, str, datetime]]]:
    """The learner's cards scheduled at or before ``until``: (deck id, card id, due)."""
    found = yield from rows(
        "SELECT deck_id, card_id, due FROM card_states WHERE learner_id = ? AND due <= ?",
        learner_id,
        to_epoch(until),
    )
    return [(str(r["deck_id"]), str(r["card_id"]), from_epoch(r["due"])) for r in found]


def next_due(learner_id: int) -> Script[datetime | None]:
    """The learner's earliest scheduled review, if any."""
    first = yield from value("SELECT MIN(due) FROM card_states WHERE learner_id = ?", learner_id)
    return maybe_datetime(first)


__all__ = [
    "MEMORY_COLUMNS",
    "CardKey",
    "columns_as",
    "count_due",
    "due",
    "for_learner",
    "get",
    "memory_from_row",
    "next_due",
    "put",
    "put_statement",
    "scheduled_until",
]
