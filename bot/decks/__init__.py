"""Decks: the YAML deck format, its validation, and the library of loaded decks.

Plain Python with no discord import, so every front end and test can use it.
"""

from bot.decks.check import run_check
from bot.decks.library import DeckLibrary, ReloadReport
from bot.decks.loader import DeckLoad, DeckSet, load_deck_file, load_decks
from bot.decks.models import (
    Card,
    CardType,
    Concept,
    ConceptRule,
    Deck,
    ExplainCard,
    FlashCard,
    Level,
    McqCard,
)
from bot.decks.problems import DeckProblem

__all__ = [
    "Card",
    "CardType",
    "Concept",
    "ConceptRule",
    "Deck",
    "DeckLibrary",
    "DeckLoad",
    "DeckProblem",
    "DeckSet",
    "ExplainCard",
    "FlashCard",
    "Level",
    "McqCard",
    "ReloadReport",
    "load_deck_file",
    "load_decks",
    "run_check",
]
