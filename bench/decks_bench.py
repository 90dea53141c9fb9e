"""Hostile deck files: what one costs to read and check (``python -m bench.decks_bench``).

A deck file is untrusted input that the bot reads before it logs in and on every
``/quiz-admin reload``. Each row is one generated file, read as the bot reads it
(``load_deck_file``): its size, the problems reported and the time taken. The
tests check the work done (problems capped, files refused); this bench shows
the time, which a test must not judge on a shared machine.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from bench.e2e_bench import machine
from bench.workdir import bench_dir
from bot.decks import limits, load_deck_file

CARD = "  - {id: c, type: flashcard, level: beginner, front: F, back: B}\n"
HEAD = "id: demo\ntitle: Demo\ncards:\n" + CARD


def unknown_keys(count: int) -> str:
    """A valid deck followed by ``count`` unknown top-level keys."""
    return HEAD + "".join(f"k{n}: v\n" for n in range(count))


def fill_to_size_cap() -> str:
    """Tiny unknown keys up to the size cap (about 200,000 of them)."""
    lines, size, n = [HEAD], len(HEAD), 0
    while True:
        line = f"k{n}: v\n"
        if size + len(line) > limits.FILE_BYTES_MAX:
            return "".join(lines)
        lines.append(line)
        size += len(line)
        n += 1


def alias_bomb() -> str:
    """ "Billion laughs": nine levels of nine aliases each."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def broken_cards(count: int) -> str:
    """``count`` cards, each missing three keys."""
    return "id: demo\ntitle: Demo\ncards:\n" + "".join(
        f"  - {{id: c{n}, type: flashcard}}\n" for n in range(count)
    )


CASES: dict[str, Callable[[], str]] = {
    "20,000 unknown keys": lambda: unknown_keys(20_000),
    "99,000 unknown keys (under the node cap)": lambda: unknown_keys(99_000),
    "unknown keys up to the 2 MiB size cap": fill_to_size_cap,
    "5,000 cards with 3 problems each": lambda: broken_cards(limits.CARDS_MAX),
    "alias bomb (billion laughs)": alias_bomb,
    "nested 100,000 lists deep": lambda: "[" * 100_000 + "]" * 100_000,
    "3 MiB comment (over the size cap)": lambda: "# " + "x" * (3 * 1024 * 1024) + "\n",
}


def main(argv: list[str] | None = None) -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=3, help="reads per file (the best counts)")
    args = parser.parse_args(argv)
    print(f"\n## Hostile deck files ({machine()})")
    header = f"{'file':<42} {'size KiB':>9} {'problems':>9} {'best s':>8}  first problem"
    print(header)
    print("-" * (len(header) + 30))
    with bench_dir("recall-decks-") as folder:
        for name, make in CASES.items():
            path = folder / "deck.yaml"
            path.write_text(make(), encoding="utf-8")
            best = float("inf")
            for _ in range(args.repeats):
                began = time.perf_counter()
                result = load_deck_file(path)
                best = min(best, time.perf_counter() - began)
            first = result.problems[0].message if result.problems else "-"
            reported = f"{len(result.problems)}"
            size = Path(path).stat().st_size / 1024
            print(f"{name:<42} {size:>9,.0f} {reported:>9} {best:>8.2f}  {first[:60]}")


if __name__ == "__main__":
    main()
