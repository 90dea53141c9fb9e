"""The class view (``/quiz-admin progress``): how a server's learners are doing.

Plain Python, no discord import. Decisions:

- Activity (learners, answers) is counted over rolling 7 and 30 days ending at
  ``now``, like the leaderboard; totals and accuracy are over all time (everything
  logged, read from the per-card running totals of migration V3).
- **Hardest cards** are ranked by wrong-answer rate in this server over all time,
  among cards answered at least :data:`MIN_ATTEMPTS` times (two wrong answers out of
  two say little). The review log is used rather than FSRS lapses because lapses are
  per learner and global, while the log knows the server and counts every kind of
  card the same way. Ties: more wrong answers first, then deck and card id.
- Cards no longer in any loaded deck are left out: there is no text to show and a
  moderator cannot act on them.
- **Missed concepts** come from explain answers' ``concepts_missed`` lists, counted
  per (card, concept), with the share of that card's answers that missed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import require_aware
from bot.decks import DeckLibrary
from bot.decks.models import Card, ExplainCard, FlashCard
from bot.storage.codec import to_epoch
from bot.storage.database import Database
from bot.storage.rollups import DAY_SECONDS, split

__all__ = [
    "EXCERPT_CHARS",
    "HARDEST_LIMIT",
    "MIN_ATTEMPTS",
    "ClassProgress",
    "HardCard",
    "MissedConcept",
    "card_excerpt",
    "class_progress",
]

MIN_ATTEMPTS = 5
"""Answers a card needs in the server before it can be called hard."""

HARDEST_LIMIT = 5
"""How many hardest cards and most missed concepts the view lists."""

EXCERPT_CHARS = 80
"""Card text is cut to this many characters (Discord field names allow 256)."""


@dataclass(frozen=True, slots=True)
class HardCard:
    """A card the class gets wrong often."""

    deck_id: str
    deck_title: str
    card_id: str
    excerpt: str
    attempts: int
    wrong: int

    @property
    def wrong_rate(self) -> float:
        """Share of wrong answers, 0..1."""
        return self.wrong / self.attempts


@dataclass(frozen=True, slots=True)
class MissedConcept:
    """An explain-card concept the class leaves out of its answers."""

    deck_id: str
    deck_title: str
    card_id: str
    concept: str
    missed: int
    attempts: int
    """Answers to the card in the server, the denominator of :attr:`miss_rate`."""

    @property
    def miss_rate(self) -> float:
        """Share of the card's answers that missed this concept, 0..1."""
        return self.missed / self.attempts if self.attempts else 0.0


@dataclass(frozen=True, slots=True)
class ClassProgress:
    """Everything the class view shows, for one server and optionally one deck."""

    guild_id: int
    deck_id: str | None
    active_7d: int
    active_30d: int
    reviews_7d: int
    reviews_30d: int
    reviews: int
    """Answers over all time."""
    correct: int
    hardest: tuple[HardCard, ...]
    missed_concepts: tuple[MissedConcept, ...]

    @property
    def accuracy(self) -> float | None:
        """Share of right answers over all time; None before the first answer."""
        return self.correct / self.reviews if self.reviews else None

    @property
    def empty(self) -> bool:
        """Nobody has answered anything here yet."""
        return self.reviews == 0


def card_excerpt(card: Card, limit: int = EXCERPT_CHARS) -> str:
    """The card's question text on one line, cut to ``limit`` characters with an ellipsis."""
    if isinstance(card, FlashCard):
        text = card.front
    elif isinstance(card, ExplainCard):
        text = card.prompt
    else:
        text = card.question
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _filter(deck_id: str | None) -> tuple[str, dict[str, object]]:
    if deck_id is None:
        return "", {}
    return " AND deck_id = :deck", {"deck": deck_id}


