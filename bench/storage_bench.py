"""Storage at scale: answer writes and due-card selection, 1,000,000 reviews vs empty.

Run: ``.venv/bin/python -m bench.storage_bench [--quick] [--rebuild]``

It builds (in a temporary folder removed afterwards, or once and kept in
``RECALL_BENCH_DATA`` when that names a folder) a SQLite file with 100,000 learners,
1,000,000 reviews and the card memories those reviews left, through the real
migrations, and copies it for each run. Then, on that copy and on an empty
database, it times the engine calls a click makes: grading a revealed flashcard
(``StudyEngine.grade_flashcard``: FSRS, review log, card memory, XP and streak in
one transaction), starting a session (which reads the learner's card memories),
and picking the due cards of a review session. The leaderboard page and the other
moderator views at the same scale are timed by :mod:`bench.queries_bench`.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import shutil
import sqlite3
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.e2e_bench import machine
from bench.workdir import bench_dir, data_dir
from bot.core.clock import FakeClock
from bot.core.grading import Grade
from bot.core.scheduling import CardScheduler
from bot.decks import DeckLibrary
from bot.sessions import NothingToStudy, SessionKind, StudyEngine
from bot.storage import Database, card_states
from bot.storage.codec import to_epoch
from bot.storage.migrations import load_migrations

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SEED = 20260305
LEARNERS = 100_000
REVIEWS = 1_000_000
USER_BASE = 200_000_000_000_000_000
GUILD = 900_000_000_000_000_001
DAYS = 180


def _cache_path(folder: Path, learners: int, reviews: int, cards: tuple[str, ...]) -> Path:
    # Rebuilt whenever the schema, the deck's cards or the generator's parameters change.
    schema = "".join(m.sql for m in load_migrations())
    key = json.dumps([schema, SEED, learners, reviews, cards, DAYS, 1])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return folder / f"storage-{digest}.db"


def _reviews(
    rng: random.Random, learners: int, reviews: int, deck: str, cards: tuple[str, ...]
) -> Iterator[tuple[Any, ...]]:
    # Heavy-tailed activity: most learners answer a little, a few answer a lot.
    activity = [rng.paretovariate(1.2) for _ in range(learners)]
    start = to_epoch(NOW - timedelta(days=DAYS))
    for user in rng.choices(range(learners), activity, k=reviews):
        correct = rng.random() > 0.2
        yield (
            USER_BASE + user,
            GUILD,
            deck,
            rng.choice(cards),
            "flashcard",
            3 if correct else 1,
            int(correct),
            rng.choice((2, 5, 10)),
            int(rng.random() < 0.6),
            start + rng.randrange(DAYS * 86_400),
        )


async def build(path: Path, learners: int, reviews: int, deck: str, cards: tuple[str, ...]) -> None:
    """Create the database through the real migrations, then bulk-load it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    await (await Database.open(partial)).close()
    rng = random.Random(SEED)
    began = time.perf_counter()
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO learners (user_id, xp, streak, best_streak, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        ((USER_BASE + i, rng.randint(0, 5000), 0, 5, to_epoch(NOW)) for i in range(learners)),
    )
    conn.execute("COMMIT")
    rows = _reviews(rng, learners, reviews, deck, cards)
    while chunk := [row for _, row in zip(range(100_000), rows, strict=False)]:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO reviews (user_id, guild_id, deck_id, card_id, kind, rating, correct,"
            " xp, was_due, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            chunk,
        )
        conn.execute("COMMIT")
    # The card memory each learner's reviews left: one row per (learner, card), due
    # somewhere in the month around now, so some cards are due and some are not.
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO card_states (user_id, deck_id, card_id, state, step, stability, difficulty,"
        " due, last_review, reps, lapses)"
        " SELECT user_id, deck_id, card_id, 2, NULL, 10.0, 5.0,"
        f" {to_epoch(NOW)} + (abs(random()) % (30 * 86400)) - 15 * 86400,"
        " MAX(reviewed_at), COUNT(*), 0 FROM reviews GROUP BY user_id, deck_id, card_id"
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.replace(path)
    print(f"built {path} in {time.perf_counter() - began:.1f} s")


@dataclass
class Timing:
    """Durations of one operation, in seconds."""

    label: str
    samples: list[float]

    @property
    def mean(self) -> float:
        """Mean duration."""
        return statistics.fmean(self.samples)

    def quantile(self, q: float) -> float:
        """Nearest-rank quantile."""
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def measure(path: Path, decks: DeckLibrary, users: list[int], deck: str) -> list[Timing]:
    """Time the engine's calls for ``users`` on the database at ``path``."""
    db = await Database.open(path)
    engine = StudyEngine(db, decks, CardScheduler(fuzz=False), FakeClock(NOW))
    start: list[float] = []
    grade: list[float] = []
    due: list[float] = []
    review: list[float] = []

    async def one_answer(user: int, record: bool) -> None:
        began = time.perf_counter()
        view = await engine.start(
            user_id=user,
            guild_id=GUILD,
            channel_id=1,
            deck_id=deck,
            kind=SessionKind.FLASHCARD,
            count=1,
        )
        started = time.perf_counter()
        await engine.reveal(view.session.id, user, 0)
        revealed = time.perf_counter()
        await engine.grade_flashcard(view.session.id, user, 0, Grade.GOOD)
        graded = time.perf_counter()
        await card_states.due(db, user, NOW, 20)
        if record:
            start.append(started - began)
            grade.append(graded - revealed)
            due.append(time.perf_counter() - graded)

    try:
        await one_answer(users[0] + 7, record=False)  # warm caches; not counted
        for user in users:
            await one_answer(user, record=True)
        for user in users:
            began = time.perf_counter()
            await _review_or_nothing(engine, user)
            review.append(time.perf_counter() - began)
    finally:
        await db.close()
    return [
        Timing("grade a flashcard (one answer written)", grade),
        Timing("/quiz start (reads the learner's memories)", start),
        Timing("due-card selection (20 most overdue)", due),
        Timing("/quiz review start (due cards + session)", review),
    ]


async def _review_or_nothing(engine: StudyEngine, user: int) -> None:
    # Nothing due for this learner raises NothingToStudy; the query still ran in full.
    with contextlib.suppress(NothingToStudy):
        await engine.start_review(user_id=user, guild_id=GUILD, channel_id=2)


async def run(args: argparse.Namespace) -> None:
    """Build or reuse the big database, then measure it against an empty one."""
    decks, _problems = DeckLibrary.load(REPO / "content")
    deck = decks.all()[0]
    cards = tuple(c.id for c in deck.cards)
    rng = random.Random(SEED + 1)
    sample = args.answers
    # Existing learners, heavy and light alike (the Pareto draw gives both).
    big_users = [USER_BASE + rng.randrange(args.learners) for _ in range(sample)]
    new_users = [USER_BASE + i for i in range(sample)]
    with data_dir("recall-storage-data-") as folder, bench_dir("recall-storage-") as tmp:
        cache = _cache_path(folder, args.learners, args.reviews, cards)
        if args.rebuild or not cache.exists():
            await build(cache, args.learners, args.reviews, deck.id, cards)
        big = Path(tmp) / "big.db"
        shutil.copy(cache, big)
        empty = Path(tmp) / "empty.db"
        results_empty = await measure(empty, decks, new_users, deck.id)
        results_big = await measure(big, decks, list(dict.fromkeys(big_users)), deck.id)
        rows = sqlite3.connect(big).execute("SELECT COUNT(*) FROM card_states").fetchone()[0]
    print(f"\n## Storage at scale ({machine()})")
    print(
        f"{args.learners:,} learners, {args.reviews:,} reviews, {rows:,} card memories vs an"
        f" empty database; {sample} learners each; times are whole awaited engine calls"
    )
    header = (
        f"{'operation':<44} {'empty p50 ms':>12} {'1M p50 ms':>10} {'1M p95 ms':>10}"
        f" {'1M mean ms':>11} {'ratio p50':>9} {'ratio mean':>10}"
    )
    print(header)
    print("-" * len(header))
    for small, large in zip(results_empty, results_big, strict=True):
        print(
            f"{small.label:<44} {small.quantile(0.5) * 1000:>12.2f}"
            f" {large.quantile(0.5) * 1000:>10.2f} {large.quantile(0.95) * 1000:>10.2f}"
            f" {large.mean * 1000:>11.2f} {large.quantile(0.5) / small.quantile(0.5):>9.2f}"
            f" {large.mean / small.mean:>10.2f}"
        )
    write_empty, write_big = results_empty[0], results_big[0]
    print(
        f"\nanswer writes/s, one after another (1 / mean): empty {1 / write_empty.mean:,.0f},"
        f" 1M reviews {1 / write_big.mean:,.0f}"
    )
    # The median is the typical answer; the mean also carries the occasional WAL
    # checkpoint and cold page, which a bigger file makes dearer. Both are shown.
    ratio = write_big.quantile(0.5) / write_empty.quantile(0.5)
    verdict = "met" if ratio <= 1.2 else "MISSED"
    print(
        f"Target: per-answer cost (median) at 1M reviews within 1.2x of empty: {ratio:.2f}x"
        f"  {verdict} (mean: {write_big.mean / write_empty.mean:.2f}x)"
    )
    print(
        "(/quiz review start: on the empty database nobody has anything due, so it ends"
        " early; at 1M it builds a real session.)"
    )
    print("Leaderboard page and moderator views at this scale: see bench.queries_bench below.")


def main(argv: list[str] | None = None) -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer answers timed")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached database")
    parser.add_argument("--learners", type=int, default=LEARNERS)
    parser.add_argument("--reviews", type=int, default=REVIEWS)
    parser.add_argument("--answers", type=int, default=None, help="learners timed per database")
    args = parser.parse_args(argv)
    args.answers = args.answers or (150 if args.quick else 600)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
