"""A learner's figures: their totals, a community's totals of them, the heatmap counts
and their cards' progress per deck."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.storage.reports._sql import bind, hint
from bot.storage.rollups import HOUR_SECONDS, split
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
a local date. The hourly roll-up holds each hour's four quarter counts, so a learner's
12 weeks are at most 2,016 rows, however many answers."""

_QUARTERS = HOUR_SECONDS // BUCKET_SECONDS


@dataclass(frozen=True, slots=True)
class Totals:
    """Answers, right answers and XP (XP 0 where the source keeps none)."""

    reviews: int = 0
    correct: int = 0
    xp: int = 0


def learner_totals(learner_id: int) -> Script[Totals]:
    """The learner's answers and right answers everywhere (one roll-up row)."""
    row = yield from one(
        "SELECT reviews, correct FROM learner_totals WHERE learner_id = ?", learner_id
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
    """(quarter hour number, answers) of the learner in ``[since, until]``, unix seconds.

    Whole hours come from the hourly roll-up (four quarters each), the partial first
    and last hours from the log; a quarter may appear more than once (add them up).
    """
    window = split(since, until, HOUR_SECONDS).params()
    hours = yield from rows(
        "SELECT hour, q0, q1, q2, q3 FROM learner_hours"
        " WHERE learner_id = ? AND hour >= ? AND hour < ?",
        learner_id,
        window["first_bucket"],
        window["end_bucket"],
    )

    # Two range scans: with an OR of the ranges SQLite reads the learner's whole log.
    def edges_sql(dialect: Dialect) -> str:
        log = hint(dialect, "reviews_learner_time_cover")
        return (
            "SELECT reviewed_at / :bucket AS q, COUNT(*) AS n FROM ("
            f" SELECT reviewed_at FROM reviews{log}"
            " WHERE learner_id = :learner AND reviewed_at >= :since AND reviewed_at <= :head_end"
            " UNION ALL"
            f" SELECT reviewed_at FROM reviews{log}"
            " WHERE learner_id = :learner AND reviewed_at >= :tail_start"
            " AND reviewed_at <= :until"
            ") e GROUP BY 1"
        )

    sql, args = bind(edges_sql, {"bucket": BUCKET_SECONDS, "learner": learner_id, **window})
    edges = yield from rows(sql, *args)
    found: list[tuple[int, int]] = []
    for r in hours:
        base = int(r["hour"]) * _QUARTERS
        for k in range(_QUARTERS):
            found.append((base + k, int(r[f"q{k}"])))
    found.extend((int(r["q"]), int(r["n"])) for r in edges)
    return found


def community_days(
    community_id: int, learner_id: int, first_day: int, last_day: int
) -> Script[list[tuple[int, int]]]:
    """(UTC day number, answers) of the learner in one community, days inclusive.

    The days the learner answered at all come from their hourly roll-up (an hour's
    UTC day is ``hour / 24``), then each is a primary-key seek in the daily one: no
    index on community_days by learner for every answer to move (migration V11).
    """
    found = yield from rows(
        "SELECT d.day, d.reviews FROM"
        " (SELECT DISTINCT hour / 24 AS day FROM learner_hours"
        "  WHERE learner_id = ? AND hour >= ? AND hour < ?) h"
        " JOIN community_days d"
        " ON d.community_id = ? AND d.day = h.day AND d.learner_id = ?"
        " ORDER BY d.day",
        learner_id,
        first_day * 24,
        (last_day + 1) * 24,
        community_id,
        learner_id,
    )
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
