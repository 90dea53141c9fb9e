"""What "due" means: one definition for review sessions, stats, reminders and decks.

A card is due when its FSRS due instant has come: ``due <= now``. Nothing is due
"ahead of time": a flashcard failed a minute ago or graded Good on its first
sight (FSRS's 1 and 10 minute learning steps) is *scheduled later today*, not
due, until its minute comes. Every front end and report asks this module, and
every SQL query that counts or selects due cards takes :func:`due_cutoff` as its
bound, so that right after a session ``/quiz stats``, ``/quiz review``, the
reminder DM and ``/quiz decks`` agree (they once did not: stats counted every
card due before the end of the local day, review only the ones due now).

"Later today" is a separate, named figure (:func:`later_today_bound`): the cards
that will become due before the learner's local midnight.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.core.clock import require_aware
from bot.core.timezones import parse_zone


def due_cutoff(now: datetime) -> datetime:
    """The latest due instant that counts as due at ``now`` (inclusive)."""
    return require_aware(now, "now")


def is_due(due: datetime, now: datetime) -> bool:
    """Whether a card scheduled for ``due`` is due at ``now``."""
    return require_aware(due, "due") <= due_cutoff(now)


def later_today_bound(now: datetime, zone_name: str) -> datetime:
    """The last second of the learner's local day (inclusive, as instants are stored to
    the second): cards due after :func:`due_cutoff` and up to this are "later today"."""
    zone = parse_zone(zone_name)
    local = require_aware(now, "now").astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return (midnight - timedelta(seconds=1)).astimezone(now.tzinfo)


__all__ = ["due_cutoff", "is_due", "later_today_bound"]
