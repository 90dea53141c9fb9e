"""FSRS scheduling through CardScheduler (default parameters, fuzzing off)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from itertools import pairwise

import pytest
from fsrs import State

from bot.core.grading import Grade
from bot.core.scheduling import CardMemory, CardScheduler
from tests.conftest import START


def _graduated(scheduler: CardScheduler) -> CardMemory:
    """A card taken from new to the Review state with two Good answers on time."""
    memory = scheduler.review(None, Grade.GOOD, START)
    memory = scheduler.review(memory, Grade.GOOD, memory.due)
    assert memory.state == State.Review
    return memory


def test_new_card_failed_is_due_a_minute_later(scheduler: CardScheduler) -> None:
    memory = scheduler.review(None, Grade.AGAIN, START)
    assert memory.due == START + timedelta(minutes=1)
    assert memory.state == State.Learning
    assert memory.is_learning
    assert memory.reps == 1
    assert memory.lapses == 0
    assert memory.last_review == START


def test_new_card_first_intervals_follow_the_grade(scheduler: CardScheduler) -> None:
    due = {grade: scheduler.review(None, grade, START).due - START for grade in Grade}
    assert due[Grade.AGAIN] < due[Grade.HARD] < due[Grade.GOOD] < due[Grade.EASY]
    assert due[Grade.GOOD] == timedelta(minutes=10)  # the second default learning step
    easy = scheduler.review(None, Grade.EASY, START)
    assert easy.state == State.Review  # Easy skips the learning steps
    assert due[Grade.EASY] >= timedelta(days=1)


def test_good_answers_on_time_make_intervals_grow(scheduler: CardScheduler) -> None:
    memory = _graduated(scheduler)
    intervals = []
    for _ in range(4):
        reviewed_at = memory.due
        memory = scheduler.review(memory, Grade.GOOD, reviewed_at)
        intervals.append(memory.due - reviewed_at)
    assert all(a < b for a, b in pairwise(intervals)), intervals
    assert intervals[0] >= timedelta(days=1)
    assert memory.reps == 6
    assert memory.lapses == 0


def test_easy_gives_a_longer_interval_than_good(scheduler: CardScheduler) -> None:
    memory = _graduated(scheduler)
    good = scheduler.review(memory, Grade.GOOD, memory.due)
    easy = scheduler.review(memory, Grade.EASY, memory.due)
    hard = scheduler.review(memory, Grade.HARD, memory.due)
    assert hard.due < good.due < easy.due


def test_forgetting_a_review_card_counts_a_lapse(scheduler: CardScheduler) -> None:
    memory = _graduated(scheduler)
    lapsed = scheduler.review(memory, Grade.AGAIN, memory.due)
    assert lapsed.lapses == 1
    assert lapsed.state == State.Relearning
    assert lapsed.due - memory.due == timedelta(minutes=10)  # default relearning step
    assert lapsed.stability is not None
    assert memory.stability is not None
    assert lapsed.stability < memory.stability
    # Failing again while relearning is not a second lapse.
    again = scheduler.review(lapsed, Grade.AGAIN, lapsed.due)
    assert again.lapses == 1


def test_review_does_not_mutate_its_input(scheduler: CardScheduler) -> None:
    memory = _graduated(scheduler)
    snapshot = replace(memory)
    scheduler.review(memory, Grade.AGAIN, memory.due)
    assert memory == snapshot


def test_naive_datetimes_are_refused(scheduler: CardScheduler) -> None:
    naive = datetime(2026, 3, 2, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        scheduler.review(None, Grade.GOOD, naive)


def test_other_time_zones_are_converted_to_utc(scheduler: CardScheduler) -> None:
    plus_two = START.astimezone(timezone(timedelta(hours=2)))
    memory = scheduler.review(None, Grade.AGAIN, plus_two)
    assert memory.due == START + timedelta(minutes=1)
    assert memory.due.utcoffset() == timedelta(0)


def test_fuzzing_off_is_deterministic() -> None:
    first, second = CardScheduler(fuzz=False), CardScheduler(fuzz=False)
    a, b = _graduated(first), _graduated(second)
    assert first.review(a, Grade.GOOD, a.due) == second.review(b, Grade.GOOD, b.due)


def test_retrievability_falls_with_time(scheduler: CardScheduler) -> None:
    memory = _graduated(scheduler)
    at_due = scheduler.retrievability(memory, memory.due)
    later = scheduler.retrievability(memory, memory.due + timedelta(days=30))
    assert 0.85 < at_due < 0.95  # desired retention 0.9 at the due date
    assert later < at_due


@pytest.mark.parametrize("retention", [0.5, 0.69, 0.995, 1.0])
def test_desired_retention_out_of_range_is_refused(retention: float) -> None:
    with pytest.raises(ValueError, match="retention"):
        CardScheduler(desired_retention=retention)


def test_higher_retention_gives_shorter_intervals() -> None:
    strict, relaxed = (
        CardScheduler(desired_retention=0.95, fuzz=False),
        CardScheduler(desired_retention=0.8, fuzz=False),
    )
    a, b = _graduated(strict), _graduated(relaxed)
    assert (strict.review(a, Grade.GOOD, a.due).due - a.due) < (
        relaxed.review(b, Grade.GOOD, b.due).due - b.due
    )
