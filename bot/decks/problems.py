"""``DeckProblem``: one thing wrong in a deck file, located by file, line and card."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

EXCERPT_MAX = 40
"""Characters of a value from a deck file that a problem message quotes."""


def excerpt(value: object, limit: int = EXCERPT_MAX) -> str:
    """``value`` as text, cut to ``limit`` characters with an ellipsis.

    A problem names what is wrong; it must not copy whole values out of the file
    (problems reach a Discord reply and the log).
    """
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class DeckProblem:
    """One error in a deck file.

    ``line`` is 1-based (1 when the problem concerns the whole file or folder);
    ``card_id`` is ``None`` when the problem is not inside a card with an id.
    """

    path: Path
    line: int
    card_id: str | None
    message: str
    stands_for: int = 1
    """How many problems this line reports: more than one for the closing "N more
    problems" line of a file whose problems were cut at the cap."""
    anchor: str | None = None
    """What names the place instead of ``line`` when a file has no lines to point
    at: ``note 1698765432100`` for a note of an Anki package."""

    def __str__(self) -> str:
        # The contract of ``python -m bot check`` (SPEC): ``file:line: card id: what is wrong``.
        return self.located(str(self.path))

    def relative_to(self, base: Path) -> str:
        """The problem with its path relative to ``base`` (``.`` for ``base`` itself).

        For replies in Discord: a moderator needs the file's name in the deck
        folder, not where the host keeps that folder.
        """
        try:
            shown = self.path.relative_to(base).as_posix() or "."
        except ValueError:
            shown = self.path.name
        return self.located(shown)

    def located(self, shown_path: str) -> str:
        """``shown_path:line: card id: message`` (the anchor in place of the line if any)."""
        where = self.anchor or self.line
        return f"{shown_path}:{where}: {self.card_id or '-'}: {self.message}"


def count_problems(problems: Iterable[DeckProblem]) -> int:
    """How many problems ``problems`` report, counting those behind an "N more" line."""
    return sum(problem.stands_for for problem in problems)
