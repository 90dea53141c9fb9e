"""What recording one graded answer changes: the pure rule behind every review.

A quiz step, the daily question and a channel game all end in the same place: a
graded answer becomes one logged :class:`Review`, a new FSRS memory of the card,
XP and the learner's streak for their local day. :func:`review_answer` decides all
of it from what is stored; storage writes the :class:`ReviewOutcome` in the
answer's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.due import is_due
from bot.core.grading import Grade
from bot.core.scheduling import CardMemory, CardScheduler
from bot.core.streaks import StreakState, StreakUpdate, alive_until, record_activity
from bot.core.timezones import local_date, parse_zone
from bot.core.xp import xp_for_answer


@dataclass(frozen=True, slots=True)
class Review:
    """One graded answer, as the append-only log keeps it."""

    learner_id: int
    community_id: int | None
    deck_id: str
    card_id: str
    kind: str
    grade: Grade
    correct: bool
    xp: int
    was_due: bool
    reviewed_at: datetime
    session_id: int | None = None
    step: int | None = None
    concepts_missed: tuple[str, ...] | None = None
    answer: str | None = None
    """An explain answer's text as written (kept for the teacher's view of grading)."""


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """Everything one answer changes."""

    review: Review
    memory: CardMemory
    streak: StreakUpdate
    alive_until: date | None
    """The last local date the new streak is shown on (see :func:`bot.core.streaks.alive_until`)."""

    @property
    def xp(self) -> int:
        """XP the answer earned."""
        return self.review.xp


def review_answer(
    scheduler: CardScheduler,
    *,
    learner_id: int,
    community_id: int | None,
    deck_id: str,
    card_id: str,
    kind: str,
    grade: Grade,
    correct: bool,
    time_zone: str,
    streak: StreakState,
    memory: CardMemory | None,
    now: datetime,
    session_id: int | None = None,
    step: int | None = None,
    concepts_missed: tuple[str, ...] | None = None,
    answer: str | None = None,
) -> ReviewOutcome:
    """Schedule the card, price the answer in XP and extend the streak.

    ``memory`` is the learner's stored memory of the card (None for a new card),
    ``time_zone`` and ``streak`` the learner's as stored: the review counts for the
    local date of ``now`` in that zone.
    """
    was_due = memory is not None and is_due(memory.due, now)
    xp = xp_for_answer(grade, was_due=was_due, is_new=memory is None)
    update = record_activity(streak, local_date(now, parse_zone(time_zone)))
    review = Review(
        learner_id=learner_id,
        community_id=community_id,
        deck_id=deck_id,
        card_id=card_id,
        kind=kind,
        grade=grade,
        correct=correct,
        xp=xp,
        was_due=was_due,
        reviewed_at=now,
        session_id=session_id,
        step=step,
        concepts_missed=concepts_missed,
        answer=answer,
    )
    return ReviewOutcome(
        review=review,
        memory=scheduler.review(memory, grade, now),
        streak=update,
        alive_until=alive_until(update.state),
    )


__all__ = ["Review", "ReviewOutcome", "review_answer"]
