"""What a class will remember: FSRS retrievability of learners' cards, one by one and
for a whole class, and the figures the class view and the export show.

The retrievability of a card is FSRS's predicted probability that the learner recalls
it now. ``fsrs`` computes it from the card's stability ``S`` and the whole days
``t`` since its last review as ``(1 + FACTOR * t / S) ** DECAY``
(:meth:`fsrs.Scheduler.get_card_retrievability`); :func:`retrievability` is that
formula with the same constants, so a card's figure here is the library's (the tests
hold the two together), without building an ``fsrs.Card`` per card.

A class's mean cannot be stored, since it changes with the instant it is asked for,
and computing it card by card is a pass over every memory of the class. Storage
therefore keeps the cards in groups (:class:`MemoryGroup`): cards of one community
and deck whose last review fell on the same UTC day and whose stabilities fall in the
same narrow band (x1.25), with their count and the sum of ``1 / S``.
:func:`class_recall` gives each group the retrievability of its mean ``1 / S`` and,
for the time of day, the expected value of the whole-day count fsrs uses: a card
reviewed ``d`` UTC days before today has been ``d`` whole days away if it was
reviewed at an earlier time of day than now, else ``d - 1``, so it counts
``tau * R(d) + (1 - tau) * R(d - 1)`` where ``tau`` is the share of today gone. The
result is within a percentage point of the card-by-card mean (tested against fsrs
on generated classes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from fsrs import Scheduler

from bot.core.clock import require_aware
from bot.core.learner import Identity

__all__ = [
    "AT_RISK_LIMIT",
    "DAY_SECONDS",
    "DECAY",
    "FACTOR",
    "FORECAST_DAYS",
    "AtRiskLearner",
    "CardMemoryFigures",
    "DeckMemory",
    "LearnerMemory",
    "MemoryGroup",
    "card_retrievability",
    "class_recall",
    "day_and_share",
    "forecast_end",
    "learner_memory",
    "retrievability",
]

DAY_SECONDS = 86_400

DECAY: float = -Scheduler().parameters[20]
"""FSRS-6's decay (negative): the last of the default parameters the scheduler uses."""

FACTOR: float = 0.9 ** (1 / DECAY) - 1
"""Chosen by FSRS so that retrievability is 0.9 when the elapsed days equal the stability."""

FORECAST_DAYS = 7
"""Reviews coming due are counted over this many UTC days: the rest of today, then the
following days (see :func:`forecast_end`)."""

AT_RISK_LIMIT = 5
"""How many most overdue learners the class view names per deck."""


def retrievability(stability: float, elapsed_days: float) -> float:
    """FSRS's predicted recall (0..1) of a card of ``stability`` days after ``elapsed_days``.

    ``elapsed_days`` below zero counts as zero (recall 1.0). Raises ``ValueError`` for a
    stability that is not positive.
    """
    if not stability > 0:
        raise ValueError(f"stability must be positive, got {stability!r}")
    return float((1 + FACTOR * max(0.0, elapsed_days) / stability) ** DECAY)


def forecast_end(now: datetime) -> datetime:
    """The end of the forecast: the start of the UTC day :data:`FORECAST_DAYS` after
    today's. Reviews "coming due" are those due after ``now`` and before it."""
    seconds = int(require_aware(now, "now").timestamp())
    start = seconds // DAY_SECONDS * DAY_SECONDS
    return datetime.fromtimestamp(start + FORECAST_DAYS * DAY_SECONDS, UTC)


def card_retrievability(
    stability: float | None, last_review: datetime | None, now: datetime
) -> float:
    """A card's recall at ``now`` exactly as :meth:`fsrs.Scheduler.get_card_retrievability`
    gives it: whole days since the last review; 0 for a card never reviewed."""
    if last_review is None or stability is None:
        return 0.0
    elapsed = require_aware(now, "now") - require_aware(last_review, "last_review")
    return retrievability(stability, max(0, elapsed.days))


