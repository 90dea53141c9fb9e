"""``DeckProblem``: one thing wrong in a deck file, located by file, line and card."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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

    def __str__(self) -> str:
        # The contract of ``python -m bot check`` (SPEC): ``file:line: card id: what is wrong``.
        return f"{self.path}:{self.line}: {self.card_id or '-'}: {self.message}"
