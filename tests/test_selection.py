"""Which cards a session shows, and in what order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.scheduling import CardMemory
from bot.core.selection import Candidate, choose_cards
from bot.core.session import QueueItem
from bot.decks import Deck, DeckLibrary
from tests.conftest import SHIPPED_DECK, START


@pytest.fixture
def deck(library: DeckLibrary) -> Deck:
    found = library.get(SHIPPED_DECK)
    assert found is not None
    return found


@pytest.fixture
def candidates(deck: Deck) -> list[Candidate]:
    return [Candidate(deck.id, card) for card in deck.cards]


def _memory(due_in: timedelta) -> CardMemory:
    return CardMemory(
        state=2,
        step=None,
        stability=4.0,
        difficulty=5.0,
        due=START + due_in,
        last_review=START - timedelta(days=4),
        reps=3,
    )


def _ids(queue: list[QueueItem]) -> list[str]:
    return [item.card_id for item in queue]


def test_new_cards_come_in_deck_order(deck: Deck, candidates: list[Candidate]) -> None:
    queue = choose_cards(candidates, {}, START, count=4)
    assert _ids(queue) == [card.id for card in deck.cards[:4]]
    assert {item.deck_id for item in queue} == {deck.id}


def test_due_first_most_overdue_first_then_new_then_not_yet_due(
    deck: Deck, candidates: list[Candidate]
) -> None:
    ids = [card.id for card in deck.cards]
    memories = {
        (deck.id, ids[5]): _memory(timedelta(hours=-1)),  # due an hour ago
        (deck.id, ids[2]): _memory(timedelta(days=-3)),  # most overdue
        (deck.id, ids[7]): _memory(timedelta(0)),  # due exactly now
        (deck.id, ids[0]): _memory(timedelta(days=9)),  # not yet due, later
        (deck.id, ids[1]): _memory(timedelta(days=2)),  # not yet due, sooner
    }
    queue = _ids(choose_cards(candidates, memories, START, count=len(ids)))
    new = [i for i in ids if (deck.id, i) not in memories]
    assert queue == [ids[2], ids[5], ids[7], *new, ids[1], ids[0]]


def test_count_is_respected(deck: Deck, candidates: list[Candidate]) -> None:
    memories = {(deck.id, card.id): _memory(timedelta(days=-1)) for card in deck.cards[:3]}
    assert len(choose_cards(candidates, memories, START, count=2)) == 2
    assert _ids(choose_cards(candidates, memories, START, count=1)) == [deck.cards[0].id]
    everything = choose_cards(candidates, memories, START, count=500)
    assert len(everything) == len(deck.cards)
    assert len(set(everything)) == len(everything)


def test_interleave_alternates_card_types(candidates: list[Candidate]) -> None:
    plain = choose_cards(candidates, {}, START, count=6)
    mixed = choose_cards(candidates, {}, START, count=6, interleave_types=True)
    types = {c.card.id: c.card.type for c in candidates}
    assert [types[i] for i in _ids(plain)] == ["flashcard"] * 5 + ["mcq"]
    assert [types[i] for i in _ids(mixed)] == ["flashcard", "mcq", "explain"] * 2
    # Within a type, deck order is kept.
    everything = _ids(choose_cards(candidates, {}, START, 12, interleave_types=True))
    assert [i for i in everything if types[i] == "flashcard"] == [
        c.card.id for c in candidates if c.card.type == "flashcard"
    ]


def test_interleave_keeps_due_cards_first(deck: Deck, candidates: list[Candidate]) -> None:
    last = deck.cards[-1].id
    memories = {(deck.id, last): _memory(timedelta(minutes=-5))}
    queue = _ids(choose_cards(candidates, memories, START, count=3, interleave_types=True))
    assert queue[0] == last


def test_no_candidates_gives_an_empty_queue() -> None:
    assert choose_cards([], {}, START, count=10) == []
