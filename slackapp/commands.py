"""The ``/quiz`` command's text: a subcommand, then ``key:value`` options in any order.

``/quiz start deck:django-wsgi-asgi kind:flashcard count:5 level:beginner`` parses
to ``Start(deck="django-wsgi-asgi", kind=FLASHCARD, count=5, level="beginner")``. A
value with spaces is quoted (``deck:"WSGI vs ASGI in Django"``, Slack's curly quotes
too). The manifest sets ``should_escape: true``, so Slack sends ``&``, ``<`` and
``>`` as entities and a channel picked with ``#`` as ``<#C0123|general>``: values
are unescaped here, and ``channel:`` takes such a link.

:func:`parse` never raises: a mistake is a :class:`Usage` (what is wrong, and the
usage line of the subcommand), which the app answers privately. Recall's own words
here contain no ``&``, ``<`` or ``>``, so a reply can be escaped whole; the user's
text quoted back is cut short.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Final

from bot.core.session import MAX_COUNT, SessionKind

TEXT_MAX: Final = 1000
"""Longer command text is refused unread (Slack allows 4,000 characters)."""
QUOTE_BACK_MAX: Final = 40
"""How much of a user's word an error repeats."""
KINDS: Final = ("flashcard", "mcq", "explain", "mixed")
LEVELS: Final = ("beginner", "intermediate", "advanced")
PERIODS: Final = ("week", "month", "all")
METRICS: Final = ("xp", "streak", "accuracy")
DEFAULT_COUNT: Final = 10
_QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“"}
_CHANNEL = re.compile(r"<#(?P<id>[CG][A-Z0-9]{1,20})(?:\|(?P<name>[^>]{0,80}))?>")
_KEY = re.compile(r"[a-z][a-z-]{0,19}")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


# -- the commands ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Start:
    """``/quiz start``: a personal session."""

    deck: str | None = None
    kind: SessionKind = SessionKind.MIXED
    count: int = DEFAULT_COUNT
    level: str | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """``/quiz review``: a session of the learner's due cards."""


@dataclass(frozen=True, slots=True)
class Decks:
    """``/quiz decks``: decks with counts and the learner's progress."""


@dataclass(frozen=True, slots=True)
class Stats:
    """``/quiz stats``: the learner's own stats."""


@dataclass(frozen=True, slots=True)
class TimeZone:
    """``/quiz timezone zone:Europe/Paris``."""

    zone: str


@dataclass(frozen=True, slots=True)
class RemindAt:
    """``/quiz remind time:19:30`` (``HH:MM``, checked by the reminder service)."""

    time: str


@dataclass(frozen=True, slots=True)
class RemindOff:
    """``/quiz remind off``."""


@dataclass(frozen=True, slots=True)
class ForgetMe:
    """``/quiz forget-me``: asks for confirmation first."""


@dataclass(frozen=True, slots=True)
class Help:
    """``/quiz help`` (and ``/quiz`` alone)."""


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """``/quiz leaderboard period:week metric:xp deck:… public:true`` (admins)."""

    period: str = "week"
    metric: str = "xp"
    deck: str | None = None
    public: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    """``/quiz progress deck:…`` (admins): the class view."""

    deck: str | None = None


@dataclass(frozen=True, slots=True)
class Export:
    """``/quiz export`` (admins): every learner's results as a CSV file."""


@dataclass(frozen=True, slots=True)
class DailySet:
    """``/quiz daily channel:#general time:09:00 zone:UTC deck:…`` (admins).

    ``channel`` is Slack's channel id from the ``<#C…|name>`` link; ``time`` and
    ``zone`` are checked by the daily-question service.
    """

    channel: str
    channel_name: str | None
    time: str
    zone: str
    deck: str | None = None


@dataclass(frozen=True, slots=True)
class DailyOff:
    """``/quiz daily off`` (admins)."""


LearnerCommand = Start | Review | Decks | Stats | TimeZone | RemindAt | RemindOff | ForgetMe | Help
AdminCommand = Leaderboard | Progress | Export | DailySet | DailyOff
Command = LearnerCommand | AdminCommand
ADMIN_COMMANDS: Final = (Leaderboard, Progress, Export, DailySet, DailyOff)


def is_admin_command(command: Command) -> bool:
    """True for the commands of workspace admins and owners only."""
    return isinstance(command, ADMIN_COMMANDS)


# -- usage ----------------------------------------------------------------------------

