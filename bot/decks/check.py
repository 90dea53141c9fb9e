"""``python -m bot check [DIR]``: validate every deck file and print one line per problem."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot.decks.loader import load_decks
from bot.decks.problems import count_problems


def run_check(directory: Path, out: TextIO) -> int:
    """Validate the decks in ``directory``, print problems and a summary to ``out``.

    Each problem is one ``file:line: card id: what is wrong`` line (SPEC), then a
    summary such as ``3 decks OK`` or ``2 problems in 1 of 3 decks``. Returns the
    exit status: 0 when there is no problem, 1 otherwise.
    """
    result = load_decks(directory)
    for problem in result.problems:
        print(problem, file=out)
    decks = _plural(len(result.files), "deck")
    if not result.problems:
        print(f"{decks} OK", file=out)
        return 0
    broken = len({problem.path for problem in result.problems} & set(result.files))
    print(f"{_plural(count_problems(result.problems), 'problem')} in {broken} of {decks}", file=out)
    return 1


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
