"""Experience points per answer: more for right answers and for due reviews than for cramming."""

from __future__ import annotations

from bot.core.grading import Grade

# Base XP by grade. Even a wrong answer earns a little: showing up is what builds the habit.
BASE_XP: dict[Grade, int] = {Grade.AGAIN: 2, Grade.HARD: 7, Grade.GOOD: 10, Grade.EASY: 12}
DUE_REVIEW_BONUS = 5
"""Extra XP for answering a card FSRS scheduled for now or earlier: the reviews that matter."""
CRAM_DIVISOR = 2
"""A card reviewed again before it is due (cramming) earns half: it adds little to memory."""


def xp_for_answer(grade: Grade, *, was_due: bool, is_new: bool) -> int:
    """XP earned by one graded answer.

    ``was_due``: the card had been studied before and was due; ``is_new``: first time seen.
    A card that is neither is being crammed.
    """
    xp = BASE_XP[grade]
    if was_due:
        xp += DUE_REVIEW_BONUS
    elif not is_new:
        xp = max(1, xp // CRAM_DIVISOR)
    return xp
