"""The memory figures' SQL: a community's card memories by deck (schema V7).

A card's memory counts in the community where it was last studied
(``card_states.community_id``). The class's mean recall is read from the
``memory_totals`` groups (a few thousand rows whatever the class size); reviews
coming due and the most overdue learners from ranges of the
``card_states_community_due`` index; single learners' cards by primary key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.learner import Identity, Platform
from bot.core.memory import DAY_SECONDS, CardMemoryFigures, MemoryGroup
from bot.storage.codec import from_epoch, maybe_datetime
from bot.storage.script import Row, Script, done, one, rows

__all__ = [
    "LearnerCards",
    "due_counts",
    "learner_cards",
    "memory_groups",
    "most_overdue",
    "page_cards",
]

OVERDUE_BATCH = 256
"""Index entries read per step of :func:`most_overdue`'s walk."""


def memory_groups(community_id: int, deck_id: str | None) -> Script[dict[str, list[MemoryGroup]]]:
    """The community's memory groups by deck (one deck's, when given)."""
    sql = (
        "SELECT deck_id, review_day, cards, inverse_stability FROM memory_totals"
        " WHERE community_id = ?"
    )
    args: tuple[object, ...] = (community_id,)
    if deck_id is not None:
        sql += " AND deck_id = ?"
        args += (deck_id,)
    found = yield from rows(sql, *args)
    groups: dict[str, list[MemoryGroup]] = {}
    for r in found:
        groups.setdefault(str(r["deck_id"]), []).append(
            MemoryGroup(int(r["review_day"]), int(r["cards"]), float(r["inverse_stability"]))
        )
    return groups


def due_counts(
    community_id: int, deck_id: str, now: int, days: int
) -> Script[tuple[int, tuple[int, ...]]]:
    """(cards due at or before ``now``, cards due after ``now`` on each of ``days`` UTC
    days: the rest of today, then the following days).

    Whole days come from ``due_totals``; only today's cards are counted in the due
    index (before and after ``now``), so the cost is one day's cards, not the class's.
    """
    today = now // DAY_SECONDS
    start = today * DAY_SECONDS
    row = yield from one(
        "SELECT (SELECT COALESCE(SUM(cards), 0) FROM due_totals"
        "        WHERE community_id = ? AND deck_id = ? AND due_day < ?) AS before,"
        " (SELECT COUNT(*) FROM card_states"
        "  WHERE community_id = ? AND deck_id = ? AND due >= ? AND due <= ?) AS so_far,"
        " (SELECT COUNT(*) FROM card_states"
        "  WHERE community_id = ? AND deck_id = ? AND due > ? AND due < ?) AS later",
        community_id,
        deck_id,
        today,
        community_id,
        deck_id,
        start,
        now,
        community_id,
        deck_id,
        now,
        start + DAY_SECONDS,
    )
    found = yield from rows(
        "SELECT due_day, cards FROM due_totals"
        " WHERE community_id = ? AND deck_id = ? AND due_day > ? AND due_day < ?",
        community_id,
        deck_id,
        today,
        today + days,
    )
    by_day = [0] * days
    due_now = 0
    if row is not None:
        due_now = int(row["before"]) + int(row["so_far"])
        by_day[0] = int(row["later"])
    for r in found:
        by_day[int(r["due_day"]) - today] += int(r["cards"])
    return due_now, tuple(by_day)


def most_overdue(community_id: int, deck_id: str, now: int, limit: int) -> Script[list[int]]:
    """Up to ``limit`` learners (internal ids) whose earliest card due at or before ``now``
    is the earliest, most overdue first (ties: learner id).

    A walk of the due index from its oldest entry, in batches, until ``limit``
    different learners are seen: it reads a few hundred entries, not the class.
    """
    seen: list[int] = []
    after: tuple[int, int, str] | None = None
    while len(seen) < limit:
        sql = (
            "SELECT due, learner_id, card_id FROM card_states"
            " WHERE community_id = ? AND deck_id = ? AND due <= ?"
        )
        args: tuple[object, ...] = (community_id, deck_id, now)
        if after is not None:
            sql += " AND (due, learner_id, card_id) > (?, ?, ?)"
            args += after
        sql += " ORDER BY due, learner_id, card_id LIMIT ?"
        found = yield from rows(sql, *args, OVERDUE_BATCH)
        for r in found:
            learner = int(r["learner_id"])
            if learner not in seen:
                seen.append(learner)
                if len(seen) == limit:
                    break
        if len(found) < OVERDUE_BATCH:
            break
        last = found[-1]
        after = (int(last["due"]), int(last["learner_id"]), str(last["card_id"]))
    return seen


@dataclass(frozen=True, slots=True)
class LearnerCards:
    """One learner's card memories of one deck in a community."""

    learner_id: int
    learner: Identity
    cards: list[CardMemoryFigures]


def _figures(r: Row) -> CardMemoryFigures:
    return CardMemoryFigures(
        stability=None if r["stability"] is None else float(r["stability"]),
        last_review=maybe_datetime(r["last_review"]),
        due=from_epoch(r["due"]),
    )


def learner_cards(
    community_id: int, deck_id: str, learner_ids: Sequence[int]
) -> Script[list[LearnerCards]]:
    """The cards of ``deck_id`` that each of ``learner_ids`` last studied in the
    community, in the order of ``learner_ids``."""
    if not learner_ids:
        return (yield from done([]))
    marks = ", ".join("?" for _ in learner_ids)
    found = yield from rows(
        "SELECT c.learner_id, l.platform, l.external_id, c.stability, c.last_review, c.due"
        " FROM card_states c JOIN learners l ON l.id = c.learner_id"
        f" WHERE c.learner_id IN ({marks}) AND c.deck_id = ? AND c.community_id = ?",
        *learner_ids,
        deck_id,
        community_id,
    )
    by_learner: dict[int, LearnerCards] = {}
    for r in found:
        learner_id = int(r["learner_id"])
        entry = by_learner.get(learner_id)
        if entry is None:
            identity = Identity(Platform(r["platform"]), str(r["external_id"]))
            entry = by_learner[learner_id] = LearnerCards(learner_id, identity, [])
        entry.cards.append(_figures(r))
    return [by_learner[i] for i in learner_ids if i in by_learner]


def page_cards(
    community_id: int, first_learner: int, last_learner: int
) -> Script[dict[tuple[int, str], list[CardMemoryFigures]]]:
    """The memories last studied in the community of the learners with ids in
    ``[first_learner, last_learner]``, by (learner id, deck): one export page's."""
    found = yield from rows(
        "SELECT learner_id, deck_id, stability, last_review, due FROM card_states"
        " WHERE community_id = ? AND learner_id >= ? AND learner_id <= ?",
        community_id,
        first_learner,
        last_learner,
    )
    cards: dict[tuple[int, str], list[CardMemoryFigures]] = {}
    for r in found:
        cards.setdefault((int(r["learner_id"]), str(r["deck_id"])), []).append(_figures(r))
    return cards
