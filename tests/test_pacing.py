"""Tests for bot.pacing: the schedule of starts, rate-limit waits, failures, stopping.

Time is a fake: ``FakeTime.sleep`` moves the clock instead of waiting, so the tests
assert on the computed schedule, never on wall time.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter

import pytest

from bot.pacing import DeliveryStatus, Pacer, RetryAfter


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def pacer(fake: FakeTime, rate: float, **kwargs: object) -> Pacer:
    return Pacer(
        rate,
        clock=fake.clock,
        sleep=fake.sleep,
        rng=random.Random(7),
        **kwargs,  # type: ignore[arg-type]
    )


class Recorder:
    """A send callback that records when each item was started."""

    def __init__(self, fake: FakeTime) -> None:
        self.fake = fake
        self.starts: list[tuple[int, float]] = []

    async def __call__(self, item: int) -> str:
        self.starts.append((item, self.fake.now))
        return f"ok {item}"


async def test_without_jitter_starts_are_exactly_one_interval_apart():
    fake = FakeTime()
    send = Recorder(fake)
    results = await pacer(fake, 10, jitter=0).run(range(5), send)
    times = [t - 1000.0 for _, t in send.starts]
    assert times == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert [r.result for r in results] == [f"ok {i}" for i in range(5)]
    assert all(r.status is DeliveryStatus.DELIVERED for r in results)


async def test_jittered_gaps_stay_within_bounds_and_average_to_the_rate():
    fake = FakeTime()
    send = Recorder(fake)
    the_pacer = pacer(fake, 20, jitter=0.25)
    await the_pacer.run(range(2000), send)
    times = [t for _, t in send.starts]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.05 * 0.75 - 1e-9
    assert max(gaps) <= 0.05 * 1.25 + 1e-9
    assert len(set(round(g, 6) for g in gaps)) > 100  # really jittered
    mean_rate = (len(times) - 1) / (times[-1] - times[0])
    assert mean_rate == pytest.approx(20, rel=0.02)
    assert the_pacer.stats.delivered == 2000


async def test_an_idle_pacer_does_not_burst_to_catch_up():
    fake = FakeTime()
    send = Recorder(fake)
    the_pacer = pacer(fake, 10, jitter=0)
    await the_pacer.run(range(3), send)
    fake.now += 3600  # an hour with nothing to send
    await the_pacer.run(range(3, 8), send)
    times = [t for _, t in send.starts[3:]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == pytest.approx([0.1] * 4)


async def test_back_to_back_batches_are_paced_as_one():
    fake = FakeTime()
    send = Recorder(fake)
    the_pacer = pacer(fake, 4, jitter=0)
    await the_pacer.run(range(3), send)
    await the_pacer.run(range(3, 6), send)
    times = [t - 1000.0 for _, t in send.starts]
    assert times == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.25])


async def test_retry_after_pauses_everything_and_delivers_exactly_once():
    fake = FakeTime()
    delivered: Counter[int] = Counter()
    starts: list[tuple[int, float]] = []
    limited = {2}

    async def send(item: int) -> int:
        starts.append((item, fake.now))
        if item in limited:
            limited.discard(item)  # 429 the first time only
            raise RetryAfter(2.5)
        delivered[item] += 1
        return item

    the_pacer = pacer(fake, 10, jitter=0, max_in_flight=1)
    results = await the_pacer.run(range(5), send)

    assert delivered == Counter({0: 1, 1: 1, 2: 1, 3: 1, 4: 1})
    assert [r.status for r in results] == [DeliveryStatus.DELIVERED] * 5
    assert results[2].attempts == 2
    limited_at = starts[2][1]
    # Nothing at all starts during the 2.5 s pause; the retry goes first after it.
    after = [(item, t) for item, t in starts[3:]]
    assert after[0][0] == 2
    assert after[0][1] == pytest.approx(limited_at + 2.5)
    assert all(t >= limited_at + 2.5 for _, t in after)
    assert the_pacer.stats.retries == 1
    assert the_pacer.stats.calls == 6
    assert the_pacer.stats.rate_limited_seconds == pytest.approx(2.5)


async def test_retry_after_with_several_in_flight_still_delivers_once():
    fake = FakeTime()
    delivered: Counter[int] = Counter()
    limited = {1, 4}

    async def send(item: int) -> int:
        if item in limited:
            limited.discard(item)
            raise RetryAfter(1.0)
        delivered[item] += 1
        return item

    the_pacer = pacer(fake, 50, max_in_flight=4)
    results = await the_pacer.run(range(30), send)
    assert delivered == Counter(range(30))
    assert sum(r.attempts for r in results) == 32


async def test_giving_up_after_max_retries():
    fake = FakeTime()
    calls = Counter[int]()

    async def always_limited(item: int) -> None:
        calls[item] += 1
        raise RetryAfter(1.0)

    the_pacer = pacer(fake, 10, max_retries=2, max_in_flight=1)
    [result] = await the_pacer.run([9], always_limited)
    assert result.status is DeliveryStatus.GAVE_UP
    assert isinstance(result.error, RetryAfter)
    assert calls[9] == 3
    assert the_pacer.stats.gave_up == 1


async def test_other_errors_fail_that_item_only_and_are_not_retried():
    fake = FakeTime()
    calls = Counter[int]()

    async def send(item: int) -> int:
        calls[item] += 1
        if item == 1:
            raise ConnectionError("reset by peer")
        return item

    results = await pacer(fake, 10).run(range(3), send)
    assert [r.status for r in results] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.DELIVERED,
    ]
    assert isinstance(results[1].error, ConnectionError)
    assert calls[1] == 1


async def test_stop_skips_items_not_yet_started():
    fake = FakeTime()
    stopping = False
    sent: list[int] = []

    async def send(item: int) -> int:
        nonlocal stopping
        sent.append(item)
        if item == 2:
            stopping = True
        return item

    results = await pacer(fake, 10, max_in_flight=1).run(range(6), send, stop=lambda: stopping)
    assert sent == [0, 1, 2]
    assert [r.status for r in results[3:]] == [DeliveryStatus.SKIPPED] * 3
    assert all(r.attempts == 0 for r in results[3:])


def test_retry_after_refuses_negative_waits():
    assert RetryAfter(-3).seconds == 0.0
    assert RetryAfter(float("nan")).seconds == 0.0
    assert RetryAfter(1.5).seconds == 1.5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate_per_second": 0},
        {"rate_per_second": -1},
        {"rate_per_second": 5, "jitter": 1.0},
        {"rate_per_second": 5, "jitter": -0.1},
        {"rate_per_second": 5, "max_in_flight": 0},
        {"rate_per_second": 5, "max_retries": -1},
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float]):
    with pytest.raises(ValueError, match="must be"):
        Pacer(**kwargs)  # type: ignore[arg-type]
