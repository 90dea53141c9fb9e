"""Discord-style snowflake ids.

discord.py derives ``created_at`` timestamps from ids, so the fake hands out
real time-based 64-bit snowflakes instead of small counters.
"""

from __future__ import annotations

import itertools
import threading
import time

DISCORD_EPOCH_MS = 1420070400000

_lock = threading.Lock()
_increment = itertools.count()
_last = 0


def new_snowflake() -> int:
    """Return a fresh, strictly increasing snowflake based on the current time."""
    global _last
    with _lock:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (1 << 17) | (next(_increment) & 0xFFF)
        # Guarantee monotonic ids even if the 12-bit increment wraps inside one millisecond.
        if value <= _last:
            value = _last + 1
        _last = value
        return value


def snowflake_time_ms(snowflake: int) -> int:
    """Return the unix time in milliseconds encoded in ``snowflake``."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS
