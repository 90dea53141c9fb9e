"""Benchmark of the moderator views and /quiz stats on a large database.

Run: ``.venv/bin/python -m bench.queries_bench [--repeats 30] [--rebuild]``

It builds (in a temporary folder removed afterwards, or once and kept in
``RECALL_BENCH_DATA`` when that names a folder) a SQLite file with 100,000 learners and
1,000,000 reviews over four servers of unequal size and three decks, through the real
migrations, then times the engine calls the cogs make: a leaderboard page for every
metric and period, the class progress view, a learner's stats reply
(``learner_stats`` + ``activity_by_day``), the CSV export's throughput, and the cost of
recording one answer (every trigger-kept table included) on a copy of the big
database against an empty one (``--writes-only`` runs just that). Figures
are for the largest server (40 % of the log). Each timing is the whole awaited call
(aiosqlite thread hop and Python included), so it is an upper bound on database time.

No ``ANALYZE`` is run: a production database has no statistics either, so the plans
shown are the ones the bot gets.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.workdir import bench_dir, data_dir
from bot.charts import activity_by_day, render_heatmap
from bot.class_progress import class_progress
from bot.core.grading import Grade
from bot.core.scheduling import CardScheduler
from bot.core.timezones import local_date, parse_zone
from bot.decks import Deck, DeckLibrary
from bot.export import export_csv
from bot.leaderboard import Metric, Period, leaderboard_page
from bot.progress import Answer, record_answer
from bot.stats import learner_stats
from bot.storage import Database
from bot.storage.codec import to_epoch
from bot.storage.migrations import load_migrations

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SEED = 20260304
LEARNERS = 100_000
REVIEWS = 1_000_000
DAYS = 180
GUILDS = {
    900_000_000_000_000_001: 0.4,
    900_000_000_000_000_002: 0.3,
    900_000_000_000_000_003: 0.2,
    900_000_000_000_000_004: 0.1,
}
BIG_GUILD = next(iter(GUILDS))
DECKS = ("django-wsgi-asgi", "http-basics", "python-async")
CARDS_PER_DECK = 30
EXPLAIN_CARDS = 4  # the last few cards of each deck are explain cards
CONCEPTS = ("sync vs async", "protocols", "concurrency", "long-lived", "servers")
ZONES = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Europe/London",
)
USER_BASE = 100_000_000_000_000_000


# -- data -----------------------------------------------------------------------------


def _cache_path(folder: Path, learners: int, reviews: int) -> Path:
    # The file is rebuilt whenever the schema or the generator's parameters change.
    schema = "".join(m.sql for m in load_migrations())
    key = json.dumps([schema, SEED, learners, reviews, DAYS, list(GUILDS.values()), 2])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return folder / f"queries-{digest}.db"


def _learner_rows(rng: random.Random, learners: int) -> Iterator[tuple[Any, ...]]:
    today = NOW.date()
    for i in range(learners):
        streak = rng.choice((0, 0, 1, 2, 3, 5, 8, 13, 30, 90))
        last = today - timedelta(days=rng.choice((0, 0, 1, 1, 2, 3, 10)))
        yield (
            USER_BASE + i,
            rng.choice(ZONES),
            rng.randint(0, 5000),
            streak,
            streak + rng.randint(0, 20),
            rng.randint(0, 2),
            last.isoformat() if streak else None,
            to_epoch(NOW - timedelta(days=DAYS)),
        )


def _review_rows(rng: random.Random, learners: int, reviews: int) -> Iterator[tuple[Any, ...]]:
    guild_ids, weights = list(GUILDS), list(GUILDS.values())
    # Each learner has a home server; one in ten also studies in a second one.
    home = rng.choices(guild_ids, weights, k=learners)
    # Heavy-tailed activity: most learners answer a little, a few answer a lot.
    activity = [rng.paretovariate(1.2) for _ in range(learners)]
    users = rng.choices(range(learners), activity, k=reviews)
    start = to_epoch(NOW - timedelta(days=DAYS))
    span = DAYS * 86_400
    for user in users:
        guild = home[user] if rng.random() < 0.9 else rng.choice(guild_ids)
        deck = rng.choice(DECKS)
        card_no = rng.randrange(CARDS_PER_DECK)
        explain = card_no >= CARDS_PER_DECK - EXPLAIN_CARDS
        # Some cards are harder than others, so "hardest cards" has an answer.
        correct = rng.random() > 0.1 + 0.5 * (card_no % 7) / 7
        missed = None
        if explain and not correct:
            missed = json.dumps(rng.sample(CONCEPTS, rng.randint(1, 3)))
        yield (
            USER_BASE + user,
            guild,
            deck,
            f"card-{card_no}",
            "explain" if explain else "flashcard",
            3 if correct else 1,
            int(correct),
            rng.choice((0, 2, 5, 10, 15)),
            int(rng.random() < 0.6),
            missed,
            start + rng.randrange(span),
        )


async def build(path: Path, learners: int, reviews: int) -> None:
    """Create the database through the real migrations, then bulk-load it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    db = await Database.open(partial)
    await db.close()
    rng = random.Random(SEED)
    began = time.perf_counter()
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO learners (user_id, time_zone, xp, streak, best_streak, freezes,"
        " last_active_date, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        _learner_rows(rng, learners),
    )
    conn.execute("COMMIT")
    rows = _review_rows(rng, learners, reviews)
    while True:
        chunk = [row for _, row in zip(range(100_000), rows, strict=False)]
        if not chunk:
            break
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO reviews (user_id, guild_id, deck_id, card_id, kind, rating, correct,"
            " xp, was_due, concepts_missed, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            chunk,
        )
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.replace(path)
    print(f"built {path} in {time.perf_counter() - began:.1f} s")


