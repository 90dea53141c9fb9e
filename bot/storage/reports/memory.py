"""The memory figures' SQL: a community's card memories by deck (schema V9).

A card's memory counts in the community where it was last studied
(``card_states.community_id``). The class's mean recall is read from the
``memory_totals`` groups (a few thousand rows whatever the class size); reviews
coming due and the most overdue learners from ranges of the
``card_states_community_due`` index; single learners' cards by primary key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.learner import Identity, Platform
from bot.core.memory import (
    DAY_SECONDS,
    DECAY,
    FACTOR,
    CardMemoryFigures,
    MemoryGroup,
    class_recall,
    day_and_share,
)
from bot.storage.codec import from_epoch, maybe_datetime
from bot.storage.reports._sql import bind, real
from bot.storage.script import Dialect, Row, Script, dialect, done, one, rows

__all__ = [
    "SQLITE_HAS_POWER",
    "LearnerCards",
    "class_recalls",
    "due_counts",
    "learner_cards",
    "memory_groups",
    "most_overdue",
    "page_cards",
]

OVERDUE_BATCH = 256
"""Index entries read per step of :func:`most_overdue`'s walk."""


def _sqlite_has_power() -> bool:
    """Whether this Python's SQLite has its math functions (an option at compile time;
    the store opens its files with this same library)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("SELECT power(2.0, 0.5)")
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return True


SQLITE_HAS_POWER = _sqlite_has_power()
"""Checked once: where False, the class mean is computed in Python from the groups."""


# bot.core.memory.class_recall as one aggregate: per group, R at the whole days d and
# d - 1 weighed by the share of today gone (1 for cards reviewed today), times the
# group's cards. The parameters are bot.core.memory's constants, passed in.
# The floats are cast: PostgreSQL would type ``1 - $n`` as an integer.
def _recall(dialect: Dialect) -> str:
    tau, factor, decay = (
        f"CAST(:{name} AS {real(dialect)})" for name in ("tau", "factor", "decay")
    )
    return (
        "CASE WHEN :today - review_day <= 0 THEN 1.0 ELSE"
        f" {tau} * power(1 + {factor} * (:today - review_day) * inverse_stability / cards,"
        f" {decay}) + (1 - {tau}) * power(1 + {factor} * (:today - review_day - 1)"
        f" * inverse_stability / cards, {decay}) END"
    )


def class_recalls(
    community_id: int, deck_id: str | None, now: datetime
) -> Script[dict[str, tuple[int, float | None]]]:
    """Per deck of the community (one deck's, when given): (studied cards, the class's
    mean predicted recall at ``now``), as :func:`bot.core.memory.class_recall` computes
    it from :func:`memory_groups`: in SQL, one row per deck, where the database has
    ``power`` (PostgreSQL; SQLite built with its math functions), else in Python."""
    found_dialect = yield from dialect()
    if found_dialect is Dialect.SQLITE and not SQLITE_HAS_POWER:
        groups = yield from memory_groups(community_id, deck_id)
        return {
            deck: (sum(g.cards for g in mine), class_recall(mine, now))
            for deck, mine in groups.items()
        }
    today, tau = day_and_share(now)
    params = {
        "community": community_id,
        "deck": deck_id,
        "today": today,
        "tau": tau,
        "factor": FACTOR,
        "decay": DECAY,
    }
    deck_filter = " AND deck_id = :deck" if deck_id is not None else ""
    sql, args = bind(
        lambda d: (
            f"SELECT deck_id, SUM(cards) AS cards, SUM(cards * {_recall(d)}) AS weighted"
            " FROM memory_totals WHERE community_id = :community"
            f"{deck_filter} AND cards > 0 AND inverse_stability > 0 GROUP BY deck_id"
        ),
        params,
    )
    found = yield from rows(sql, *args)
    return {
        str(r["deck_id"]): (int(r["cards"]), float(r["weighted"]) / int(r["cards"]))
        for r in found
        if int(r["cards"]) > 0
    }


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
        f" WHERE c.learner_id IN ({marks}) AND c.deck_id = ? AND c.community_id = ?"
        # Card order within a learner, whatever the plan: their figures are float sums.
        " ORDER BY c.learner_id, c.card_id",
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
