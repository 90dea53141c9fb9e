"""Paced dispatch: run send callbacks at a steady rate with jitter, never in a burst.

Plain Python (no discord import). Ten thousand reminders due in the same minute must
not become ten thousand DMs in a second: Discord's global limit is 50 requests/s and
bursts of DMs are what its anti-spam system flags. A :class:`Pacer` hands out start
slots one at a time, ``1 / rate`` seconds apart on average, each gap stretched or
shrunk by up to ``jitter`` so the traffic does not look machine-regular. An idle
pacer does not save up slots: after a pause the next send waits a full gap, so there
is never a catch-up burst.

Rate limits: a callback raises :class:`RetryAfter` when the platform answered 429.
That request was not processed, so retrying it cannot deliver twice. The pacer stops
starting *any* send until the wait is over, then retries the same item (up to
``max_retries`` times). Any other exception is a failure and is not retried, because
the message may have gone out before the error.

Time is injected (``clock`` and ``sleep``), so tests check the schedule exactly.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

__all__ = ["Delivery", "DeliveryStatus", "Pacer", "PacerStats", "RetryAfter"]

T = TypeVar("T")
R = TypeVar("R")


class RetryAfter(Exception):
    """Raised by a send callback on a rate limit (HTTP 429): wait ``seconds``, then retry."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited; retry after {seconds:.3f}s")
        # A negative or NaN header must not turn into "retry immediately in a loop".
        self.seconds = seconds if seconds > 0 else 0.0


class DeliveryStatus(StrEnum):
    """How one item ended."""

    DELIVERED = "delivered"
    FAILED = "failed"  # the callback raised something other than RetryAfter
    GAVE_UP = "gave_up"  # still rate limited after max_retries retries
    SKIPPED = "skipped"  # never attempted: the run was told to stop


@dataclass(frozen=True)
class Delivery(Generic[T, R]):
    """One item's outcome: the callback's result, or the error."""

    item: T
    status: DeliveryStatus
    result: R | None = None
    error: BaseException | None = None
    attempts: int = 1


@dataclass
class PacerStats:
    """Running totals over the pacer's life."""

    calls: int = 0  # callback invocations, retries included
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    retries: int = 0
    rate_limited_seconds: float = 0.0  # total waiting asked for by RetryAfter


class Pacer:
    """Starts callbacks at ``rate_per_second`` on average, each gap jittered by ±``jitter``.

    ``max_in_flight`` callbacks may run at once, so a slow send (a DM takes a round trip)
    does not lower the rate; it never raises it either, since starts are paced.
    """

    def __init__(
        self,
        rate_per_second: float,
        *,
        jitter: float = 0.2,
        max_retries: int = 3,
        max_in_flight: int = 4,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not rate_per_second > 0:
            raise ValueError(f"rate_per_second must be positive, got {rate_per_second!r}")
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {jitter!r}")
        if max_retries < 0 or max_in_flight < 1:
            raise ValueError("max_retries must be >= 0 and max_in_flight >= 1")
        self.rate = rate_per_second
        self.jitter = jitter
        self.max_retries = max_retries
        self.max_in_flight = max_in_flight
        self.clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._interval = 1.0 / rate_per_second
        self._next_slot = float("-inf")
        self._paused_until = float("-inf")
        self._slot_lock = asyncio.Lock()
        self.stats = PacerStats()

    def _gap(self) -> float:
        return self._interval * (1.0 + self.jitter * self._rng.uniform(-1.0, 1.0))

    async def _take_slot(self) -> None:
        # One waiter at a time, so slots are handed out in order and never two at once.
        async with self._slot_lock:
            while True:
                now = self.clock()
                ready = max(self._next_slot, self._paused_until)
                if ready <= now:
                    break
                await self._sleep(ready - now)
            # From "now", not from the old slot: an idle spell earns no burst.
            self._next_slot = now + self._gap()

    def pause(self, seconds: float) -> None:
        """Start nothing for ``seconds`` from now (what a 429 asks for)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)
        self.stats.rate_limited_seconds += seconds

    async def _deliver(
        self, item: T, send: Callable[[T], Awaitable[R]], stop: Callable[[], bool]
    ) -> Delivery[T, R]:
        attempts = 0
        while True:
            if attempts == 0 and stop():
                return Delivery(item, DeliveryStatus.SKIPPED, attempts=0)
            await self._take_slot()
            if attempts == 0 and stop():
                # Checked again: a shutdown may have come while waiting for the slot.
                return Delivery(item, DeliveryStatus.SKIPPED, attempts=0)
            attempts += 1
            self.stats.calls += 1
            try:
                result = await send(item)
            except RetryAfter as limited:
                self.pause(limited.seconds)
                if attempts > self.max_retries:
                    self.stats.gave_up += 1
                    return Delivery(item, DeliveryStatus.GAVE_UP, error=limited, attempts=attempts)
                self.stats.retries += 1
                continue
            except Exception as error:  # reported per item; the rest of the batch goes on
                self.stats.failed += 1
                return Delivery(item, DeliveryStatus.FAILED, error=error, attempts=attempts)
            self.stats.delivered += 1
            return Delivery(item, DeliveryStatus.DELIVERED, result=result, attempts=attempts)

    async def run(
        self,
        items: Iterable[T],
        send: Callable[[T], Awaitable[R]],
        *,
        stop: Callable[[], bool] = lambda: False,
    ) -> list[Delivery[T, R]]:
        """Send every item through ``send``, paced; the outcomes in item order.

        Pacing carries over between calls: two back-to-back batches are spaced as one.
        Once ``stop()`` is true, items not yet started come back ``SKIPPED`` at once
        (a retry already under way still finishes), so a shutdown is not held up.
        """
        indexed: Iterator[tuple[int, T]] = enumerate(items)
        outcomes: dict[int, Delivery[T, R]] = {}

        async def worker() -> None:
            # Workers share one iterator: in asyncio, next() cannot hand an item out twice.
            for index, item in indexed:
                outcomes[index] = await self._deliver(item, send, stop)

        async with asyncio.TaskGroup() as group:
            for _ in range(self.max_in_flight):
                group.create_task(worker())
        return [outcomes[index] for index in sorted(outcomes)]
