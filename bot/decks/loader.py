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
from bot.decks._yaml import Document, LineIndex, Loc, YamlError, duplicate_keys, parse
from bot.decks.models import Deck
from bot.decks.problems import DeckProblem, excerpt

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
        raw = _read_bytes(path)
    except YamlError as error:
        return DeckLoad(path, None, (DeckProblem(path, error.line, None, error.message),))
    return load_deck_bytes(path, raw)


def load_deck_bytes(path: Path, raw: bytes) -> DeckLoad:
    """Validate a deck file's content, ``raw``, as if read from ``path``.

    For decks that arrive as bytes (an upload, an import): the same caps, checks
    and ``file:line`` problems as ``load_deck_file``. Never raises for bad input.
    """
    try:
        document = parse(_decode(raw))
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
        if _leads_outside(path, directory):
            # A link out of the folder could make Recall read, and quote in its
            # problems, any file the host can read (a .env, a key).
            rejected.add(path)
            message = "a link to a file outside the deck folder; not read"
            problems.append(DeckProblem(path, 1, None, message))
            continue
        result = load_deck_file(path)
        problems.extend(result.problems)
        if result.deck is None:
            rejected.add(path)
        elif result.deck.id in decks:
            rejected.add(path)
            # The file's name, not its path: problems reach replies in Discord.
            first = sources[result.deck.id].name
            message = f"deck id '{result.deck.id}' is already used by {first}"
            problems.append(DeckProblem(path, result.id_line, None, message))
        else:
            decks[result.deck.id] = result.deck
            sources[result.deck.id] = path
    if not files:
        problems.append(DeckProblem(directory, 1, None, "no deck files (*.yaml, *.yml) here"))
    return DeckSet(decks, tuple(problems), sources, tuple(files), frozenset(rejected))


def _leads_outside(path: Path, directory: Path) -> bool:
    """True when ``path`` is a symbolic link whose target is not inside ``directory``."""
    if not path.is_symlink():
        return False
    try:
        return not path.resolve(strict=True).is_relative_to(directory.resolve(strict=True))
    except (OSError, RuntimeError):  # a dangling or looping link
        return True


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            # Read one byte past the cap rather than trusting stat(): the file may grow.
            return stream.read(limits.FILE_BYTES_MAX + 1)
    except OSError as error:
        raise YamlError(1, f"cannot read the file: {error.strerror}") from None


def _decode(raw: bytes) -> str:
    if len(raw) > limits.FILE_BYTES_MAX:
        raise YamlError(1, f"file is larger than {limits.FILE_BYTES_MAX // (1024 * 1024)} MiB")
    try:
        return raw.decode("utf-8-sig")  # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise YamlError(line, f"not UTF-8 text (byte 0x{raw[error.start]:02x})") from None


def _validate(path: Path, document: Document) -> DeckLoad:
    root, data = document.root, document.data
    lines = LineIndex(root)
    if not isinstance(data, dict):
        what = "the file is empty" if data is None else "the file is not a mapping"
        message = f"{what}; a deck needs at least id, title and cards"
        return DeckLoad(path, None, (DeckProblem(path, lines.line(()), None, message),))

    found = _Problems(path)
    cards = data.get("cards")
    if isinstance(cards, list) and len(cards) > limits.CARDS_MAX:
        # Validating thousands of cards only to reject the deck is slow: stop here.
        message = f"the deck has {len(cards)} cards; at most {limits.CARDS_MAX} are allowed"
        problem = DeckProblem(path, lines.line(("cards",)), None, message)
        return DeckLoad(path, None, (problem,), lines.line(("id",)))

    for duplicate in duplicate_keys(root):
        if found.full():
            found.skip()
            continue
        message = (
            f"key '{excerpt(duplicate.loc[-1])}' is repeated "
            f"(first at line {duplicate.first_line}); YAML would keep only the last value"
        )
        found.add(duplicate.line, _card_id(data, duplicate.loc), message)

    for index, first_index in _duplicate_card_ids(data):
        first_line = lines.line(("cards", first_index, "id"))
        card_id = _card_id(data, ("cards", index))
        message = f"duplicate card id '{excerpt(card_id)}' (first at line {first_line})"
        found.add(lines.line(("cards", index, "id")), card_id, message)

    deck: Deck | None = None
    try:
        deck = Deck.model_validate(data)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            # Past the cap only count what would be reported: describing costs a
            # did-you-mean search per unknown key.
            located = describe(detail, hints=not found.full())
            if located is None:
                continue
            if found.full():
                found.skip()
                continue
            line = lines.line(located.loc, at_key=located.at_key)
            found.add(line, _card_id(data, located.loc), located.message)

    problems = found.listed()
    return DeckLoad(path, None if problems else deck, problems, lines.line(("id",)))


class _Problems:
    """The problems of one file: the first ``PROBLEMS_SHOWN`` in full, then only a count.

    One broken file must not flood the log or the terminal, nor cost time per
    problem that nobody will read.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._shown: list[DeckProblem] = []
        self._hidden = 0

    def full(self) -> bool:
        return len(self._shown) >= PROBLEMS_SHOWN

    def add(self, line: int, card_id: str | None, message: str) -> None:
        if self.full():
            self._hidden += 1
        else:
            self._shown.append(DeckProblem(self._path, line, card_id, message))

    def skip(self) -> None:
        self._hidden += 1

    def listed(self) -> tuple[DeckProblem, ...]:
        shown = sorted(self._shown, key=lambda problem: (problem.line, problem.message))
        if self._hidden:
            more = f"{self._hidden} more problem{'s' if self._hidden != 1 else ''}"
            shown.append(DeckProblem(self._path, shown[-1].line, None, more, self._hidden))
        return tuple(shown)


def _card_id(data: dict[object, object], loc: Loc) -> str | None:
    """The id written on the card that ``loc`` points into, if it has a text id."""
    if len(loc) < 2 or loc[0] != "cards" or not isinstance(loc[1], int):
        return None
    cards = data.get("cards")
    if not isinstance(cards, list) or not 0 <= loc[1] < len(cards):
        return None
    card = cards[loc[1]]
    card_id = card.get("id") if isinstance(card, dict) else None
    if not isinstance(card_id, str) or not card_id.strip():
        return None
    return excerpt(card_id, limits.ID_MAX)  # a card id too long to be valid is cut


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
