"""The engine's rules behind session control and feedback, pure (no database).

Interval previews (FSRS, nothing written), the short interval labels, the cards
missed in a session, how a session ended, and the one definition of "due".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.due import due_cutoff, is_due, later_today_bound
from bot.core.errors import NotYourSession, SessionOver
from bot.core.grading import Grade
from bot.core.scheduling import CardScheduler, short_interval
from bot.core.session import (
    Ending,
    QueueItem,
    SessionKind,
    SessionState,
    Status,
    check_owner,
    missed_items,
    stop,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _state(**changes: object) -> SessionState:
    queue = tuple(QueueItem("d", f"c{i}") for i in range(4))
    base = SessionState(
        id=1,
        learner_id=7,
        community_id=None,
        channel=None,
        deck_id="d",
        kind=SessionKind.MIXED,
        queue=queue,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# -- previews ---------------------------------------------------------------------------


def test_preview_of_a_new_card_is_fsrs_own_first_intervals() -> None:
    scheduler = CardScheduler(fuzz=False)
    preview = scheduler.preview(None, NOW)
    # FSRS's default learning steps: Again 1 minute, Good 10 minutes; Hard in between;
    # Easy graduates straight to days.
    assert preview[Grade.AGAIN] == timedelta(minutes=1)
    assert preview[Grade.GOOD] == timedelta(minutes=10)
    assert timedelta(minutes=1) < preview[Grade.HARD] < timedelta(minutes=10)
    assert preview[Grade.EASY] >= timedelta(days=1)
    assert [short_interval(preview[g]) for g in Grade] == ["1m", "6m", "10m", "8d"]


def test_preview_matches_the_review_it_announces_and_writes_nothing() -> None:
    scheduler = CardScheduler(fuzz=False)
    memory = scheduler.review(None, Grade.GOOD, NOW)
    memory = scheduler.review(memory, Grade.GOOD, NOW + timedelta(minutes=10))
    later = memory.due + timedelta(days=1)
    before = memory
    preview = scheduler.preview(memory, later)
    assert memory == before  # the record is untouched
    for grade in Grade:
        reviewed = scheduler.review(memory, grade, later)
        assert preview[grade] == reviewed.due - later
    # Longer for better grades, as the buttons promise.
    assert preview[Grade.AGAIN] < preview[Grade.HARD] < preview[Grade.GOOD] < preview[Grade.EASY]


def test_preview_is_the_same_every_time_even_with_fuzz() -> None:
    fuzzed = CardScheduler(fuzz=True)
    memory = CardScheduler(fuzz=False).review(None, Grade.EASY, NOW)
    at = memory.due + timedelta(days=3)
    assert fuzzed.preview(memory, at) == fuzzed.preview(memory, at)
    assert fuzzed.preview(memory, at) == CardScheduler(fuzz=False).preview(memory, at)


def test_preview_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="now"):
        CardScheduler().preview(None, datetime(2026, 3, 2, 12))


@pytest.mark.parametrize(
    ("interval", "label"),
    [
        (timedelta(0), "1m"),
        (timedelta(seconds=20), "1m"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(minutes=59), "59m"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=5, minutes=20), "5h"),
        (timedelta(hours=23), "23h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=3, hours=4), "3d"),
        (timedelta(days=29), "29d"),
        (timedelta(days=30), "1mo"),
        (timedelta(days=80), "3mo"),
        (timedelta(days=340), "11mo"),
        (timedelta(days=365), "1y"),
        (timedelta(days=548), "1.5y"),
        (timedelta(days=3650), "10y"),
    ],
)
def test_short_interval_units(interval: timedelta, label: str) -> None:
    assert short_interval(interval) == label


# -- missed cards, endings ----------------------------------------------------------------


def test_missed_items_are_the_wrong_answers_in_queue_order_once_each() -> None:
    queue = (QueueItem("d", "a"), QueueItem("d", "b"), QueueItem("d", "c"), QueueItem("d", "a"))
    answers = [(3, False), (0, False), (1, True), (2, False)]
    assert missed_items(queue, answers) == (QueueItem("d", "a"), QueueItem("d", "c"))
    assert missed_items(queue, [(0, True), (1, True)]) == ()
    assert missed_items(queue, [(9, False)]) == ()  # a step outside the queue: ignored


def test_endings() -> None:
    running = _state()
    assert running.ending is None
    assert stop(running).ending is Ending.STOPPED
    assert _state(position=4, status=Status.FINISHED).ending is Ending.COMPLETED
    assert _state(status=Status.ABANDONED).ending is Ending.REPLACED
    assert _state(status=Status.EXPIRED).ending is Ending.EXPIRED


def test_check_owner_refuses_others_and_closed_sessions() -> None:
    check_owner(_state(), 7)
    with pytest.raises(NotYourSession):
        check_owner(_state(), 8)
    with pytest.raises(SessionOver):
        check_owner(_state(status=Status.FINISHED), 7)


# -- due ------------------------------------------------------------------------------------


def test_due_means_its_instant_has_come() -> None:
    assert is_due(NOW, NOW)
    assert is_due(NOW - timedelta(days=3), NOW)
    assert not is_due(NOW + timedelta(minutes=1), NOW)  # a learning step: later, not due
    assert due_cutoff(NOW) == NOW
    with pytest.raises(ValueError, match="due"):
        is_due(datetime(2026, 3, 2), NOW)


def test_later_today_ends_at_the_learners_midnight() -> None:
    assert later_today_bound(NOW, "UTC") == datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC)
    # 12:00 UTC is 21:00 in Tokyo: its day ends at 14:59:59 UTC.
    assert later_today_bound(NOW, "Asia/Tokyo") == datetime(2026, 3, 2, 14, 59, 59, tzinfo=UTC)
    assert later_today_bound(NOW, "America/New_York") == datetime(2026, 3, 3, 4, 59, 59, tzinfo=UTC)