USAGE: Final[dict[str, str]] = {
    "start": "/quiz start deck:DECK kind:flashcard|mcq|explain|mixed count:1-50 "
    "level:beginner|intermediate|advanced (all optional)",
    "review": "/quiz review",
    "decks": "/quiz decks",
    "stats": "/quiz stats",
    "timezone": "/quiz timezone zone:Europe/Paris",
    "remind": "/quiz remind time:19:30 or /quiz remind off",
    "forget-me": "/quiz forget-me",
    "help": "/quiz help",
    "leaderboard": "/quiz leaderboard period:week|month|all metric:xp|streak|accuracy "
    "deck:DECK public:true|false (all optional)",
    "progress": "/quiz progress deck:DECK (optional)",
    "export": "/quiz export",
    "daily": "/quiz daily channel:#general time:09:00 zone:UTC deck:DECK (deck optional) "
    "or /quiz daily off",
}
LEARNER_SUBCOMMANDS: Final = (
    "start",
    "review",
    "decks",
    "stats",
    "timezone",
    "remind",
    "forget-me",
    "help",
)
ADMIN_SUBCOMMANDS: Final = ("leaderboard", "progress", "export", "daily")


@dataclass(frozen=True, slots=True)
class Usage:
    """A command that could not be parsed: what is wrong, and how it is written."""

    problem: str
    usage: str

    @property
    def text(self) -> str:
        """The private reply (plain words; escape it as a whole before sending)."""
        return f"{self.problem}\nUsage: {self.usage}"


def general_usage() -> str:
    """Every subcommand, one a line."""
    return "\n".join(USAGE[name] for name in LEARNER_SUBCOMMANDS + ADMIN_SUBCOMMANDS)


# -- parsing --------------------------------------------------------------------------


