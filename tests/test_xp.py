"""The XP rule table: more for right answers and due reviews than for cramming."""

from __future__ import annotations

import pytest

from bot.core.grading import Grade
from bot.core.xp import BASE_XP, CRAM_DIVISOR, DUE_REVIEW_BONUS, xp_for_answer

# (grade, was_due, is_new) -> XP
TABLE = [
    (Grade.AGAIN, False, True, 2),
    (Grade.HARD, False, True, 7),
    (Grade.GOOD, False, True, 10),
    (Grade.EASY, False, True, 12),
    (Grade.AGAIN, True, False, 7),
    (Grade.HARD, True, False, 12),
    (Grade.GOOD, True, False, 15),
    (Grade.EASY, True, False, 17),
    (Grade.AGAIN, False, False, 1),
    (Grade.HARD, False, False, 3),
    (Grade.GOOD, False, False, 5),
    (Grade.EASY, False, False, 6),
]


@pytest.mark.parametrize(("grade", "was_due", "is_new", "expected"), TABLE)
def test_xp_table(grade: Grade, was_due: bool, is_new: bool, expected: int) -> None:
    assert xp_for_answer(grade, was_due=was_due, is_new=is_new) == expected


def test_constants_match_the_table() -> None:
    assert DUE_REVIEW_BONUS == 5
    assert CRAM_DIVISOR == 2
    assert set(BASE_XP) == set(Grade)


@pytest.mark.parametrize("grade", list(Grade))
def test_due_beats_new_beats_cramming(grade: Grade) -> None:
    due = xp_for_answer(grade, was_due=True, is_new=False)
    new = xp_for_answer(grade, was_due=False, is_new=True)
    cram = xp_for_answer(grade, was_due=False, is_new=False)
    assert due > new > cram >= 1


@pytest.mark.parametrize("situation", [(True, False), (False, True), (False, False)])
def test_right_answers_earn_more(situation: tuple[bool, bool]) -> None:
    was_due, is_new = situation
    earned = [xp_for_answer(g, was_due=was_due, is_new=is_new) for g in sorted(Grade)]
    assert earned == sorted(earned)
    assert earned[0] < earned[2]  # Again < Good
