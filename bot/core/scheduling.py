"""FSRS scheduling through the ``fsrs`` package.

A card's memory is kept as a plain :class:`CardMemory` record (what the database
stores); this module converts it to and from ``fsrs.Card`` around each review.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler, State

from bot.core.clock import require_aware
from bot.core.grading import Grade

DEFAULT_RETENTION = 0.9


@dataclass(frozen=True)
class CardMemory:
    """One learner's memory of one card, as FSRS models it."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int = 0
    lapses: int = 0

    @property
    def is_learning(self) -> bool:
        """True while the card is in its (re)learning steps."""
        return self.state in (State.Learning, State.Relearning)


class CardScheduler:
    """Schedules reviews with FSRS's default parameters and learning steps."""

    def __init__(self, *, desired_retention: float = DEFAULT_RETENTION, fuzz: bool = True) -> None:
        if not 0.7 <= desired_retention <= 0.99:
            raise ValueError("desired retention must be between 0.70 and 0.99")
        self._scheduler = Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)
        # Previews are shown before the learner picks: without fuzz, so that a button
        # says the same thing every time it is drawn (the review itself may still be
        # fuzzed by a few percent, as Anki's buttons are).
        self._preview = Scheduler(desired_retention=desired_retention, enable_fuzzing=False)

    def review(self, memory: CardMemory | None, grade: Grade, now: datetime) -> CardMemory:
        """The memory after a review graded ``grade`` at ``now`` (None = a new card)."""
        now = require_aware(now, "now")
        # card_id is passed explicitly: without it fsrs derives one from the clock
        # and sleeps a millisecond to keep ids unique, which we do not need.
        card = Card(card_id=0) if memory is None else _to_fsrs(memory)
        if memory is None:
            card.due = now
        reviewed, _log = self._scheduler.review_card(card, Rating(int(grade)), now)
        previous = memory or CardMemory(
            state=int(State.Learning),
            step=0,
            stability=None,
            difficulty=None,
            due=now,
            last_review=None,
        )
        lapsed = grade == Grade.AGAIN and previous.state == int(State.Review)
        return replace(
            previous,
            state=int(reviewed.state),
            step=reviewed.step,
            stability=reviewed.stability,
            difficulty=reviewed.difficulty,
            due=reviewed.due,
            last_review=reviewed.last_review,
            reps=previous.reps + 1,
            lapses=previous.lapses + (1 if lapsed else 0),
        )

    def preview(self, memory: CardMemory | None, now: datetime) -> dict[Grade, timedelta]:
        """The interval each grade would give a review at ``now``, writing nothing.

        Pure: ``memory`` is not changed and nothing is stored; the same input gives the
        same answer (fuzzing is off for previews).
        """
        now = require_aware(now, "now")
        intervals: dict[Grade, timedelta] = {}
        for grade in Grade:
            card = Card(card_id=0) if memory is None else _to_fsrs(memory)
            if memory is None:
                card.due = now
            reviewed, _log = self._preview.review_card(card, Rating(int(grade)), now)
            intervals[grade] = max(reviewed.due - now, timedelta(0))
        return intervals

    def retrievability(self, memory: CardMemory, now: datetime) -> float:
        """Probability (0..1) that the learner recalls the card at ``now``."""
        return float(self._scheduler.get_card_retrievability(_to_fsrs(memory), now))


def _to_fsrs(memory: CardMemory) -> Card:
    return Card(
        card_id=0,
        state=State(memory.state),
        step=memory.step,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=memory.due,
        last_review=memory.last_review,
    )


_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_MONTH_DAYS, _YEAR_DAYS = 30, 365


def short_interval(interval: timedelta) -> str:
    """An interval as a grade button shows it: ``1m``, ``10m``, ``5h``, ``3d``, ``2mo``,
    ``1.5y`` (SPEC's units; rounded to the nearest unit, never below ``1m``)."""
    seconds = max(0.0, interval.total_seconds())
    if seconds < _HOUR - 30:
        return f"{max(1, round(seconds / _MINUTE))}m"
    if seconds < _DAY - _HOUR / 2:
        return f"{max(1, round(seconds / _HOUR))}h"
    days = seconds / _DAY
    if days < _MONTH_DAYS - 0.5:
        return f"{max(1, round(days))}d"
    if days < _YEAR_DAYS - _MONTH_DAYS / 2:
        return f"{max(1, round(days / _MONTH_DAYS))}mo"
    years = round(days / _YEAR_DAYS, 1)
    return f"{years:g}y"
