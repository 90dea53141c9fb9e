"""What every importer shares: the result type, problems, ids and building the deck.

Importers turn a file into *drafts*: one mapping per card in the deck format's
keys, with where it came from (a line, or an Anki note). ``build_deck`` validates
each draft with the deck models, so an imported deck obeys exactly the rules of
a YAML deck, and locates every problem at its draft.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bot.decks import limits
from bot.decks._errors import describe
from bot.decks.loader import PROBLEMS_SHOWN
from bot.decks.models import Card, CardType, Deck
from bot.decks.problems import DeckProblem, excerpt

_CARD: TypeAdapter[Card] = TypeAdapter(Card)
_NOT_ID = re.compile(r"[^a-z0-9]+")
ID_STEM_MAX = 40
"""Characters of a card's text kept in an id derived from it (before its hash)."""


class ImportFailed(Exception):
    """The file cannot be read at all; ``problem`` says why, in one line."""

    def __init__(self, problem: DeckProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class ImportResult:
    """The outcome of importing one file: a deck, or every problem found (and no deck)."""

    filename: str
    deck: Deck | None
    problems: tuple[DeckProblem, ...] = ()
    counts: Mapping[CardType, int] = field(default_factory=dict)
    """Cards of the deck by type (empty without a deck)."""
    media_dropped: int = 0
    """Images and sounds referenced by the file that the deck leaves out."""
    yaml: str = ""
    """The deck in the deck format (``content/*.yaml``); empty without a deck."""

    @property
    def ok(self) -> bool:
        """True when the file gave a deck."""
        return self.deck is not None

    def summary(self) -> str:
        """One line for a reply: the deck id and its cards by type, media dropped."""
        if self.deck is None:
            return f"{self.filename}: not imported"
        kinds = ", ".join(
            f"{count} {kind.value}{'s' if count != 1 else ''}"
            for kind, count in self.counts.items()
            if count
        )
        media = ""
        if self.media_dropped:
            plural = "s" if self.media_dropped != 1 else ""
            media = f"; {self.media_dropped} media reference{plural} dropped"
        return f"{self.deck.id}: {kinds}{media}"


@dataclass
class Draft:
    """One card as read from the file, before validation."""

    data: dict[str, Any]
    line: int = 1
    anchor: str | None = None
    derived_id: bool = False
    """The id was made from the card's text (no id column)."""
    problem: str | None = None
    """What makes this card unusable before validation (a note of a missing note type)."""


class Problems:
    """The problems of one file: the first ``PROBLEMS_SHOWN`` in full, then a count."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._shown: list[DeckProblem] = []
        self._hidden = 0

    def __bool__(self) -> bool:
        return bool(self._shown) or self._hidden > 0

    def add(self, line: int, card_id: str | None, message: str, anchor: str | None = None) -> None:
        """Record one problem (only counted past the cap)."""
        if len(self._shown) >= PROBLEMS_SHOWN:
            self._hidden += 1
        else:
            self._shown.append(DeckProblem(self.path, line, card_id, message, anchor=anchor))

    def listed(self) -> tuple[DeckProblem, ...]:
        """The problems in file order, with an "N more problems" line past the cap."""
        shown = sorted(self._shown, key=lambda problem: (problem.line, problem.anchor or ""))
        if self._hidden:
            more = f"{self._hidden} more problem{'s' if self._hidden != 1 else ''}"
            last = shown[-1]
            shown.append(DeckProblem(self.path, last.line, None, more, self._hidden, last.anchor))
        return tuple(shown)


def slug(text: str, limit: int = limits.ID_MAX) -> str:
    """``text`` as an id: ASCII lower case, every run of other characters one ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ID.sub("-", ascii_text.lower()).strip("-")[:limit].strip("-")


def deck_id_for(filename: str) -> str:
    """The deck id of a non-YAML upload: its file name without extension, as a slug.

    A name with no ASCII letter or digit at all (``日本語.csv``) gives ``deck``.
    """
    return slug(Path(filename).stem) or "deck"


def derived_card_id(text: str) -> str:
    """A card id made from the card's main text, the same on every import.

    The readable start of the text, then 8 hex digits of its hash, so that two
    cards whose texts start alike still differ.
    """
    digest = hashlib.sha1(text.strip().encode(), usedforsecurity=False).hexdigest()[:8]
    stem = slug(text, ID_STEM_MAX)
    return f"{stem}-{digest}" if stem else f"card-{digest}"


def build_deck(
    path: Path,
    deck_id: str,
    title: str,
    drafts: Sequence[Draft],
    problems: Problems,
) -> Deck | None:
    """Validate every draft into a card and the cards into a deck.

    Every problem is added to ``problems`` at its draft's place; the deck is
    returned only when there are none (including those found before).
    """
    cards: list[Card] = []
    first: dict[str, Draft] = {}
    for draft in drafts:
        card_id = draft.data.get("id")
        shown_id = excerpt(card_id, limits.ID_MAX) if isinstance(card_id, str) else None
        if draft.problem is not None:
            problems.add(draft.line, shown_id, draft.problem, draft.anchor)
            continue
        try:
            cards.append(_CARD.validate_python(draft.data))
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                # As if the card were the first of a deck file, so that the
                # messages are those of ``python -m bot check``.
                detail["loc"] = ("cards", 0, *detail["loc"])
                located = describe(detail)
                if located is not None:
                    problems.add(draft.line, shown_id, located.message, draft.anchor)
        if isinstance(card_id, str):
            if card_id in first:
                earlier = first[card_id]
                where = earlier.anchor or f"line {earlier.line}"
                message = f"duplicate card id '{excerpt(card_id)}' (first at {where})"
                if draft.derived_id:
                    message += "; the same text twice? give the cards an id column"
                problems.add(draft.line, shown_id, message, draft.anchor)
            else:
                first[card_id] = draft
    if not drafts and not problems:
        problems.add(1, None, "the file has no cards")
    if problems:
        return None
    try:
        return Deck(id=deck_id, title=title[: limits.DECK_TITLE_MAX], cards=tuple(cards))
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            located = describe(detail)
            if located is not None:
                problems.add(1, None, located.message)
        return None


def too_many_cards(count: int | None = None) -> str:
    """The message for a file with ``count`` cards (``None``: more than a deck may have)."""
    if count is None:
        return f"the file has more than {limits.CARDS_MAX:,} cards, the most a deck may have"
    return f"the file has {count:,} cards; at most {limits.CARDS_MAX:,} are allowed"
