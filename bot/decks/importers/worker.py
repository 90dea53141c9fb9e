"""``python -m bot.decks.importers.worker FILENAME``: import the bytes on stdin, as JSON.

An upload from Discord is imported in this child process rather than in a thread
of the bot: the work is CPU-bound (a 5,000-card Anki package takes about a second),
and in a thread it would hold the bot's GIL, so every other learner's click would
wait behind it. A child process also has a deadline that means something: the bot
kills it (a thread cannot be stopped). The output is one JSON object,
:func:`encode`'s, which :func:`decode` turns back into the same
:class:`~bot.decks.importers.ImportResult`.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.decks.importers import ImportResult, import_deck
from bot.decks.models import CardType, Deck
from bot.decks.problems import DeckProblem

NICENESS = 19
"""How much lower than the bot the import runs (``nice``) where ``SCHED_IDLE`` is not
available."""


def lower_priority() -> None:
    """Run below the bot: on a small machine the bot's clicks come first.

    On Linux, ``SCHED_IDLE``: this process only gets a core no one else wants (a
    nice value still takes its share of a busy core). The import's own limits
    count CPU time, not the wait; the bot's wall-clock deadline bounds the wait.
    """
    idle = getattr(os, "SCHED_IDLE", None)
    if idle is not None:
        try:
            os.sched_setscheduler(0, idle, os.sched_param(0))
            return
        except OSError:
            pass  # not allowed here (a container's seccomp policy): nice instead
    if hasattr(os, "nice"):
        os.nice(NICENESS)


def encode(result: ImportResult) -> bytes:
    """``result`` as JSON (the deck as the models' JSON, so no YAML is parsed back)."""
    return json.dumps(
        {
            "filename": result.filename,
            "deck": None if result.deck is None else result.deck.model_dump_json(),
            "problems": [
                [str(p.path), p.line, p.card_id, p.message, p.stands_for, p.anchor]
                for p in result.problems
            ],
            "counts": {str(kind): n for kind, n in result.counts.items()},
            "media_dropped": result.media_dropped,
            "yaml": result.yaml,
        }
    ).encode("utf-8")


def decode_parts(data: bytes) -> tuple[ImportResult, str | None]:
    """The result :func:`encode` wrote, without its deck, and the deck's JSON (None
    when there is no deck): parsing the deck is left to the caller (the bot parses a
    large one in steps between other work, see :mod:`bot.services.decks`)."""
    raw: dict[str, Any] = json.loads(data)
    problems = tuple(
        DeckProblem(Path(path), line, card_id, message, stands_for, anchor)
        for path, line, card_id, message, stands_for, anchor in raw["problems"]
    )
    counts = {CardType(kind): int(n) for kind, n in raw["counts"].items()}
    result = ImportResult(
        raw["filename"], None, problems, counts, int(raw["media_dropped"]), raw["yaml"]
    )
    return result, raw["deck"]


def decode(data: bytes) -> ImportResult:
    """The result :func:`encode` wrote."""
    result, deck_json = decode_parts(data)
    if deck_json is None:
        return result
    return replace(result, deck=Deck.model_validate_json(deck_json))


def main(argv: list[str] | None = None) -> int:
    """Import stdin as the file named by the one argument; the result on stdout."""
    args = sys.argv[1:] if argv is None else argv
    lower_priority()
    if len(args) != 1:
        print("usage: python -m bot.decks.importers.worker FILENAME < DATA", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(encode(import_deck(args[0], sys.stdin.buffer.read())))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
