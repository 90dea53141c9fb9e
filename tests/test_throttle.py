"""Tests for bot.core.throttle: the per-user interaction limit, with a fake monotonic clock."""

from __future__ import annotations

import pytest

from bot.core.throttle import InteractionLimiter


class FakeMonotonic:
    """Seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def time() -> FakeMonotonic:
    return FakeMonotonic()


def test_a_flood_sent_at_once_is_cut_at_the_in_flight_limit(time: FakeMonotonic) -> None:
    limiter = InteractionLimiter(max_in_flight=4, clock=time)
    admitted = [limiter.try_begin(1) for _ in range(200)]
    assert admitted.count(True) == 4
    assert admitted[:4] == [True] * 4
    assert limiter.refused == 196
    assert limiter.in_flight(1) == 4


def test_other_users_are_not_affected_by_a_flood(time: FakeMonotonic) -> None:
    limiter = InteractionLimiter(max_in_flight=4, clock=time)
    for _ in range(200):
        limiter.try_begin(1)
    assert limiter.try_begin(2)
    assert limiter.in_flight(2) == 1


def test_finishing_frees_a_slot(time: FakeMonotonic) -> None:
    limiter = InteractionLimiter(max_in_flight=2, clock=time)
    assert limiter.try_begin(1) and limiter.try_begin(1)
    assert not limiter.try_begin(1)
    limiter.end(1)
    assert limiter.try_begin(1)
    assert limiter.in_flight(1) == 2


def test_one_at_a_time_is_never_limited_by_in_flight(time: FakeMonotonic) -> None:
    limiter = InteractionLimiter(max_in_flight=1, burst=1000, clock=time)
    for _ in range(500):
        assert limiter.try_begin(1)
        limiter.end(1)
    assert limiter.refused == 0


def test_a_steady_stream_is_held_to_the_rate(time: FakeMonotonic) -> None:
    limiter = InteractionLimiter(burst=10, per_second=2.0, clock=time)
    results = []
    for _ in range(10):  # the burst
        results.append(limiter.try_begin(1))
        limiter.end(1)
    assert results == [True] * 10
    assert not limiter.try_begin(1)  # bucket empty
    time.now += 0.5  # one token back at 2 per second
    assert limiter.try_begin(1)
    limiter.end(1)
    assert not limiter.try_begin(1)
    time.now += 60  # refills to the burst, not beyond
    results = []
    for _ in range(11):
        results.append(limiter.try_begin(1))
        limiter.end(1)
    assert results == [True] * 10 + [False]


def test_ending_more_than_begun_never_goes_negative(time: FakeMonotonic) -> None:
    limiter = InteractionLimiter(max_in_flight=1, clock=time)
    limiter.end(1)  # unknown user: nothing happens
    assert limiter.try_begin(1)
    limiter.end(1)
    limiter.end(1)
    assert limiter.in_flight(1) == 0
    assert limiter.try_begin(1)
    assert not limiter.try_begin(1)


def test_idle_users_are_forgotten(time: FakeMonotonic) -> None:
    limiter = InteractionLimiter(burst=10, per_second=10.0, clock=time)
    for user in range(1, 1001):
        assert limiter.try_begin(user)
        limiter.end(user)
    assert len(limiter) == 1000
    time.now += 10  # everyone's bucket is full again: all idle
    for _ in range(600):
        assert limiter.try_begin(5000)
        limiter.end(5000)
        time.now += 0.1  # 5000 keeps a steady pace its bucket sustains
    assert len(limiter) == 1  # the sweep forgot every idle user along the way


def test_a_user_with_work_in_flight_is_not_forgotten_as_idle(time: FakeMonotonic) -> None:
    limiter = InteractionLimiter(max_in_flight=1, burst=10, per_second=1.0, clock=time)
    assert limiter.try_begin(1)  # still running
    time.now += 100
    for user in range(2, 10):
        limiter.try_begin(user)
        limiter.end(user)
    assert not limiter.try_begin(1)  # its slot is still taken


def test_memory_is_capped(time: FakeMonotonic) -> None:
    limiter = InteractionLimiter(max_users=100, clock=time)
    for user in range(10_000):
        limiter.try_begin(user)  # all in flight: none idle
    assert len(limiter) == 100
    assert limiter.in_flight(9_999) == 1
    assert limiter.in_flight(0) == 0  # the least recently seen was forgotten


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        InteractionLimiter(max_in_flight=0)
    with pytest.raises(ValueError, match="positive"):
        InteractionLimiter(per_second=0)