async def _activity(
    db: Database, guild_id: int, deck_id: str | None, since: datetime, now: datetime
) -> tuple[int, int]:
    """(active learners, answers) in ``[since, now]``."""
    bounds = {"guild": guild_id, "since": to_epoch(since), "until": to_epoch(now)}
    if deck_id is not None:
        # One deck: a third of the server's log, through its time-ordered covering index.
        row = await db.fetchone(
            "SELECT COUNT(DISTINCT user_id), COUNT(*)"
            " FROM reviews INDEXED BY reviews_guild_deck_time_cover"
            " WHERE guild_id = :guild AND deck_id = :deck"
            " AND reviewed_at >= :since AND reviewed_at <= :until",
            {**bounds, "deck": deck_id},
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)
    window = split(bounds["since"], bounds["until"], DAY_SECONDS)
    row = await db.fetchone(
        # Active learners: whoever's latest answer here is inside the window (a range of
        # the last_at index, migration V4), plus those who answered again after
        # ``until`` (a view computed for a past instant; none when ``until`` is now),
        # checked one by one. Answers: whole days from the daily roll-up, the two
        # partial days from the log (bot.storage.rollups).
        """
        SELECT
            (SELECT COUNT(*) FROM guild_learners
             WHERE guild_id = :guild AND last_at >= :since AND last_at <= :until)
          + (SELECT COUNT(*) FROM guild_learners g
             WHERE g.guild_id = :guild AND g.last_at > :until AND EXISTS (
                 SELECT 1 FROM reviews r INDEXED BY reviews_user_time_cover
                 WHERE r.user_id = g.user_id AND r.reviewed_at >= :since
                   AND r.reviewed_at <= :until AND r.guild_id = :guild)),
            (SELECT COALESCE(SUM(reviews), 0) FROM guild_days
             WHERE guild_id = :guild AND day >= :first_bucket AND day < :end_bucket)
          -- Two range counts: with an OR of the ranges SQLite scans the whole server.
          + (SELECT COUNT(*) FROM reviews INDEXED BY reviews_guild_time_cover
             WHERE guild_id = :guild AND reviewed_at >= :since AND reviewed_at <= :head_end)
          + (SELECT COUNT(*) FROM reviews INDEXED BY reviews_guild_time_cover
             WHERE guild_id = :guild AND reviewed_at >= :tail_start AND reviewed_at <= :until)
        """,
        {**bounds, **window.params()},
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def class_progress(
    db: Database, decks: DeckLibrary, guild_id: int, deck_id: str | None, now: datetime
) -> ClassProgress:
    """The class view for ``guild_id`` (one deck when ``deck_id`` is given) at ``now``.

    An empty server gives zeros and empty lists, never an error.
    """
    now = require_aware(now, "now")
    active_7d, reviews_7d = await _activity(db, guild_id, deck_id, now - timedelta(days=7), now)
    active_30d, reviews_30d = await _activity(db, guild_id, deck_id, now - timedelta(days=30), now)
    deck_sql, params = _filter(deck_id)
    # One row per card answered in the server (running totals, migration V3): at most
    # the number of cards in the decks, so reading them all is cheap. They also give
    # the all-time totals: every answer here is one card's attempt.
    per_card = await db.fetchall(
        "SELECT deck_id, card_id, attempts, wrong FROM card_totals WHERE guild_id = :guild"
        + deck_sql,
        {"guild": guild_id, **params},
    )
    reviews = sum(int(r["attempts"]) for r in per_card)
    correct = reviews - sum(int(r["wrong"]) for r in per_card)
    attempts = {(r["deck_id"], r["card_id"]): int(r["attempts"]) for r in per_card}

    hardest: list[HardCard] = []
    for r in per_card:
        card = decks.card(r["deck_id"], r["card_id"])
        deck = decks.get(r["deck_id"])
        if card is None or deck is None or r["attempts"] < MIN_ATTEMPTS or r["wrong"] == 0:
            continue
        hardest.append(
            HardCard(
                deck_id=deck.id,
                deck_title=deck.title,
                card_id=card.id,
                excerpt=card_excerpt(card),
                attempts=int(r["attempts"]),
                wrong=int(r["wrong"]),
            )
        )
    hardest.sort(key=lambda h: (-h.wrong / h.attempts, -h.wrong, h.deck_id, h.card_id))

    return ClassProgress(
        guild_id=guild_id,
        deck_id=deck_id,
        active_7d=active_7d,
        active_30d=active_30d,
        reviews_7d=reviews_7d,
        reviews_30d=reviews_30d,
        reviews=reviews,
        correct=correct,
        hardest=tuple(hardest[:HARDEST_LIMIT]),
        missed_concepts=await _missed_concepts(db, decks, guild_id, deck_id, now, attempts),
    )


async def _missed_concepts(
    db: Database,
    decks: DeckLibrary,
    guild_id: int,
    deck_id: str | None,
    now: datetime,
    attempts: dict[tuple[str, str], int],
) -> tuple[MissedConcept, ...]:
    deck_sql, params = _filter(deck_id)
    # The running counts of migration V4, less the answers logged after ``now`` (none
    # when the view is for the present; read from the log by time, since they are the
    # newest), with the same json_valid guard and json_each filter as the counts.
    rows = await db.fetchall(
        "WITH later AS ("
        " SELECT r.deck_id, r.card_id, j.value AS concept, COUNT(*) AS n"
        " FROM reviews r INDEXED BY reviews_guild_time_cover, json_each(r.concepts_missed) j"
        " WHERE r.guild_id = :guild AND r.reviewed_at > :until"
        " AND r.concepts_missed IS NOT NULL AND json_valid(r.concepts_missed)"
        + deck_sql.replace("deck_id", "r.deck_id")
        + " AND j.type = 'text' GROUP BY r.deck_id, r.card_id, j.value)"
        " SELECT c.deck_id, c.card_id, c.concept, c.missed - COALESCE(l.n, 0) AS missed"
        " FROM concept_totals c LEFT JOIN later l"
        " ON l.deck_id = c.deck_id AND l.card_id = c.card_id AND l.concept = c.concept"
        " WHERE c.guild_id = :guild"
        + deck_sql.replace("deck_id", "c.deck_id")
        + " AND c.missed - COALESCE(l.n, 0) > 0"
        " ORDER BY 4 DESC, c.deck_id, c.card_id, c.concept",
        {"guild": guild_id, "until": to_epoch(now), **params},
    )
    found: list[MissedConcept] = []
    for r in rows:
        deck = decks.get(r["deck_id"])
        if deck is None or deck.card(r["card_id"]) is None:
            continue
        found.append(
            MissedConcept(
                deck_id=deck.id,
                deck_title=deck.title,
                card_id=r["card_id"],
                concept=r["concept"],
                missed=int(r["missed"]),
                attempts=attempts.get((r["deck_id"], r["card_id"]), 0),
            )
        )
        if len(found) == HARDEST_LIMIT:
            break
    return tuple(found)
