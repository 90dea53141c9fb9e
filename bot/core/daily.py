"""The rules of the channel's daily question: when a day's question is due, and which
card it is. Plain Python: no storage, no clock read, no words.

- **One post per community and local date.** A day's question is due from its time
  until the day ends in the community's zone (catch-up after downtime), and only if
  that time came after the daily question was set up: set up at 15:00 for 09:00, it
  starts tomorrow.
- **The card** is picked from the candidate MCQs by a hash of community and date:
  the same in every process, different across communities and days, and never the
  previous day's card twice running when the deck has another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.core.errors import NoQuestions
from bot.core.reminder_planning import reminder_instant_for_date
from bot.core.timezones import local_date

CardKey = tuple[str, str]
"""(deck id, card id)"""


def due_today(
    local_time: time, zone: ZoneInfo, set_at: datetime, now: datetime
) -> tuple[date, datetime] | None:
    """(local date, instant) of the question due at ``now``, or None before its time
    today or when today's time came before the daily question was set up."""
    today = local_date(now, zone)
    instant = reminder_instant_for_date(today, local_time, zone)
    if instant > now or instant <= set_at:
        return None
    return today, instant


def pick_card(
    community_id: int, day: date, candidates: Sequence[CardKey], avoid: CardKey | None
) -> CardKey:
    """The community's card for ``day``: a stable hash of (community, date) over the
    candidates.

    sha256, not ``hash()``: Python salts string hashes per process, and every process
    must pick the same card. ``avoid`` (the previous card) is skipped when possible.
    Raises :class:`NoQuestions` when there is no candidate.
    """
    if not candidates:
        raise NoQuestions()
    ordered = sorted(set(candidates))
    digest = hashlib.sha256(f"{community_id}:{day.isoformat()}".encode()).digest()
    index = int.from_bytes(digest[:8], "big") % len(ordered)
    if ordered[index] == avoid and len(ordered) > 1:
        index = (index + 1) % len(ordered)
    return ordered[index]


__all__ = ["CardKey", "due_today", "pick_card"]
