"""Injected time sources. Engine code takes a ``Clock`` (or a ``now``) instead of reading time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
"""A zero-argument callable returning the current instant as a UTC-aware datetime."""


def system_clock() -> datetime:
    """The real time, UTC-aware."""
    return datetime.now(UTC)


def require_aware(instant: datetime, name: str = "datetime") -> datetime:
    """Return ``instant`` converted to UTC, refusing naive datetimes with ``ValueError``."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {instant!r}")
    return instant.astimezone(UTC)


class FakeClock:
    """A settable clock for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "start")

    def __call__(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant``."""
        self._now = require_aware(instant, "instant")

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        self._now += delta
        return self._now
