"""One learner flooding the bot: the excess is told to slow down, others are served."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core.throttle import InteractionLimiter
from cogs.common.handlers import SLOW_DOWN
from tests.e2e.harness import Recall, custom_id_of, grade_names, labels
from tests.fakediscord.interactions import CHANNEL_MESSAGE, Interaction

FLOOD = 200


class StoppedClock:
    """Monotonic seconds that stand still: the bucket refills only when a test says so,
    so how many clicks get through does not depend on the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def slowed(interaction: Interaction) -> bool:
    callback = interaction.callback
    return (
        callback is not None
        and callback.type == CHANNEL_MESSAGE
        and callback.ephemeral
        and callback.data.get("content") == SLOW_DOWN
    )


async def test_a_flood_from_one_learner_is_slowed_and_another_learner_is_served(
    recall: Recall, caplog: pytest.LogCaptureFixture
) -> None:
    fake = recall.fake
    alice, bob = recall.hall.learner, recall.hall.learner2
    time = StoppedClock()
    limiter = InteractionLimiter(clock=time)  # the default limits
    recall.running.limiter = limiter
    options = {"kind": "flashcard", "count": 2}
    mine = (await recall.slash(alice, "quiz start", options)).message()
    theirs = (await recall.slash(bob, "quiz start", options)).message()
    assert mine is not None and theirs is not None
    reveal = custom_id_of(mine, "Reveal answer")

    with caplog.at_level(logging.WARNING):
        flood = [await fake.click(alice, mine, reveal) for _ in range(FLOOD)]
        other = await fake.click(bob, theirs, custom_id_of(theirs, "Reveal answer"))
        await asyncio.gather(*(i.response(timeout=60) for i in [*flood, other]))
        shown = await other.wait_done(timeout=60)

    # Bob was answered as usual: his card turned over.
    assert not slowed(other)
    assert shown is not None and grade_names(shown) == ["Again", "Hard", "Good", "Easy"]
    # Every click of the flood was answered; all but a handful cheaply, with "slow down".
    refused = [i for i in flood if slowed(i)]
    assert all(i.responded for i in flood)
    assert len(refused) == limiter.refused
    assert len(refused) >= FLOOD - limiter.burst
    assert all(i.callback is not None and i.callback.ephemeral for i in refused)
    # The card was revealed once, and nothing was logged as an error.
    assert grade_names(mine) == ["Again", "Hard", "Good", "Easy"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []

    # Once her clicks are done and her bucket has refilled, Alice goes on as usual.
    for _ in range(500):
        if limiter.in_flight(alice.id) == 0:
            break
        await asyncio.sleep(0.01)  # waiting for a positive condition, bounded
    assert limiter.in_flight(alice.id) == 0
    time.now += 60
    good = await recall.click(alice, mine, "Good")
    assert not slowed(good)
    assert labels(mine) == ["Reveal answer", "Stop"]
    assert await recall.review_count() == 1