@dataclass(frozen=True, slots=True)
class MemoryGroup:
    """Cards of one community and deck last reviewed on one UTC day, with close stabilities."""

    review_day: int
    """Unix seconds of the last review // 86,400."""
    cards: int
    inverse_stability: float
    """The sum of ``1 / stability`` (stability in days) over the group's cards."""


def _group_recall(group: MemoryGroup, today: int, tau: float) -> float:
    days = today - group.review_day
    if days <= 0:
        return 1.0  # reviewed today: no whole day has passed
    stability = group.cards / group.inverse_stability
    return tau * retrievability(stability, days) + (1 - tau) * retrievability(stability, days - 1)


def day_and_share(now: datetime) -> tuple[int, float]:
    """(today's UTC day number, the share of it gone at ``now``, 0..1): the two terms
    :func:`class_recall` weighs each group's whole days with."""
    seconds = require_aware(now, "now").timestamp()
    today, into_day = divmod(seconds, DAY_SECONDS)
    return int(today), into_day / DAY_SECONDS


def class_recall(groups: Iterable[MemoryGroup], now: datetime) -> float | None:
    """The mean predicted recall at ``now`` of every card in ``groups`` (None if none).

    See the module docstring for the method and its accuracy. Storage computes the
    same sum in SQL where the database has ``power`` (a test holds the two together).
    """
    today, tau = day_and_share(now)
    total = 0
    weighted = 0.0
    for group in groups:
        if group.cards <= 0 or group.inverse_stability <= 0:
            continue  # an emptied group (float residue): nothing to average
        total += group.cards
        weighted += group.cards * _group_recall(group, today, tau)
    return weighted / total if total else None


@dataclass(frozen=True, slots=True)
class CardMemoryFigures:
    """What the memory figures need of one stored card memory."""

    stability: float | None
    last_review: datetime | None
    due: datetime


@dataclass(frozen=True, slots=True)
class LearnerMemory:
    """One learner's memory of one deck's cards (those studied in one community).

    ``recall`` is the mean of each card's :func:`card_retrievability` (None without
    cards); ``due_now`` counts cards due at or before now, ``due_soon`` those due after
    now and before :func:`forecast_end`; ``overdue_days`` is how many whole
    days ago the most overdue card fell due (0 when none is due).
    """

    cards: int
    recall: float | None
    due_now: int
    due_soon: int
    overdue_days: int


def learner_memory(cards: Iterable[CardMemoryFigures], now: datetime) -> LearnerMemory:
    """The :class:`LearnerMemory` of ``cards`` at ``now``."""
    now = require_aware(now, "now")
    soon = forecast_end(now)
    count = due_now = due_soon = 0
    recall = 0.0
    earliest: datetime | None = None
    for card in cards:
        count += 1
        recall += card_retrievability(card.stability, card.last_review, now)
        if card.due <= now:
            due_now += 1
            earliest = card.due if earliest is None else min(earliest, card.due)
        elif card.due < soon:
            due_soon += 1
    overdue = 0 if earliest is None else (now - earliest).days
    return LearnerMemory(count, recall / count if count else None, due_now, due_soon, overdue)


@dataclass(frozen=True, slots=True)
class AtRiskLearner:
    """A learner of the class whose cards of a deck are the most overdue."""

    learner: Identity
    memory: LearnerMemory


@dataclass(frozen=True, slots=True)
class DeckMemory:
    """What the class will remember of one deck (cards studied in the community).

    ``recall`` is the class's mean predicted recall now (:func:`class_recall`);
    ``due_now`` the cards due at or before now; ``due_by_day[k]`` those due after now
    on the k-th UTC day from today (0: the rest of today), for :data:`FORECAST_DAYS`
    days; ``at_risk`` the
    learners whose earliest due card is the most overdue, most overdue first.
    """

    deck_id: str
    deck_title: str
    cards: int
    recall: float | None
    due_now: int
    due_by_day: tuple[int, ...]
    at_risk: tuple[AtRiskLearner, ...]

    @property
    def due_soon(self) -> int:
        """Reviews coming due before :func:`forecast_end` (not yet due now)."""
        return sum(self.due_by_day)
