"""What the two front ends' button ids share: the bound on an id, Start new's spec and
the leaderboard's paging.

Discord's ``custom_id`` and Slack's ``action_id`` come back as the client sent them, so
they can be forged. Both front ends' templates only match what Recall could have made:
an id is 1 to 19 digits (a snowflake or an SQLite row id), and :func:`parse_id` then
refuses a 19-digit number above SQLite's largest integer, which would otherwise
overflow deep in a query. A Start new button carries what to start as a
:class:`StartSpec`, in the same short text on both platforms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.core.leaderboard import Metric, Period
from bot.core.session import MAX_COUNT, SessionKind

ID_PATTERN: Final = r"[0-9]{1,19}"
"""A snowflake or a row id in a template: 2^63 − 1 has 19 digits."""
MAX_ID: Final = 2**63 - 1
"""The largest id SQLite stores (and the largest snowflake)."""

_KINDS: Final = {"f": "flashcard", "m": "mcq", "e": "explain", "x": "mixed"}
_LEVELS: Final[dict[str, str | None]] = {
    "b": "beginner",
    "i": "intermediate",
    "a": "advanced",
    "x": None,
}
SPEC_PATTERN: Final = rf"r|[ma]{ID_PATTERN}|s[fmex][0-9]{{2}}[biax][a-z0-9-]{{0,64}}"
"""What a Start new button starts: ``r`` review; ``m<sid>`` the missed cards of session
sid; ``a<sid>`` another like it; ``s`` + kind letter + two-digit count + level letter +
deck id (empty: all decks)."""

PERIOD_CODES: Final = {Period.WEEK: "w", Period.MONTH: "m", Period.ALL: "a"}
METRIC_CODES: Final = {Metric.XP: "x", Metric.STREAK: "s", Metric.ACCURACY: "a"}
PAGE_PATTERN: Final = (
    r"recall:lb:(?P<period>[wma]):(?P<metric>[xsa]):(?P<deck>[a-z0-9-]{0,64})"
    r":(?P<page>[0-9]{1,6}):(?P<dir>[pn])(?::(?P<shared>s))?"
)
"""A leaderboard's Previous or Next: period and metric codes, the deck id (empty: all
decks), the page, the direction, and ``:s`` on a page of a public board."""


def parse_id(text: str) -> int | None:
    """The id matched by :data:`ID_PATTERN`, or None when it is out of range."""
    value = int(text)
    return value if value <= MAX_ID else None


@dataclass(frozen=True, slots=True)
class StartSpec:
    """What a learner asked to start, as a Start new button carries it."""

    what: str
    """``start``, ``review``, ``missed`` or ``another``."""
    kind: SessionKind = SessionKind.MIXED
    count: int = 10
    level: str | None = None
    deck_id: str | None = None
    origin: int | None = None
    """The session whose missed cards (or options) to use (``missed``, ``another``)."""

    def encode(self) -> str:
        """The spec part of a Start new button's id."""
        if self.what == "review":
            return "r"
        if self.what in ("missed", "another"):
            return f"{self.what[0]}{self.origin}"
        kind = next(k for k, v in _KINDS.items() if v == str(self.kind))
        level = next(k for k, v in _LEVELS.items() if v == self.level)
        return f"s{kind}{self.count:02d}{level}{self.deck_id or ''}"

    @classmethod
    def decode(cls, text: str) -> StartSpec | None:
        """The spec matched by :data:`SPEC_PATTERN`; None when out of range."""
        if text == "r":
            return cls("review")
        if text[0] in "ma":
            origin = parse_id(text[1:])
            if origin is None:
                return None
            return cls("missed" if text[0] == "m" else "another", origin=origin)
        count = int(text[2:4])
        if not 1 <= count <= MAX_COUNT:
            return None
        return cls(
            "start",
            kind=SessionKind(_KINDS[text[1]]),
            count=count,
            level=_LEVELS[text[4]],
            deck_id=text[5:] or None,
        )
