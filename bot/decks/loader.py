"""Read deck files into ``Deck`` models, reporting every problem with its file, line and card.

A deck with any problem is not loaded, and a broken file never stops the other
files in the folder from loading (SPEC: a broken deck never stops the bot).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from bot.decks import limits
from bot.decks._errors import describe
from bot.decks._yaml import Document, Loc, YamlError, duplicate_keys, line_of, parse
from bot.decks.models import Deck
from bot.decks.problems import DeckProblem

DECK_SUFFIXES = (".yaml", ".yml")
PROBLEMS_SHOWN = 100
"""At most this many problems are reported per file, then a count of the rest."""


@dataclass(frozen=True)
class DeckLoad:
    """The result of reading one deck file: the deck, or ``None`` when there are problems."""

    path: Path
    deck: Deck | None
    problems: tuple[DeckProblem, ...] = ()
    id_line: int = 1
    """The line of the deck's ``id`` key, to point at when another file reuses the id."""


@dataclass(frozen=True)
class DeckSet:
    """The result of reading a folder of deck files."""

    decks: Mapping[str, Deck]
    """The decks that loaded, by deck id."""
    problems: tuple[DeckProblem, ...]
    sources: Mapping[str, Path] = field(default_factory=dict)
    """The file each loaded deck came from, by deck id."""
    files: tuple[Path, ...] = ()
    """Every deck file read, in the order read."""
    rejected: frozenset[Path] = frozenset()
    """Files that were read but gave no deck (broken, or a deck id already taken)."""


def load_deck_file(path: Path) -> DeckLoad:
    """Read and validate one deck file. Never raises for a bad file: problems are returned."""
    try:
        text = _read_text(path)
        document = parse(text)
    except YamlError as error:
        return DeckLoad(path, None, (DeckProblem(path, error.line, None, error.message),))
    return _validate(path, document)


def load_decks(directory: Path) -> DeckSet:
    """Read every ``*.yaml`` and ``*.yml`` file in ``directory`` (not sub-folders), by name.

    When two files declare the same deck id, the first file in name order wins
    and the other is reported.
    """
    try:
        files = sorted(
            path
            for path in directory.iterdir()
            # Dot files are editor swap and lock files (".#deck.yaml"), not decks.
            if path.suffix in DECK_SUFFIXES and not path.name.startswith(".") and path.is_file()
        )
    except FileNotFoundError:
        return DeckSet({}, (DeckProblem(directory, 1, None, "deck folder not found"),))
    except NotADirectoryError:
        return DeckSet({}, (DeckProblem(directory, 1, None, "not a folder"),))
    except OSError as error:
        return DeckSet({}, (DeckProblem(directory, 1, None, f"cannot read: {error.strerror}"),))

    decks: dict[str, Deck] = {}
    sources: dict[str, Path] = {}
    problems: list[DeckProblem] = []
    rejected: set[Path] = set()
    for path in files:
        result = load_deck_file(path)
        problems.extend(result.problems)
        if result.deck is None:
            rejected.add(path)
        elif result.deck.id in decks:
            rejected.add(path)
            message = f"deck id '{result.deck.id}' is already used by {sources[result.deck.id]}"
            problems.append(DeckProblem(path, result.id_line, None, message))
        else:
            decks[result.deck.id] = result.deck
            sources[result.deck.id] = path
    if not files:
        problems.append(DeckProblem(directory, 1, None, "no deck files (*.yaml, *.yml) here"))
    return DeckSet(decks, tuple(problems), sources, tuple(files), frozenset(rejected))


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            # Read one byte past the cap rather than trusting stat(): the file may grow.
            raw = stream.read(limits.FILE_BYTES_MAX + 1)
    except OSError as error:
        raise YamlError(1, f"cannot read the file: {error.strerror}") from None
    if len(raw) > limits.FILE_BYTES_MAX:
        raise YamlError(1, f"file is larger than {limits.FILE_BYTES_MAX // (1024 * 1024)} MiB")
    try:
        return raw.decode("utf-8-sig")  # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise YamlError(line, f"not UTF-8 text (byte 0x{raw[error.start]:02x})") from None


def _validate(path: Path, document: Document) -> DeckLoad:
    root, data = document.root, document.data
    if not isinstance(data, dict):
        what = "the file is empty" if data is None else "the file is not a mapping"
        message = f"{what}; a deck needs at least id, title and cards"
        return DeckLoad(path, None, (DeckProblem(path, line_of(root, ()), None, message),))

    problems: list[DeckProblem] = []
    cards = data.get("cards")
    if isinstance(cards, list) and len(cards) > limits.CARDS_MAX:
        # Validating thousands of cards only to reject the deck is slow: stop here.
        message = f"the deck has {len(cards)} cards; at most {limits.CARDS_MAX} are allowed"
        problem = DeckProblem(path, line_of(root, ("cards",)), None, message)
        return DeckLoad(path, None, (problem,), line_of(root, ("id",)))

    def report(loc: Loc, message: str, *, at_key: bool = False) -> None:
        line = line_of(root, loc, at_key=at_key)
        problems.append(DeckProblem(path, line, _card_id(data, loc), message))

    for duplicate in duplicate_keys(root):
        message = (
            f"key '{duplicate.loc[-1]}' is repeated (first at line {duplicate.first_line}); "
            "YAML would keep only the last value"
        )
        problems.append(DeckProblem(path, duplicate.line, _card_id(data, duplicate.loc), message))

    for index, first_index in _duplicate_card_ids(data):
        first_line = line_of(root, ("cards", first_index, "id"))
        card_id = _card_id(data, ("cards", index))
        message = f"duplicate card id '{card_id}' (first at line {first_line})"
        report(("cards", index, "id"), message)

    deck: Deck | None = None
    try:
        deck = Deck.model_validate(data)
    except ValidationError as error:
        for detail in error.errors():
            located = describe(detail)
            if located is not None:
                report(located.loc, located.message, at_key=located.at_key)

    problems.sort(key=lambda problem: (problem.line, problem.message))
    if len(problems) > PROBLEMS_SHOWN:
        # One broken file must not flood the log or the terminal.
        hidden = len(problems) - PROBLEMS_SHOWN
        del problems[PROBLEMS_SHOWN:]
        problems.append(DeckProblem(path, problems[-1].line, None, f"{hidden} more problems"))
    return DeckLoad(path, None if problems else deck, tuple(problems), line_of(root, ("id",)))


def _card_id(data: dict[object, object], loc: Loc) -> str | None:
    """The id written on the card that ``loc`` points into, if it has a text id."""
    if len(loc) < 2 or loc[0] != "cards" or not isinstance(loc[1], int):
        return None
    cards = data.get("cards")
    if not isinstance(cards, list) or not 0 <= loc[1] < len(cards):
        return None
    card = cards[loc[1]]
    card_id = card.get("id") if isinstance(card, dict) else None
    return card_id if isinstance(card_id, str) and card_id.strip() else None


def _duplicate_card_ids(data: dict[object, object]) -> list[tuple[int, int]]:
    """(index, index of first use) for every card whose id an earlier card already has."""
    cards = data.get("cards")
    if not isinstance(cards, list):
        return []
    first: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []
    for index, card in enumerate(cards):
        card_id = card.get("id") if isinstance(card, dict) else None
        if not isinstance(card_id, str):
            continue
        if card_id in first:
            repeats.append((index, first[card_id]))
        else:
            first[card_id] = index
    return repeats
