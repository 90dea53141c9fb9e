"""Import decks from the files people already have, behind one function: ``import_deck``.

Formats, by file extension (SPEC "Server decks: upload and import"):

- ``.yaml``/``.yml``: the deck format itself, validated as ``python -m bot check`` does;
- ``.csv``, ``.tsv``: a header row naming the columns, then one card per row;
- ``.txt``: Anki's and Quizlet's plain-text exports (front, tab, back);
- ``.apkg``, ``.colpkg``: Anki packages, read from the collection's SQLite.

Every importer gives the same result (``ImportResult``): the deck, or every
problem as ``file:line: card id: what is wrong`` (an Anki note named by its note
id), and the cards counted by type and the media references dropped. A hostile
file costs little and gets one clear line: the input, what a zip unpacks to, the
card count and a CSV header's width are capped (``bot.decks.limits``).

Pure Python with no I/O besides a private temporary file for an Anki collection:
the Discord upload and the CLI (``python -m bot import``) both call it, off the
event loop for the former (it is CPU-bound).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.decks import limits
from bot.decks.importers._common import (
    Draft,
    ImportFailed,
    ImportResult,
    Problems,
    build_deck,
    deck_id_for,
    derived_card_id,
)
from bot.decks.importers.anki import read_package
from bot.decks.importers.output import deck_to_yaml, yaml_problem
from bot.decks.importers.tabular import COLUMNS, read_table, read_text_export
from bot.decks.loader import load_deck_bytes
from bot.decks.models import CardType, Deck
from bot.decks.problems import DeckProblem

FORMATS = {
    ".yaml": "deck YAML",
    ".yml": "deck YAML",
    ".csv": "CSV",
    ".tsv": "TSV",
    ".txt": "plain-text export",
    ".apkg": "Anki package",
    ".colpkg": "Anki collection package",
}
"""The extensions ``import_deck`` reads, and what each is."""

__all__ = [
    "COLUMNS",
    "FORMATS",
    "ImportResult",
    "deck_id_for",
    "deck_to_yaml",
    "derived_card_id",
    "import_deck",
]


def import_deck(filename: str, data: bytes) -> ImportResult:
    """Read ``data``, the content of a file named ``filename``, into a deck.

    Never raises for bad input: whatever is wrong is in ``problems`` (then
    ``deck`` is ``None``). Only the file's name is used in problems and ids.
    """
    path = Path(Path(filename).name or "deck")
    problems = Problems(path)
    try:
        deck, media = _read(path, data, problems)
    except ImportFailed as failure:
        return ImportResult(path.name, None, (failure.problem,))
    if deck is None:
        return ImportResult(path.name, None, problems.listed())
    text = deck_to_yaml(deck)
    too_big = yaml_problem(path, deck, text)
    if too_big is not None:
        return ImportResult(path.name, None, (too_big,))
    counted = Counter(card.type for card in deck.cards)
    counts = {kind: counted.get(kind.value, 0) for kind in CardType}
    return ImportResult(path.name, deck, (), counts, media, text)


def _read(path: Path, data: bytes, problems: Problems) -> tuple[Deck | None, int]:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(set(FORMATS)))
        raise ImportFailed(DeckProblem(path, 1, None, f"unknown file type; use one of {known}"))
    if len(data) > limits.IMPORT_BYTES_MAX:
        size = f"{len(data) / (1024 * 1024):.1f} MiB"
        message = f"the file is {size}; at most {limits.IMPORT_BYTES_MAX // (1024 * 1024)} MiB"
        raise ImportFailed(DeckProblem(path, 1, None, message))
    if suffix in (".yaml", ".yml"):
        loaded = load_deck_bytes(path, data)
        for problem in loaded.problems:
            problems.add(problem.line, problem.card_id, problem.message)
        return loaded.deck, 0
    media = 0
    title = path.stem
    drafts: list[Draft]
    if suffix in (".csv", ".tsv"):
        drafts = read_table(path, data, "," if suffix == ".csv" else "\t", problems)
    elif suffix == ".txt":
        drafts, media = read_text_export(path, data, problems)
    else:
        package = read_package(path, data)
        drafts, media = package.drafts, package.media_dropped
        title = package.name or title
    return build_deck(path, deck_id_for(path.name), title, drafts, problems), media
