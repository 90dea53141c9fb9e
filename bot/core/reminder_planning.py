"""When to send a learner's daily reminder: the date and DST arithmetic, nothing else.

Storing reminders and sending DMs live elsewhere; this module turns "07:30 every day
in Europe/London" into UTC instants. Every result is UTC-aware, every input instant
must be aware (naive ones raise ``ValueError``), and no clock is read here.

Daylight-saving rules, one reminder per local date, never two:

- Spring forward: if the wall time does not exist on that date (02:30 in
  America/New_York on 2026-03-08), the reminder is at the first instant after the gap
  (03:00 local), once.
- Fall back: if the wall time occurs twice (01:30 in America/New_York on 2026-11-01),
  only the first occurrence (``fold=0``) is used.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.core.clock import require_aware

__all__ = ["next_reminder_at", "reminder_day_is_over", "reminder_instant_for_date"]

# A gap or skipped day never lasts longer than this (the longest in tzdata is Samoa
# skipping 2011-12-30, 24 hours), so a few dates past "after" always hold an answer.
_MAX_DATES_TO_TRY = 4


def _check_local_time(local_time: time) -> None:
    if local_time.tzinfo is not None:
        # A wall time with its own zone would contradict ``zone``; refuse, don't guess.
        raise ValueError(f"local_time must be a naive wall time, got {local_time!r}")


def _first_instant_after_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant where the clock jumps over the nonexistent naive ``wall``.

    Reading ``wall`` with the offset after the jump (``fold=1``) gives an instant just
    before the transition; with the offset before it (``fold=0``) one at or after it.
    The transition is the first instant in between whose local wall time is past
    ``wall``; tzdata transitions are whole seconds, so a binary search on seconds
    finds it exactly in ~14 steps (and only on the rare DST day).
    """
    a = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    b = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)  # local(lo) is before wall, local(hi) is after it
    # Search from a whole second, so sub-second wall times still land exactly on the
    # (whole-second) transition.
    lo = lo.replace(microsecond=0)
    lo_s, hi_s = 0, int((hi - lo).total_seconds())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        local = (lo + timedelta(seconds=mid)).astimezone(zone).replace(tzinfo=None)
        if local > wall:
            hi_s = mid
        else:
            lo_s = mid
    return lo + timedelta(seconds=hi_s)


def reminder_instant_for_date(local_date: date, local_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of the reminder for ``local_date`` at wall time ``local_time``.

    Normally ``local_time`` on ``local_date`` in ``zone``. If that wall time falls in
    a DST gap, the first instant after the gap; if it occurs twice, the first one.
    """
    _check_local_time(local_time)
    return _instant_for_date(local_date, local_time, zone)


# Learners cluster on a few zones and round reminder times, so one planning pass over
# thousands of learners asks for the same (date, time, zone) again and again.
@lru_cache(maxsize=8192)
def _instant_for_date(local_date: date, local_time: time, zone: ZoneInfo) -> datetime:
    y, mo, d = local_date.year, local_date.month, local_date.day
    h, mi, s, us = local_time.hour, local_time.minute, local_time.second, local_time.microsecond
    # Hot path (every learner, every planning pass): ask the zone for the offsets of
    # both readings of the naive wall time (fold=0 is the earlier one, PEP 495) instead
    # of round-tripping through astimezone, which is several times slower.
    offset_first = zone.utcoffset(datetime(y, mo, d, h, mi, s, us, fold=0))
    offset_second = zone.utcoffset(datetime(y, mo, d, h, mi, s, us, fold=1))
    if offset_first is None or offset_second is None:  # pragma: no cover - ZoneInfo never
        raise ValueError(f"{zone!r} gave no UTC offset for {local_date} {local_time}")
    if offset_first >= offset_second:
        # Equal: an ordinary time. Larger: the clocks went back (the offset drops), the
        # time occurs twice, and fold=0 is the first occurrence.
        return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC) - offset_first
    # The offset rises across a transition only when the clocks jump forward: this wall
    # time does not exist.
    return _first_instant_after_gap(datetime(y, mo, d, h, mi, s, us), zone)


def next_reminder_at(local_time: time, zone: ZoneInfo, after: datetime) -> datetime:
    """The first reminder instant strictly after ``after`` (UTC-aware).

    Feeding the result back in as ``after`` yields the next local date's reminder, so
    a learner gets exactly one reminder per local date, across DST changes too.
    """
    _check_local_time(local_time)
    after_utc = require_aware(after, "after")
    # Starting at after's own local date is enough: every earlier date's reminder falls
    # before that date begins (even one pushed past midnight by a gap lands exactly on
    # the start of the next date, and ``after`` is on or past it).
    day = after_utc.astimezone(zone).date()
    for _ in range(_MAX_DATES_TO_TRY):
        instant = _instant_for_date(day, local_time, zone)
        if instant > after_utc:
            return instant
        day += timedelta(days=1)
    raise AssertionError(  # pragma: no cover - impossible with real tzdata
        f"no reminder for {local_time} in {zone.key} after {after_utc}"
    )


def reminder_day_is_over(local_date: date, zone: ZoneInfo, now: datetime) -> bool:
    """Whether ``local_date`` has ended in ``zone`` at ``now``.

    For catch-up after downtime: a missed reminder is still worth sending while its
    local day is running, and is dropped once the learner's date has moved on.
    """
    return require_aware(now, "now").astimezone(zone).date() > local_date
