"""A per-user limit on interactions, so that one sender cannot starve the others.

Every click, slash command and modal submit is admitted or refused here before
any database work. A user is refused when either

* they already have ``max_in_flight`` interactions being processed (a flood sent
  all at once: the excess would only queue behind the first ones and everybody
  else), or
* their token bucket is empty (a steady stream faster than any person clicks).

A refusal costs a dictionary look-up; the front end then answers with a cheap
"slow down" reply. Memory stays bounded: users whose bucket has refilled and who
have nothing in flight are forgotten (they are indistinguishable from new users),
and at most ``max_users`` are remembered at all.

Time is injected (a monotonic clock in seconds), so the limiter is tested with a
fake clock. Plain Python: no discord import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MonotonicClock = Callable[[], float]
"""Seconds from an arbitrary origin that never go backwards (``time.monotonic``)."""

MAX_IN_FLIGHT = 4
"""A person double-clicks, or clicks while a slow answer is on its way; four covers it."""
BURST = 100
"""Interactions a user may send in a quick run (a fast learner, or a test loop)."""
PER_SECOND = 30.0
"""Sustained rate: far above anyone's clicking. A sender who waits for each answer
can never starve the others (the in-flight limit is what stops floods), so this only
has to stop a stream, and must leave the benches' closed-loop learners (about 18
interactions a second each at 25 learners) alone."""
MAX_USERS = 10_000
"""Users remembered at once; the least recently seen are forgotten first."""
SWEEP = 2
"""Idle users looked at per call, so the table shrinks without a separate job."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    in_flight: int = 0


class InteractionLimiter:
    """Admit or refuse a user's next interaction (token bucket plus in-flight count)."""

    def __init__(
        self,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
        burst: int = BURST,
        per_second: float = PER_SECOND,
        max_users: int = MAX_USERS,
        clock: MonotonicClock = time.monotonic,
    ) -> None:
        if max_in_flight < 1 or burst < 1 or per_second <= 0 or max_users < 1:
            raise ValueError("limits must be positive")
        self.max_in_flight = max_in_flight
        self.burst = float(burst)
        self.per_second = per_second
        self.max_users = max_users
        self._clock = clock
        # Insertion order is recency order: every admission re-inserts its user at the end.
        self._buckets: dict[int, _Bucket] = {}
        self.refused = 0
        """Interactions refused since start (for logs and benches)."""

    def __len__(self) -> int:
        """Users currently remembered."""
        return len(self._buckets)

    def in_flight(self, user_id: int) -> int:
        """Interactions of ``user_id`` admitted and not yet finished."""
        bucket = self._buckets.get(user_id)
        return 0 if bucket is None else bucket.in_flight

    def try_begin(self, user_id: int) -> bool:
        """Admit one interaction of ``user_id`` (then call :meth:`end` once), or refuse it."""
        now = self._clock()
        bucket = self._buckets.pop(user_id, None)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(
                self.burst, bucket.tokens + (now - bucket.updated) * self.per_second
            )
            bucket.updated = now
        self._buckets[user_id] = bucket
        self._forget_idle(now)
        if bucket.in_flight >= self.max_in_flight or bucket.tokens < 1.0:
            self.refused += 1
            return False
        bucket.tokens -= 1.0
        bucket.in_flight += 1
        return True

    def end(self, user_id: int) -> None:
        """One admitted interaction of ``user_id`` finished (however it ended)."""
        bucket = self._buckets.get(user_id)
        if bucket is not None and bucket.in_flight > 0:
            bucket.in_flight -= 1

    def _idle(self, bucket: _Bucket, now: float) -> bool:
        refilled = bucket.tokens + (now - bucket.updated) * self.per_second
        return bucket.in_flight == 0 and refilled >= self.burst

    def _forget_idle(self, now: float) -> None:
        # The least recently seen users are at the front: drop the idle ones among
        # the first few, and the oldest whatever their state beyond ``max_users``.
        for _ in range(SWEEP):
            oldest = next(iter(self._buckets))
            if len(self._buckets) <= 1 or not self._idle(self._buckets[oldest], now):
                break
            del self._buckets[oldest]
        while len(self._buckets) > self.max_users:
            del self._buckets[next(iter(self._buckets))]
