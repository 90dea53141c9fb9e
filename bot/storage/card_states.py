"""The ``card_states`` table: each learner's FSRS memory of each card."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.core.scheduling import CardMemory
from bot.storage.codec import from_epoch, maybe_datetime, maybe_epoch, to_epoch
from bot.storage.script import Row, Script, Statement, execute, one, rows, value

CardKey = tuple[str, str]
"""(deck id, card id)"""


def _memory(row: Row) -> CardMemory:
    return CardMemory(
        state=int(row["state"]),
        step=row["step"],
        stability=row["stability"],
        difficulty=row["difficulty"],
        due=from_epoch(row["due"]),
        last_review=maybe_datetime(row["last_review"]),
        reps=int(row["reps"]),
        lapses=int(row["lapses"]),
    )


def get(learner_id: int, deck_id: str, card_id: str) -> Script[CardMemory | None]:
    """The learner's memory of one card, or None for a new card."""
    row = yield from one(
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
    "CardKey",
    "count_due",
    "due",
    "for_learner",
    "get",
    "next_due",
    "put",
    "put_statement",
    "scheduled_until",
]
