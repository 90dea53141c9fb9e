"""A learner's figures: their totals, a community's totals of them, the heatmap counts
and their cards' progress per deck."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.storage.reports._sql import bind, hint
from bot.storage.rollups import DAY_SECONDS
from bot.storage.script import Dialect, Script, one, rows

__all__ = [
    "BUCKET_SECONDS",
    "CardDue",
    "MissedCardRow",
    "Totals",
    "community_days",
    "learner_explain_answers",
    "learner_missed_cards",
    "learner_quarters",
    "learner_totals",
    "member_totals",
    "seen_cards",
]

BUCKET_SECONDS = 900
"""Reviews are counted per quarter hour: every zone offset in use today is a multiple
of 15 minutes and changes on a quarter hour, so all the instants of one quarter share
a local date. They are counted from the learner's range of the log's (learner, time)
index (migration V11 dropped the hourly roll-up each answer moved)."""


@dataclass(frozen=True, slots=True)
class Totals:
    """Answers, right answers and XP (XP 0 where the source keeps none)."""

    reviews: int = 0
    correct: int = 0
    xp: int = 0


def learner_totals(learner_id: int) -> Script[Totals]:
    """The learner's answers and right answers everywhere: a count over their range of
    the (learner, time) index of the log (no roll-up row for each answer to move)."""
    row = yield from one(
        "SELECT COUNT(*) AS reviews, COALESCE(SUM(correct), 0) AS correct FROM reviews"
        " WHERE learner_id = ?",
        learner_id,
    )
    return Totals(int(row["reviews"]), int(row["correct"])) if row else Totals()


def member_totals(community_id: int, learner_id: int) -> Script[Totals]:
    """The learner's answers, right answers and XP in one community (one roll-up row)."""
    row = yield from one(
        "SELECT reviews, correct, xp FROM community_learners"
        " WHERE community_id = ? AND learner_id = ?",
        community_id,
        learner_id,
    )
    return Totals(int(row["reviews"]), int(row["correct"]), int(row["xp"])) if row else Totals()


def learner_quarters(learner_id: int, since: int, until: int) -> Script[list[tuple[int, int]]]:
    """(quarter hour number, answers) of the learner in ``[since, until]``, unix seconds:
    one range of the learner's (learner, time) index of the log, grouped."""

    def sql(dialect: Dialect) -> str:
        return (
            "SELECT reviewed_at / :bucket AS q, COUNT(*) AS n"
            f" FROM reviews{hint(dialect, 'reviews_learner_time_cover')}"
            " WHERE learner_id = :learner AND reviewed_at >= :since AND reviewed_at <= :until"
            " GROUP BY 1"
        )

    query, args = bind(
        sql, {"bucket": BUCKET_SECONDS, "learner": learner_id, "since": since, "until": until}
    )
    found = yield from rows(query, *args)
    return [(int(r["q"]), int(r["n"])) for r in found]


def community_days(
    community_id: int, learner_id: int, first_day: int, last_day: int
) -> Script[list[tuple[int, int]]]:
    """(UTC day number, answers) of the learner in one community, days inclusive.

    The days the learner answered at all come from their range of the (learner, time)
    index of the log, then each is a primary-key seek in the daily roll-up: no index
    on community_days by learner for every answer to move (migration V11).
    """

    def sql(dialect: Dialect) -> str:
        return (
            "SELECT d.day, d.reviews FROM"
            " (SELECT DISTINCT reviewed_at / 86400 AS day"
            f"  FROM reviews{hint(dialect, 'reviews_learner_time_cover')}"
            "  WHERE learner_id = :learner AND reviewed_at >= :since AND reviewed_at < :end) h"
            " JOIN community_days d"
            " ON d.community_id = :community AND d.day = h.day AND d.learner_id = :learner"
            " ORDER BY d.day"
        )

    query, args = bind(
        sql,
        {
            "learner": learner_id,
            "since": first_day * DAY_SECONDS,
            "end": (last_day + 1) * DAY_SECONDS,
            "community": community_id,
        },
    )
    found = yield from rows(query, *args)
    return [(int(r["day"]), int(r["reviews"])) for r in found]


@dataclass(frozen=True, slots=True)
class CardDue:
    """One card the learner has seen, and when it is due (unix seconds)."""

    deck_id: str
    card_id: str
    due: int


def seen_cards(learner_id: int) -> Script[list[CardDue]]:
    """Every card the learner has a memory of."""
    found = yield from rows(
        "SELECT deck_id, card_id, due FROM card_states WHERE learner_id = ?", learner_id
    )
    return [CardDue(str(r["deck_id"]), str(r["card_id"]), int(r["due"])) for r in found]


@dataclass(frozen=True, slots=True)
class MissedCardRow:
    """A card the learner got wrong: how often, out of how many answers."""

    deck_id: str
    card_id: str
    misses: int
    attempts: int


def learner_missed_cards(learner_id: int, since: int, limit: int) -> Script[list[MissedCardRow]]:
    """The learner's most-missed cards among answers at or after ``since`` (unix
    seconds): most misses first, then the lowest share right, then by id."""
    found = yield from rows(
        "SELECT deck_id, card_id, SUM(1 - correct) AS misses, COUNT(*) AS attempts"
        " FROM reviews WHERE learner_id = ? AND reviewed_at >= ?"
        " GROUP BY deck_id, card_id HAVING SUM(1 - correct) > 0"
        " ORDER BY misses DESC, attempts DESC, deck_id, card_id LIMIT ?",
        learner_id,
        since,
        limit,
    )
    return [
        MissedCardRow(str(r["deck_id"]), str(r["card_id"]), int(r["misses"]), int(r["attempts"]))
        for r in found
    ]


def learner_explain_answers(
    learner_id: int, since: int, limit: int
) -> Script[list[tuple[str, str, tuple[str, ...]]]]:
    """The learner's explain answers since ``since`` (unix seconds), newest first, at
    most ``limit``: ``(deck_id, card_id, concepts missed)`` each (the JSON lists are
    read here, the same way on both backends)."""
    found = yield from rows(
        "SELECT deck_id, card_id, concepts_missed FROM reviews"
        " WHERE learner_id = ? AND reviewed_at >= ? AND concepts_missed IS NOT NULL"
        " ORDER BY reviewed_at DESC LIMIT ?",
        learner_id,
        since,
        limit,
    )
    answers: list[tuple[str, str, tuple[str, ...]]] = []
    for r in found:
        try:
            names = json.loads(r["concepts_missed"])
        except (TypeError, ValueError):
            continue  # not a list Recall wrote: nothing to count
        if isinstance(names, list):
            answers.append((str(r["deck_id"]), str(r["card_id"]), tuple(str(n) for n in names)))
    return answers
