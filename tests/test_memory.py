"""bot.core.memory against fsrs's own retrievability: one card, a learner, a class."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler, State

from bot.core.grading import Grade
from bot.core.memory import (
    DAY_SECONDS,
    FORECAST_DAYS,
    CardMemoryFigures,
    MemoryGroup,
    card_retrievability,
    class_recall,
    forecast_end,
    learner_memory,
    retrievability,
)
from bot.core.scheduling import CardScheduler

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
FSRS = Scheduler(enable_fuzzing=False)


def fsrs_recall(stability: float, last_review: datetime, now: datetime) -> float:
    card = Card(
        card_id=0, state=State.Review, stability=stability, difficulty=5.0, last_review=last_review
    )
    return float(FSRS.get_card_retrievability(card, now))


@pytest.mark.parametrize("stability", [0.001, 0.2, 1.0, 2.5, 10.0, 87.3, 400.0, 36500.0])
@pytest.mark.parametrize(
    "elapsed",
    [timedelta(0), timedelta(hours=23), timedelta(days=1), timedelta(days=3, hours=5),
     timedelta(days=40), timedelta(days=1000), -timedelta(days=2)],
)  # fmt: skip
def test_one_card_is_fsrs_own_figure(stability: float, elapsed: timedelta) -> None:
    last = NOW - elapsed
    assert card_retrievability(stability, last, NOW) == fsrs_recall(stability, last, NOW)


def test_the_formula_meets_its_anchor_points() -> None:
    assert retrievability(7.0, 0) == 1.0
    assert retrievability(7.0, 7) == pytest.approx(0.9)  # R(S) = 0.9 by FSRS's design
    assert retrievability(7.0, 70) < retrievability(7.0, 7) < retrievability(70.0, 7)
    with pytest.raises(ValueError, match="positive"):
        retrievability(0.0, 3)


def test_cards_scheduled_by_recall_match_the_scheduler() -> None:
    scheduler = CardScheduler(fuzz=False)
    memory = None
    at = NOW - timedelta(days=60)
    for grade in (Grade.GOOD, Grade.GOOD, Grade.AGAIN, Grade.GOOD, Grade.EASY):
        memory = scheduler.review(memory, grade, at)
        at = memory.due + timedelta(hours=7)
    assert memory is not None
    for later in (timedelta(0), timedelta(days=2), timedelta(days=30)):
        now = at + later
        assert card_retrievability(memory.stability, memory.last_review, now) == (
            scheduler.retrievability(memory, now)
        )


def test_a_card_never_reviewed_has_no_recall_as_in_fsrs() -> None:
    assert card_retrievability(None, None, NOW) == 0.0
    assert FSRS.get_card_retrievability(Card(card_id=0), NOW) == 0


def test_a_learner_is_the_mean_of_their_cards() -> None:
    cards = [
        CardMemoryFigures(3.0, NOW - timedelta(days=10), NOW - timedelta(days=7, hours=1)),
        CardMemoryFigures(50.0, NOW - timedelta(days=20), NOW + timedelta(days=30)),
        CardMemoryFigures(1.0, NOW - timedelta(hours=5), NOW + timedelta(hours=19)),
        # The forecast ends with the UTC day six days after today (2026-03-10).
        CardMemoryFigures(4.0, NOW - timedelta(days=2), datetime(2026, 3, 10, 23, 59, tzinfo=UTC)),
        CardMemoryFigures(4.0, NOW - timedelta(days=2), datetime(2026, 3, 11, tzinfo=UTC)),
        CardMemoryFigures(9.0, NOW - timedelta(days=9), NOW),  # due this very second
    ]
    assert forecast_end(NOW) == datetime(2026, 3, 4 + FORECAST_DAYS, tzinfo=UTC)
    got = learner_memory(cards, NOW)
    want = sum(fsrs_recall(c.stability or 0, c.last_review or NOW, NOW) for c in cards) / 6
    assert got.recall == pytest.approx(want, abs=1e-12)
    assert (got.cards, got.due_now, got.due_soon, got.overdue_days) == (6, 2, 2, 7)
    assert learner_memory([], NOW).recall is None


def _band(stability: float) -> int:
    """The band of V9's stability_bands table (0: below 0.01 days; then x1.25)."""
    if stability < 0.01:
        return 0
    return 1 + math.floor(math.log(stability / 0.01) / math.log(1.25) + 1e-12)


def _groups(cards: list[tuple[float, datetime]]) -> list[MemoryGroup]:
    """What memory_totals holds for these cards (the triggers' arithmetic)."""
    found: dict[tuple[int, int], list[float]] = {}
    for stability, last in cards:
        key = (int(last.timestamp()) // DAY_SECONDS, _band(stability))
        found.setdefault(key, []).append(stability)
    return [
        MemoryGroup(day, len(s), sum(1 / x for x in s)) for (day, _b), s in sorted(found.items())
    ]


def _class(rng: random.Random, size: int, now: datetime) -> list[tuple[float, datetime]]:
    """Cards as a class makes them: fsrs reviews of a few cards each, at random times."""
    scheduler = Scheduler(enable_fuzzing=False)
    cards: list[tuple[float, datetime]] = []
    for _ in range(size):
        card = Card(card_id=0)
        at = now - timedelta(days=rng.uniform(1, 200))
        card.due = at
        while True:
            rating = Rating.Again if rng.random() < 0.15 else Rating.Good
            card, _log = scheduler.review_card(card, rating, at)
            # Learners come back late, some very late, some not at all.
            at = card.due + timedelta(days=rng.expovariate(1 / 6), seconds=rng.randrange(86_400))
            if at > now or rng.random() < 0.1:
                break
        assert card.stability is not None and card.last_review is not None
        cards.append((card.stability, card.last_review))
    return cards


@pytest.mark.parametrize("seed", range(6))
def test_the_class_mean_from_groups_is_within_a_point_of_fsrs(seed: int) -> None:
    rng = random.Random(seed)
    now = NOW.replace(hour=rng.randrange(24), minute=rng.randrange(60))
    cards = _class(rng, 400, now)
    exact = sum(fsrs_recall(s, last, now) for s, last in cards) / len(cards)
    got = class_recall(_groups(cards), now)
    assert got is not None
    assert abs(got - exact) < 0.01, (got, exact)


def test_cards_reviewed_today_are_remembered() -> None:
    cards = [(0.5, NOW - timedelta(hours=h)) for h in (1, 2, 15)]
    assert class_recall(_groups(cards), NOW) == 1.0  # no whole day has passed for any
    assert class_recall([], NOW) is None
    assert class_recall([MemoryGroup(1, 0, 0.0)], NOW) is None  # an emptied group


def test_one_group_weighs_the_time_of_day() -> None:
    # A card reviewed two UTC days ago has been away two whole days if reviewed at an
    # earlier time of day than now, one otherwise; at 18:00 three quarters of the day
    # have gone, so the expected recall weighs R(2) by 3/4 and R(1) by 1/4.
    now = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
    day = int(now.timestamp()) // DAY_SECONDS - 2
    got = class_recall([MemoryGroup(day, 2, 2 / 3.0)], now)
    assert got == pytest.approx(0.75 * retrievability(3.0, 2) + 0.25 * retrievability(3.0, 1))
    early = [(3.0, now - timedelta(days=2, hours=h)) for h in range(1, 18)]  # 00:00-17:00
    exact = sum(fsrs_recall(s, last, now) for s, last in early) / len(early)
    assert exact == pytest.approx(retrievability(3.0, 2))