def library() -> DeckLibrary:
    """Decks matching the generated card ids, for card titles in the class view."""
    decks = {}
    for deck_id in DECKS:
        cards: list[dict[str, Any]] = [
            {
                "id": f"card-{n}",
                "type": "flashcard",
                "level": "beginner",
                "front": f"Question {n} of {deck_id}?",
                "back": "An answer.",
            }
            for n in range(CARDS_PER_DECK - EXPLAIN_CARDS)
        ]
        cards += [
            {
                "id": f"card-{n}",
                "type": "explain",
                "level": "advanced",
                "prompt": f"Explain topic {n}.",
                "model_answer": "A model answer.",
                "concepts": [{"name": c, "keywords": [c.split()[0]]} for c in CONCEPTS],
            }
            for n in range(CARDS_PER_DECK - EXPLAIN_CARDS, CARDS_PER_DECK)
        ]
        decks[deck_id] = Deck.model_validate({"id": deck_id, "title": deck_id, "cards": cards})
    return DeckLibrary(Path("content"), decks)


# -- timing ---------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    samples: list[float]
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


async def measure(
    name: str, call: Callable[[], Awaitable[object]], repeats: int, note: str = ""
) -> Timing:
    await call()  # warm the page cache and the statement cache
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - began)
    return Timing(name, samples, note)


def print_table(title: str, timings: list[Timing]) -> None:
    width = max(len(t.name) for t in timings)
    print(f"\n{title}")
    print(f"  {'query':<{width}}  {'median ms':>9}  {'p95 ms':>8}  note")
    for t in timings:
        print(f"  {t.name:<{width}}  {t.median_ms:>9.2f}  {t.p95_ms:>8.2f}  {t.note}")