class _Mistake(Exception):
    """A parse problem; :func:`parse` turns it into a :class:`Usage`."""

    def __init__(self, problem: str, subcommand: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.subcommand = subcommand


def _quote(text: str) -> str:
    text = _unescape(text)
    cut = text if len(text) <= QUOTE_BACK_MAX else text[: QUOTE_BACK_MAX - 1] + "…"
    return f"'{cut}'"


def tokenize(text: str) -> list[str]:
    """Words separated by white space; a quoted part (straight or curly double quotes)
    may hold spaces, and its quotes are dropped. Raises ``_Mistake`` on an open quote."""
    tokens: list[str] = []
    current: list[str] = []
    closing: str | None = None
    started = False
    for char in text:
        if closing is not None:
            if char == closing or (closing == "”" and char == '"'):
                closing = None
            else:
                current.append(char)
        elif char in _QUOTES:
            closing = _QUOTES[char]
            started = True
        elif char.isspace():
            if current or started:
                tokens.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
    if closing is not None:
        raise _Mistake("A quote is not closed.")
    if current or started:
        tokens.append("".join(current))
    return tokens


def _options(subcommand: str, words: list[str], allowed: tuple[str, ...]) -> dict[str, str]:
    """``key:value`` words as a dict: every key known, none twice, no value empty."""
    found: dict[str, str] = {}
    for word in words:
        key, colon, value = word.partition(":")
        key = key.strip().lower()
        if not colon:
            raise _Mistake(
                f"{_quote(word)} is not an option: options are written key:value.", subcommand
            )
        if not _KEY.fullmatch(key) or key not in allowed:
            known = ", ".join(allowed) if allowed else "none"
            raise _Mistake(
                f"{_quote(key)} is not an option of {subcommand} (its options: {known}).",
                subcommand,
            )
        if key in found:
            raise _Mistake(f"The option {key} is given twice.", subcommand)
        if not value.strip():
            raise _Mistake(f"The option {key} has no value.", subcommand)
        found[key] = value.strip()
    return found


def _unescape(value: str) -> str:
    """A value as the user typed it (Slack sent ``&``, ``<``, ``>`` as entities)."""
    return html.unescape(value) if "&" in value else value


def _choice(subcommand: str, key: str, value: str, allowed: tuple[str, ...]) -> str:
    folded = value.lower()
    if folded not in allowed:
        raise _Mistake(
            f"{key} must be one of {', '.join(allowed)}, not {_quote(value)}.", subcommand
        )
    return folded


def _count(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_COUNT:
        raise _Mistake(f"count must be a whole number from 1 to {MAX_COUNT}.", "start")
    return int(value)


def _flag(subcommand: str, key: str, value: str) -> bool:
    folded = value.lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise _Mistake(f"{key} must be true or false, not {_quote(value)}.", subcommand)


def _channel(value: str) -> tuple[str, str | None]:
    match = _CHANNEL.fullmatch(value)
    if match is None:
        raise _Mistake(
            "Pick the channel with # so that Slack links it (channel:#general), "
            f"not {_quote(value)}.",
            "daily",
        )
    return match["id"], match["name"] or None


def _parse(text: str) -> Command:
    if len(text) > TEXT_MAX:
        raise _Mistake(f"That command is too long (more than {TEXT_MAX} characters).")
    words = tokenize(text)
    if not words:
        return Help()
    name, rest = words[0].lower(), words[1:]
    if name == "start":
        options = _options(name, rest, ("deck", "kind", "count", "level"))
        return Start(
            deck=_unescape(options["deck"]) if "deck" in options else None,
            kind=SessionKind(_choice(name, "kind", options.get("kind", "mixed"), KINDS)),
            count=_count(options["count"]) if "count" in options else DEFAULT_COUNT,
            level=_choice(name, "level", options["level"], LEVELS) if "level" in options else None,
        )
    if name in ("review", "decks", "stats", "help", "forget-me", "export"):
        _options(name, rest, ())
        simple: dict[str, Command] = {
            "review": Review(),
            "decks": Decks(),
            "stats": Stats(),
            "help": Help(),
            "forget-me": ForgetMe(),
            "export": Export(),
        }
        return simple[name]
    if name == "timezone":
        options = _options(name, rest, ("zone",))
        if "zone" not in options:
            raise _Mistake("Say which time zone, e.g. zone:Europe/Paris.", name)
        return TimeZone(_unescape(options["zone"]))
    if name == "remind":
        if rest and rest[0].lower() == "off":
            _options(name, rest[1:], ())
            return RemindOff()
        if rest and rest[0].lower() == "set":  # Discord's name for it, accepted too
            rest = rest[1:]
        options = _options(name, rest, ("time",))
        if "time" not in options:
            raise _Mistake("Say when, e.g. time:19:30, or off.", name)
        return RemindAt(_unescape(options["time"]))
    if name == "leaderboard":
        options = _options(name, rest, ("period", "metric", "deck", "public"))
        return Leaderboard(
            period=_choice(name, "period", options.get("period", "week"), PERIODS),
            metric=_choice(name, "metric", options.get("metric", "xp"), METRICS),
            deck=_unescape(options["deck"]) if "deck" in options else None,
            public=_flag(name, "public", options["public"]) if "public" in options else False,
        )
    if name == "progress":
        options = _options(name, rest, ("deck",))
        return Progress(deck=_unescape(options["deck"]) if "deck" in options else None)
    if name == "daily":
        if rest and rest[0].lower() == "off":
            _options(name, rest[1:], ())
            return DailyOff()
        if rest and rest[0].lower() == "set":
            rest = rest[1:]
        options = _options(name, rest, ("channel", "time", "zone", "deck"))
        missing = [key for key in ("channel", "time", "zone") if key not in options]
        if missing:
            raise _Mistake(f"Missing: {', '.join(missing)}.", name)
        channel, channel_name = _channel(options["channel"])
        return DailySet(
            channel=channel,
            channel_name=channel_name,
            time=_unescape(options["time"]),
            zone=_unescape(options["zone"]),
            deck=_unescape(options["deck"]) if "deck" in options else None,
        )
    raise _Mistake(f"{_quote(words[0])} is not a /quiz command.")


def parse(text: str) -> Command | Usage:
    """The command in ``/quiz``'s text (as Slack sends it, escaped), or what is wrong."""
    try:
        return _parse(text)
    except _Mistake as mistake:
        usage = USAGE[mistake.subcommand] if mistake.subcommand else general_usage()
        return Usage(mistake.problem, usage)


__all__ = [
    "ADMIN_SUBCOMMANDS",
    "LEARNER_SUBCOMMANDS",
    "USAGE",
    "AdminCommand",
    "Command",
    "DailyOff",
    "DailySet",
    "Decks",
    "Export",
    "ForgetMe",
    "Help",
    "Leaderboard",
    "LearnerCommand",
    "Progress",
    "RemindAt",
    "RemindOff",
    "Review",
    "Start",
    "Stats",
    "TimeZone",
    "Usage",
    "general_usage",
    "is_admin_command",
    "parse",
    "tokenize",
]
