"""Which cards a session shows, and in what order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, zip_longest

from bot.core.due import is_due
from bot.core.scheduling import CardMemory
from bot.core.session import QueueItem
from bot.decks import Card

CardKey = tuple[str, str]
"""(deck id, card id): how a card's memory is keyed."""


@dataclass(frozen=True)
class Candidate:
    """A card that may go into a session, with its deck."""

    deck_id: str
    card: Card

    @property
    def key(self) -> CardKey:
        """The (deck id, card id) key the card's memory is stored under."""
        return (self.deck_id, self.card.id)


def choose_cards(
    candidates: Sequence[Candidate],
    memories: Mapping[CardKey, CardMemory],
    now: datetime,
    count: int,
    *,
    interleave_types: bool = False,
) -> list[QueueItem]:
    """Pick ``count`` cards: due ones first (most overdue first), then new ones, then
    the ones studied before and not yet due (cramming, earliest due first).

    With ``interleave_types`` new cards alternate between card types, so a mixed
    session does not show all the flashcards before the first question.
    """
    due: list[Candidate] = []
    new: list[Candidate] = []
    later: list[Candidate] = []
    for candidate in candidates:
        memory = memories.get(candidate.key)
        if memory is None:
            new.append(candidate)
        elif is_due(memory.due, now):
            due.append(candidate)
        else:
            later.append(candidate)
    due.sort(key=lambda c: memories[c.key].due)
    later.sort(key=lambda c: memories[c.key].due)
    if interleave_types:
        new = _round_robin_by_type(new)
    chosen = chain(due, new, later)
    return [QueueItem(c.deck_id, c.card.id) for _, c in zip(range(count), chosen, strict=False)]


def _round_robin_by_type(cards: list[Candidate]) -> list[Candidate]:
    by_type: dict[str, list[Candidate]] = {}
    for candidate in cards:
        by_type.setdefault(candidate.card.type, []).append(candidate)
    rounds = zip_longest(*by_type.values())
    return [c for round_ in rounds for c in round_ if c is not None]
