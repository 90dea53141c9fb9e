"""Deck imports: what a large file costs to import (``python -m bench.imports_bench``).

Each row is one generated file imported as ``python -m bot import`` and an
upload do (``import_deck``: read, validate, build the deck YAML): a 5,000-card
Anki package written by genanki (Basic and Basic-and-reversed notes with HTML),
a 5,000-row CSV, and hostile files that must cost nothing. The target is under
2 s for each of the first two (issue 11).

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import io
import time
import zipfile
from collections.abc import Callable

import genanki
import zstandard

from bench.e2e_bench import machine
from bench.workdir import bench_dir
from bot.decks import limits
from bot.decks.importers import import_deck

CARDS = 5_000


def anki_package() -> bytes:
    """5,000 cards: 3,000 Basic notes and 1,000 Basic-and-reversed notes, with HTML."""
    deck = genanki.Deck(1_111_111, "Bench::Vocabulary")
    for n in range(3_000):
        fields = [f"<b>word {n}</b><br>in a sentence", f"meaning <i>{n}</i> [sound:w{n}.mp3]"]
        deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=fields))
    for n in range(1_000):
        fields = [f"term {n}", f"<ul><li>definition {n}</li><li>usage</li></ul>"]
        deck.add_note(genanki.Note(model=genanki.BASIC_AND_REVERSED_CARD_MODEL, fields=fields))
    with bench_dir("recall-imports-") as folder:
        path = folder / "bench.apkg"
        genanki.Package(deck).write_to_file(str(path), timestamp=1_700_000_000.0)
        return path.read_bytes()


def csv_rows() -> bytes:
    """5,000 rows of every card type, without ids (each derived from its text)."""
    lines = ["type,level,front,back,question,options,answer,explanation"]
    for n in range(CARDS):
        if n % 2:
            lines.append(f"flashcard,beginner,Front {n},Back {n},,,,")
        else:
            lines.append(f"mcq,intermediate,,,Question {n}?,yes|no|maybe,yes,Because {n}")
    return ("\n".join(lines) + "\n").encode()


def wide_csv() -> bytes:
    """A header of 100,000 columns."""
    return (",".join(f"c{n}" for n in range(100_000)) + "\n").encode()


def zstd_bomb() -> bytes:
    """An .apkg whose zstd collection expands past the unpacked cap."""
    bomb = zstandard.ZstdCompressor().compress(b"\x00" * (limits.UNPACKED_BYTES_MAX * 2))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("collection.anki21b", bomb)
    return buffer.getvalue()


CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "Anki .apkg, 5,000 cards": ("bench.apkg", anki_package),
    "CSV, 5,000 rows": ("bench.csv", csv_rows),
    "CSV, 100,000 columns": ("wide.csv", wide_csv),
    "zstd bomb (.apkg, 128 MiB inside)": ("bomb.apkg", zstd_bomb),
    "8 MiB of garbage named .csv": ("garbage.csv", lambda: bytes(range(256)) * 32_768),
}


def main(argv: list[str] | None = None) -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=3, help="imports per file (the best counts)")
    args = parser.parse_args(argv)
    print(f"\n## Deck imports ({machine()})")
    header = f"{'file':<36} {'size KiB':>9} {'cards':>6} {'best s':>7}  result"
    print(header)
    print("-" * (len(header) + 40))
    for name, (filename, make) in CASES.items():
        data = make()
        best = float("inf")
        for _ in range(args.repeats):
            began = time.perf_counter()
            result = import_deck(filename, data)
            best = min(best, time.perf_counter() - began)
        cards = len(result.deck.cards) if result.deck is not None else 0
        outcome = result.summary() if result.deck is not None else result.problems[0].message
        print(f"{name:<36} {len(data) / 1024:>9,.0f} {cards:>6} {best:>7.2f}  {outcome[:70]}")


if __name__ == "__main__":
    main()
