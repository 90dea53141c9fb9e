"""Learners' time zones and local wall-clock input.

Plain Python (no discord import): parsing ``/quiz timezone`` and ``/quiz remind set``
input, autocomplete for zone names, and the local date of an instant.

Zone names only ever reach :class:`zoneinfo.ZoneInfo` after being looked up in an
index built from :func:`zoneinfo.available_timezones`, so hostile input such as
``"../etc/passwd"`` or a NUL byte never touches the file system.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.core.clock import require_aware

__all__ = [
    "LOCAL_TIME_FORMAT_HINT",
    "MAX_AUTOCOMPLETE_CHOICES",
    "InvalidLocalTime",
    "InvalidTimeZone",
    "local_date",
    "parse_local_time",
    "parse_zone",
    "search_zones",
]

MAX_AUTOCOMPLETE_CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""

LOCAL_TIME_FORMAT_HINT = "Use HH:MM in 24-hour time, like 07:30 or 19:00."

# The longest IANA name is 32 characters ("America/Argentina/ComodRivadavia"). Anything
# much longer is rejected before any work is done, so pasted essays cost nothing.
_MAX_ZONE_INPUT = 64
# Discord caps an autocomplete value at 100 characters; cut queries there too.
_MAX_QUERY = 100
# Characters that occur in IANA names, plus space (accepted in place of "_").
_ZONE_CHARS = re.compile(r"[A-Za-z0-9/_+\- ]+")
# Entries of the system zone directory that are not zones a learner should pick:
# "localtime" is the host's own setting, "Factory" means "zone not configured".
_EXCLUDED_ZONES = frozenset({"Factory", "localtime", "posixrules"})

_MAX_TIME_INPUT = 16
# ASCII digits only: ``\d`` would also accept e.g. Arabic-Indic or full-width digits.
_LOCAL_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", re.ASCII)


class InvalidTimeZone(ValueError):
    """A zone name that is not an IANA time zone we know. The message is user-facing."""


class InvalidLocalTime(ValueError):
    """Text that is not an ``HH:MM`` 24-hour time. The message tells the expected format."""


@dataclass(frozen=True, slots=True)
class _ZoneEntry:
    name: str  # canonical spelling, e.g. "America/New_York"
    key: str  # search key: lower case, " " and "-" folded to "_"
    parts: tuple[str, ...]  # search keys of each "/" component after the first


@dataclass(frozen=True, slots=True)
class _ZoneIndex:
    by_lower: dict[str, str]  # lower case with spaces as "_" -> canonical name
    entries: tuple[_ZoneEntry, ...]  # sorted by canonical name


def _search_key(text: str) -> str:
    # "new york", "New-York" and "new_york" should all find "America/New_York";
    # "port au prince" should find "America/Port-au-Prince".
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def _lookup_key(text: str) -> str:
    # Looser than exact, stricter than search: only case and space vs "_" are forgiven,
    # so "Etc/GMT-5" and "Etc/GMT+5" (different zones) never collide.
    return text.strip().lower().replace(" ", "_")


@lru_cache(maxsize=1)
def _index() -> _ZoneIndex:
    # Built once, lazily: available_timezones() walks the zone directories and takes
    # milliseconds, far too slow for every keystroke or every learner.
    names = sorted((zoneinfo.available_timezones() - _EXCLUDED_ZONES) | {"UTC"})
    by_lower: dict[str, str] = {}
    entries: list[_ZoneEntry] = []
    for name in names:
        # First wins on a (hypothetical) case collision, so the result is deterministic.
        by_lower.setdefault(_lookup_key(name), name)
        key = _search_key(name)
        entries.append(_ZoneEntry(name=name, key=key, parts=tuple(key.split("/")[1:])))
    return _ZoneIndex(by_lower=by_lower, entries=tuple(entries))


def parse_zone(name: str) -> ZoneInfo:
    """Return the :class:`ZoneInfo` for an IANA zone name typed by a learner.

    Case-insensitive, surrounding whitespace ignored, and a space may stand for ``_``
    (``"america/new york"`` gives ``America/New_York``). ``"UTC"`` is always accepted.

    Raises :class:`InvalidTimeZone` (a ``ValueError``) with a user-facing message for
    anything else: empty, unknown, too long, or containing characters no zone name has.
    zoneinfo itself raises ``ValueError``, ``ZoneInfoNotFoundError`` or worse for such
    input; here every case is one exception type.
    """
    if not isinstance(name, str):
        raise InvalidTimeZone("A time zone name must be text, like Europe/Paris.")
    text = name.strip()
    if not text:
        raise InvalidTimeZone("Give a time zone name, like Europe/Paris or America/New_York.")
    if len(text) > _MAX_ZONE_INPUT or not _ZONE_CHARS.fullmatch(text):
        raise InvalidTimeZone(
            "That is not a time zone name. Pick one from the list, like Europe/Paris."
        )
    canonical = _index().by_lower.get(_lookup_key(text))
    if canonical is None:
        raise InvalidTimeZone(
            f"Unknown time zone {text!r}. Pick one from the list, like Europe/Paris."
        )
    try:
        return ZoneInfo(canonical)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as error:
        # Listed but unreadable (a broken system zone file): still the user's answer
        # is "no such zone", not a crash.
        raise InvalidTimeZone(f"Time zone {canonical!r} is not available here.") from error


def search_zones(query: str, limit: int = MAX_AUTOCOMPLETE_CHOICES) -> list[str]:
    """Zone names matching ``query`` for autocomplete, best first, at most ``limit`` (≤ 25).

    Matching ignores case and treats space, ``-`` and ``_`` alike. Order:

    1. the exact name;
    2. names starting with the query (``"europe/l"`` → ``Europe/Lisbon``, ...);
    3. names with a later component starting with it (``"new york"`` →
       ``America/New_York``, ``"london"`` → ``Europe/London``);
    4. names containing it anywhere;

    and by canonical name within each group, so the list is stable as the user types.
    An empty query lists the first names alphabetically. Results are cached per query,
    since Discord calls this on every keystroke.
    """
    limit = max(0, min(limit, MAX_AUTOCOMPLETE_CHOICES))
    if limit == 0:
        return []
    return list(_search(_search_key(query[:_MAX_QUERY]))[:limit])


@lru_cache(maxsize=1024)
def _search(key: str) -> tuple[str, ...]:
    entries = _index().entries
    if not key:
        return tuple(entry.name for entry in entries[:MAX_AUTOCOMPLETE_CHOICES])
    # Entries are sorted by name, so appending in order keeps each bucket sorted.
    buckets: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
    for entry in entries:
        if key not in entry.key:
            continue  # the cheap test rejects almost every entry
        if entry.key == key:
            buckets[0].append(entry.name)
        elif entry.key.startswith(key):
            buckets[1].append(entry.name)
        elif any(part.startswith(key) for part in entry.parts):
            buckets[2].append(entry.name)
        else:
            buckets[3].append(entry.name)
    ranked = [name for bucket in buckets for name in bucket]
    return tuple(ranked[:MAX_AUTOCOMPLETE_CHOICES])


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date in ``zone`` at ``instant``. Naive datetimes raise ``ValueError``."""
    return require_aware(instant, "instant").astimezone(zone).date()


def parse_local_time(text: str) -> time:
    """Parse ``H:MM`` / ``HH:MM`` 24-hour input (``"7:05"``, ``"07:05"``, ``"19:30"``).

    Surrounding whitespace is ignored. ``"24:00"``, ``"12:60"``, ``"7pm"``, seconds,
    and empty or long input raise :class:`InvalidLocalTime`, whose message says which
    format to use. am/pm is deliberately not accepted: ``12:30 am`` is misread too
    often, and one format keeps the reminder hour unambiguous.
    """
    if not isinstance(text, str):
        raise InvalidLocalTime(LOCAL_TIME_FORMAT_HINT)
    stripped = text.strip()
    match = _LOCAL_TIME.fullmatch(stripped) if len(stripped) <= _MAX_TIME_INPUT else None
    if match is None:
        raise InvalidLocalTime(LOCAL_TIME_FORMAT_HINT)
    return time(int(match.group(1)), int(match.group(2)))
