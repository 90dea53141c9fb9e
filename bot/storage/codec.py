"""Conversions between Python values and their stored SQLite form."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.clock import require_aware


def to_epoch(instant: datetime) -> int:
    """A UTC-aware datetime as whole unix seconds (the stored form of every instant)."""
    return int(require_aware(instant).timestamp())


def from_epoch(seconds: int) -> datetime:
    """Stored unix seconds back to a UTC-aware datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def maybe_epoch(instant: datetime | None) -> int | None:
    """``to_epoch`` that passes None through."""
    return None if instant is None else to_epoch(instant)


def maybe_datetime(seconds: int | None) -> datetime | None:
    """``from_epoch`` that passes None through."""
    return None if seconds is None else from_epoch(seconds)