class Recorder:
    """Wraps ``Database.fetchall`` to keep the last statement, for EXPLAIN QUERY PLAN."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.original = db.fetchall
        self.last: tuple[str, Any] | None = None

    async def __call__(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        self.last = (sql, params)
        return await self.original(sql, params)


async def explain(db: Database, recorder: Recorder, title: str, call: Awaitable[object]) -> None:
    await call
    assert recorder.last is not None
    sql, params = recorder.last
    plan = await recorder.original("EXPLAIN QUERY PLAN " + sql, params)
    print(f"\nEXPLAIN QUERY PLAN: {title}")
    for row in plan:
        print(f"  {row['detail']}")


# -- writes ---------------------------------------------------------------------------


def _copy(path: Path, work: Path) -> None:
    if path.exists():
        with sqlite3.connect(path) as source, sqlite3.connect(work) as target:
            source.backup(target)


async def answer_writes(path: Path, answers: int) -> Timing:
    """Time ``answers`` recorded answers, each its own transaction, on a copy of ``path``.

    Every answer goes through :func:`bot.progress.record_answer` (learner, card memory,
    review log and every trigger-maintained table), as a quiz button press does. The
    copy keeps the cached database unchanged; ``path`` None-like (missing) means a
    fresh, empty database.
    """
    with bench_dir("recall-writes-") as folder:
        return await _answer_writes(path, folder / "copy.db", answers)


async def _answer_writes(path: Path, work: Path, answers: int) -> Timing:
    await asyncio.to_thread(_copy, path, work)
    db = await Database.open(work)
    scheduler = CardScheduler(fuzz=False)
    samples: list[float] = []
    try:
        for n in range(answers + 1):
            # Existing learners in the big server, cycling through decks and cards.
            answer = Answer(
                user_id=USER_BASE + (n * 7919) % LEARNERS,
                guild_id=BIG_GUILD,
                deck_id=DECKS[n % len(DECKS)],
                card_id=f"card-{n % CARDS_PER_DECK}",
                kind="flashcard",
                grade=Grade.GOOD if n % 3 else Grade.AGAIN,
                correct=bool(n % 3),
            )
            began = time.perf_counter()
            async with db.transaction() as conn:
                await record_answer(conn, scheduler, answer, NOW + timedelta(seconds=n))
            if n:  # the first one warms the statement cache
                samples.append(time.perf_counter() - began)
    finally:
        await db.close()
    return Timing("", samples)


async def report_writes(path: Path, answers: int) -> None:
    """Per-answer write cost on the big database against an empty one."""
    empty = await answer_writes(path.with_name("does-not-exist.db"), answers)
    empty.name = "one answer, empty database"
    big = await answer_writes(path, answers)
    big.name = "one answer, big database"
    print_table(f"Answer write (record_answer + commit, {answers} answers)", [empty, big])
    print(f"  big / empty: {big.median_ms / empty.median_ms:.2f}x median")


# -- main -----------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    with data_dir("recall-queries-") as folder:
        path = _cache_path(folder, args.learners, args.reviews)
        if args.rebuild or not path.exists():
            await build(path, args.learners, args.reviews)
        if not args.writes_only:
            db = await Database.open(path)
            decks = library()
            try:
                await report(db, decks, args.repeats)
            finally:
                await db.close()
        await report_writes(path, args.answers)


async def report(db: Database, decks: DeckLibrary, repeats: int) -> None:
    counts = await db.fetchone(
        "SELECT (SELECT COUNT(*) FROM learners), (SELECT COUNT(*) FROM reviews),"
        " (SELECT COUNT(*) FROM reviews WHERE guild_id = ?),"
        " (SELECT COUNT(DISTINCT user_id) FROM reviews WHERE guild_id = ?)",
        (BIG_GUILD, BIG_GUILD),
    )
    assert counts is not None
    print(
        f"Python {platform.python_version()} ({sys.implementation.name}),"
        f" SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores,"
        f" {platform.machine()} {platform.system()}"
    )
    print(f"database: {db.path} ({db.path.stat().st_size / 2**20:.0f} MiB)")
    print(
        f"{counts[0]:,} learners, {counts[1]:,} reviews; timed server: {counts[2]:,} reviews,"
        f" {counts[3]:,} learners; {repeats} repeats after one warm-up"
    )

    viewer = USER_BASE + 7
    board: list[Timing] = []
    for period in Period:
        for metric in Metric:

            async def page(period: Period = period, metric: Metric = metric) -> object:
                return await leaderboard_page(
                    db, BIG_GUILD, period, metric, None, 0, NOW, viewer_id=viewer
                )

            result = await leaderboard_page(db, BIG_GUILD, period, metric, None, 0, NOW)
            board.append(
                await measure(
                    f"{metric.value} / {period.value}", page, repeats, f"{result.total:,} ranked"
                )
            )
    for period in (Period.WEEK, Period.ALL):

        async def deck_page(period: Period = period) -> object:
            return await leaderboard_page(
                db, BIG_GUILD, period, Metric.XP, DECKS[0], 0, NOW, viewer_id=viewer
            )

        board.append(await measure(f"xp / {period.value} / one deck", deck_page, repeats))

    async def deep_page() -> object:
        return await leaderboard_page(db, BIG_GUILD, Period.ALL, Metric.XP, None, 1500, NOW)

    board.append(await measure("xp / all / page 1500", deep_page, repeats))
    print_table("Leaderboard page (10 rows + the viewer's rank)", board)

    views = [
        await measure(
            "class progress, all decks",
            lambda: class_progress(db, decks, BIG_GUILD, None, NOW),
            repeats,
        ),
        await measure(
            "class progress, one deck",
            lambda: class_progress(db, decks, BIG_GUILD, DECKS[0], NOW),
            repeats,
        ),
    ]
    print_table("Class progress", views)

    # Stats for sampled learners, and for the most active one (the worst case).
    rng = random.Random(SEED)
    sample = [USER_BASE + rng.randrange(LEARNERS) for _ in range(repeats)]
    top = await db.fetchone(
        "SELECT user_id, COUNT(*) FROM reviews GROUP BY user_id ORDER BY 2 DESC LIMIT 1"
    )
    assert top is not None
    cycle = iter(sample * 2)

    async def stats_reply(user: int | None = None) -> object:
        uid = next(cycle) if user is None else user
        found = await learner_stats(db, uid, NOW)
        return await activity_by_day(db, uid, found.time_zone, NOW)

    stats = [
        await measure("learner_stats + activity_by_day, random learners", stats_reply, repeats),
        await measure(
            "learner_stats + activity_by_day, most active learner",
            lambda: stats_reply(int(top[0])),
            repeats,
            f"{int(top[1]):,} reviews",
        ),
    ]
    heat = await activity_by_day(db, int(top[0]), "UTC", NOW)
    today = local_date(NOW, parse_zone("UTC"))
    stats.append(
        await measure(
            "render_heatmap (CPU, in a thread)",
            lambda: asyncio.to_thread(render_heatmap, heat, today),
            max(5, repeats // 3),
            "not database time",
        )
    )
    print_table("/quiz stats", stats)

    print("\nCSV export of the timed server")
    for batch in (500, 5000):
        out = io.StringIO(newline="")
        began = time.perf_counter()
        rows = await export_csv(db, BIG_GUILD, {}, out, NOW, batch_size=batch)
        took = time.perf_counter() - began
        print(
            f"  batch {batch:>5}: {rows:,} rows in {took:.2f} s = {rows / took:,.0f} rows/s,"
            f" {len(out.getvalue()) / 2**20:.1f} MiB of CSV"
        )

    recorder = Recorder(db)
    db.fetchall = recorder  # type: ignore[method-assign]
    try:
        for period, metric, deck in (
            (Period.WEEK, Metric.XP, None),
            (Period.ALL, Metric.ACCURACY, None),
            (Period.MONTH, Metric.STREAK, None),
            (Period.WEEK, Metric.XP, DECKS[0]),
        ):
            await explain(
                db,
                recorder,
                f"leaderboard {metric.value} / {period.value} / deck {deck}",
                leaderboard_page(db, BIG_GUILD, period, metric, deck, 0, NOW),
            )
        await explain(
            db,
            recorder,
            "export batch",
            export_csv(db, BIG_GUILD, {}, io.StringIO(), NOW, batch_size=10**9),
        )
        await explain(db, recorder, "activity_by_day", activity_by_day(db, viewer, "UTC", NOW))
    finally:
        db.fetchall = recorder.original  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--learners", type=int, default=LEARNERS)
    parser.add_argument("--reviews", type=int, default=REVIEWS)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached database")
    parser.add_argument("--answers", type=int, default=300, help="answers timed for writes")
    parser.add_argument("--writes-only", action="store_true", help="time answer writes only")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
