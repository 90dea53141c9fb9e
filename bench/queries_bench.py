"""Benchmark of the read models (ReportService) on a large database, on both backends.

Run: ``.venv/bin/python -m bench.queries_bench [--backend sqlite|postgres|both]
[--quick] [--repeats 20] [--explain]``

For each backend it builds a database through the real migrations (SQLite: a file in
a temporary folder; PostgreSQL: a throwaway server of ``tests.pgserver``, or
``RECALL_BENCH_POSTGRES_URL``) with 100,000 learners and 1,000,000 reviews (``--quick``:
10,000 and 100,000) over four communities of unequal size and three decks, then times
the service calls the front ends make, each a whole awaited call (one transaction,
driver and Python included): every leaderboard board (3 periods × 3 metrics, and XP
per deck), the class view (with the memory figures, and without them as the baseline of
the same run), the memory figures alone, a learner's stats (with the heatmap counts), a member's
stats, deck progress, and the export's throughput. Figures are for the largest
community (40 % of the log). Target: p95 under 100 ms for the boards, progress and
stats.

Card memories: one per (learner, deck, card) of the log, counted in the community of
its latest review, with a stability that grows with the card's reviews and a due date
about one stability after its last review (as FSRS schedules at retention 0.9).

Loading: SQLite inserts the log in bulk with its triggers on (they keep the roll-ups),
then the card memories (their triggers keep memory_totals); PostgreSQL COPYs both with
the roll-up triggers disabled and then fills the roll-ups with one INSERT ... SELECT
each (what the triggers would have made; the tests hold the triggers to that
recomputation), then ANALYZEs, as autovacuum would. SQLite runs no ANALYZE: a
production file has no statistics either.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.workdir import bench_dir
from bot.core.clock import FakeClock
from bot.core.leaderboard import Metric, Period
from bot.core.learner import Identity, Platform
from bot.core.streaks import StreakState, alive_until
from bot.decks import Deck, DeckLibrary
from bot.services.reports import ReportService
from bot.storage import PostgresURL, SQLiteURL, Store, open_store
from bot.storage.codec import to_epoch

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SEED = 20260304
DAYS = 180
COMMUNITIES = {1: 0.4, 2: 0.3, 3: 0.2, 4: 0.1}
BIG = 1
DECKS = ("django-wsgi-asgi", "http-basics", "python-async")
CARDS_PER_DECK = 30
EXPLAIN_CARDS = 4
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
REVIEW_COLUMNS = (
    "learner_id",
    "community_id",
    "deck_id",
    "card_id",
    "kind",
    "rating",
    "correct",
    "xp",
    "was_due",
    "concepts_missed",
    "reviewed_at",
)
LEARNER_COLUMNS = (
    "id",
    "platform",
    "external_id",
    "time_zone",
    "xp",
    "streak",
    "best_streak",
    "freezes",
    "last_active_date",
    "streak_alive_until",
    "created_at",
)


# -- data -----------------------------------------------------------------------------


def learner_rows(rng: random.Random, learners: int) -> list[tuple[Any, ...]]:
    today = NOW.date()
    found = []
    for i in range(1, learners + 1):
        streak = rng.choice((0, 0, 1, 2, 3, 5, 8, 13, 30, 90))
        last: date | None = today - timedelta(days=rng.choice((0, 0, 1, 1, 2, 3, 10)))
        freezes = rng.randint(0, 2)
        state = StreakState(streak, streak + rng.randint(0, 20), freezes, last if streak else None)
        until = alive_until(state)
        found.append(
            (
                i,
                "discord",
                str(900_000_000_000_000_000 + i),
                rng.choice(ZONES),
                rng.randint(0, 5000),
                state.current,
                state.best,
                freezes,
                state.last_active.isoformat() if state.last_active else None,
                until.isoformat() if until else None,
                to_epoch(NOW - timedelta(days=DAYS)),
            )
        )
    return found


def review_rows(rng: random.Random, learners: int, reviews: int) -> Iterator[tuple[Any, ...]]:
    ids, weights = list(COMMUNITIES), list(COMMUNITIES.values())
    # Each learner has a home community; one answer in ten is in another one.
    home = rng.choices(ids, weights, k=learners)
    # Heavy-tailed activity: most learners answer a little, a few answer a lot.
    activity = [rng.paretovariate(1.2) for _ in range(learners)]
    users = rng.choices(range(learners), activity, k=reviews)
    start = to_epoch(NOW - timedelta(days=DAYS))
    span = DAYS * 86_400
    for user in users:
        community = home[user] if rng.random() < 0.9 else rng.choice(ids)
        card_no = rng.randrange(CARDS_PER_DECK)
        explain = card_no >= CARDS_PER_DECK - EXPLAIN_CARDS
        # Some cards are harder than others, so "hardest cards" has an answer.
        correct = rng.random() > 0.1 + 0.5 * (card_no % 7) / 7
        missed = None
        if explain and not correct:
            missed = json.dumps(rng.sample(CONCEPTS, rng.randint(1, 3)))
        yield (
            user + 1,
            community,
            rng.choice(DECKS),
            f"card-{card_no}",
            "explain" if explain else "flashcard",
            3 if correct else 1,
            int(correct),
            rng.choice((0, 2, 5, 10, 15)),
            int(rng.random() < 0.6),
            missed,
            start + rng.randrange(span),
        )


def chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while True:
        chunk = [row for _, row in zip(range(size), rows, strict=False)]
        if not chunk:
            return
        yield chunk


class MemoryLog:
    """Wraps the review log and keeps, per (learner, deck, card), what its card memory
    needs: the latest review's time and community, and how many reviews there were."""

    def __init__(self, log: Iterator[tuple[Any, ...]]) -> None:
        self.log = log
        self.cards: dict[tuple[int, str, str], tuple[int, int, int]] = {}

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        cards = self.cards
        for row in self.log:
            key = (row[0], row[2], row[3])
            at, community = row[10], row[1]
            seen = cards.get(key)
            if seen is None:
                cards[key] = (at, community, 1)
            else:
                last, place, n = seen
                cards[key] = (at, community, n + 1) if at > last else (last, place, n + 1)
            yield row


def card_rows(memory: MemoryLog, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """One card memory per (learner, deck, card) of the log, as FSRS would leave it: the
    stability grows with the reviews (with spread), the card is due after about its
    stability (desired retention 0.9), and it counts in its latest review's community."""
    for (learner, deck, card), (last, community, n) in memory.cards.items():
        stability = min(3650.0, rng.lognormvariate(math.log(1.5 * 2.2 ** min(n - 1, 8)), 0.6))
        yield (
            learner,
            deck,
            card,
            2,
            None,
            stability,
            5.0,
            last + int(stability * 86_400),
            last,
            n,
            0,
            community,
        )


CARD_COLUMNS = (
    "learner_id",
    "deck_id",
    "card_id",
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
    "community_id",
)


def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


async def load_sqlite(store: Store, learners: int, reviews: int) -> None:
    rng = random.Random(SEED)
    people = learner_rows(rng, learners)
    log = MemoryLog(review_rows(rng, learners, reviews))

    def job(conn: Any) -> None:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO communities (id, platform, external_id) VALUES (?, 'discord', ?)",
            [(c, str(800 + c)) for c in COMMUNITIES],
        )
        conn.executemany(_insert("learners", LEARNER_COLUMNS), people)
        conn.execute("COMMIT")
        for chunk in chunks(iter(log), 100_000):
            conn.execute("BEGIN")
            conn.executemany(_insert("reviews", REVIEW_COLUMNS), chunk)
            conn.execute("COMMIT")
        # The card memories after the log (their triggers keep memory_totals).
        conn.execute("BEGIN")
        conn.executemany(_insert("card_states", CARD_COLUMNS), card_rows(log, rng))
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA synchronous = NORMAL")

    await store.call(job)  # type: ignore[attr-defined]


# What the roll-up triggers make, as one statement per table (PostgreSQL load only).
PG_BACKFILL = (
    "INSERT INTO review_totals SELECT community_id, learner_id, deck_id, COUNT(*),"
    " SUM(correct), SUM(xp), MAX(reviewed_at) FROM reviews WHERE community_id IS NOT NULL"
    " GROUP BY 1, 2, 3",
    "INSERT INTO card_totals SELECT community_id, deck_id, card_id, COUNT(*), SUM(1 - correct)"
    " FROM reviews WHERE community_id IS NOT NULL GROUP BY 1, 2, 3",
    "INSERT INTO community_learners SELECT community_id, learner_id, COUNT(*), SUM(correct),"
    " SUM(xp), MAX(reviewed_at) FROM reviews WHERE community_id IS NOT NULL GROUP BY 1, 2",
    "INSERT INTO community_days SELECT community_id, reviewed_at / 86400, learner_id, COUNT(*),"
    " SUM(correct), SUM(xp) FROM reviews WHERE community_id IS NOT NULL GROUP BY 1, 2, 3",
    "INSERT INTO concept_totals SELECT r.community_id, r.deck_id, r.card_id, j.raw #>> '{}',"
    " COUNT(*) FROM reviews r CROSS JOIN LATERAL json_array_elements(r.concepts_missed::json)"
    " j(raw) WHERE r.community_id IS NOT NULL AND left(r.concepts_missed, 1) = '['"
    " AND json_typeof(j.raw) = 'string' GROUP BY 1, 2, 3, 4",
    "INSERT INTO memory_totals SELECT community_id, deck_id, last_review / 86400,"
    " stability_band(stability), COUNT(*), SUM(1.0 / stability) FROM card_states"
    " WHERE community_id IS NOT NULL AND last_review IS NOT NULL AND stability > 0"
    " GROUP BY 1, 2, 3, 4",
    "INSERT INTO due_totals SELECT community_id, deck_id, due / 86400, COUNT(*)"
    " FROM card_states WHERE community_id IS NOT NULL GROUP BY 1, 2, 3",
)


async def load_postgres(store: Store, learners: int, reviews: int) -> None:
    rng = random.Random(SEED)
    people = learner_rows(rng, learners)
    log = MemoryLog(review_rows(rng, learners, reviews))

    async def job(conn: Any) -> None:
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO communities (id, platform, external_id) VALUES ($1, 'discord', $2)",
                [(c, str(800 + c)) for c in COMMUNITIES],
            )
            await conn.copy_records_to_table("learners", records=people, columns=LEARNER_COLUMNS)
            await conn.execute("ALTER TABLE reviews DISABLE TRIGGER USER")
            for chunk in chunks(iter(log), 200_000):
                await conn.copy_records_to_table("reviews", records=chunk, columns=REVIEW_COLUMNS)
            await conn.execute("ALTER TABLE reviews ENABLE TRIGGER USER")
            await conn.execute("ALTER TABLE card_states DISABLE TRIGGER USER")
            await conn.copy_records_to_table(
                "card_states", records=list(card_rows(log, rng)), columns=CARD_COLUMNS
            )
            await conn.execute("ALTER TABLE card_states ENABLE TRIGGER USER")
            for statement in PG_BACKFILL:
                await conn.execute(statement)
            for table in ("learners", "communities", "reviews"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT MAX(id) FROM {table}))"
                )
        await conn.execute("ANALYZE")

    await store.call(job)  # type: ignore[attr-defined]


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
    backend: str
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
    backend: str, name: str, call: Callable[[], Awaitable[object]], repeats: int, note: str = ""
) -> Timing:
    await call()  # warm the caches
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - began)
    return Timing(backend, name, samples, note)


async def busiest_learner(store: Store) -> int:
    from bot.storage.script import value

    def script() -> Any:
        found = yield from value(
            "SELECT learner_id FROM community_learners WHERE community_id = ?"
            " ORDER BY reviews DESC LIMIT 1",
            BIG,
        )
        return found

    return int(await store.read(script()))


async def run_backend(
    backend: str, store: Store, learners: int, reviews: int, repeats: int
) -> list[Timing]:
    began = time.perf_counter()
    if backend == "sqlite":
        await load_sqlite(store, learners, reviews)
    else:
        await load_postgres(store, learners, reviews)
    print(
        f"{backend}: loaded {learners:,} learners, {reviews:,} reviews "
        f"in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    reports = ReportService(store, library(), FakeClock(NOW))
    big = Identity(Platform.DISCORD, str(800 + BIG))
    heavy = await busiest_learner(store)
    heavy_id = Identity(Platform.DISCORD, str(900_000_000_000_000_000 + heavy))
    viewer = Identity(Platform.DISCORD, str(900_000_000_000_000_000 + learners // 2))
    timings: list[Timing] = []
    for period in Period:
        for metric in Metric:
            timings.append(
                await measure(
                    backend,
                    f"leaderboard {metric} {period}",
                    partial(reports.leaderboard, big, period, metric, None, 3, viewer=viewer),
                    repeats,
                )
            )
        timings.append(
            await measure(
                backend,
                f"leaderboard xp {period} deck",
                partial(reports.leaderboard, big, period, Metric.XP, DECKS[0], 0, viewer=viewer),
                repeats,
            )
        )
    timings.append(
        await measure(backend, "class progress", lambda: reports.class_progress(big, None), repeats)
    )
    timings.append(
        await measure(
            backend, "class progress deck", lambda: reports.class_progress(big, DECKS[0]), repeats
        )
    )
    timings.append(
        await measure(
            backend,
            "class progress, baseline",
            lambda: reports.class_progress(big, None, with_memory=False),
            repeats,
            "without the memory figures",
        )
    )
    timings.append(
        await measure(
            backend,
            "class progress deck, baseline",
            lambda: reports.class_progress(big, DECKS[0], with_memory=False),
            repeats,
            "without the memory figures",
        )
    )
    remembered = await reports.class_memory(big, None)
    memory_cards = sum(d.cards for d in remembered)
    for deck in remembered:  # what the figures are, so a broken load shows
        print(
            f"{backend}: {deck.deck_id}: {deck.cards:,} cards, recall {deck.recall or 0:.1%},"
            f" due now {deck.due_now:,}, next 7 days {deck.due_soon:,} {deck.due_by_day},"
            f" most overdue {len(deck.at_risk)}",
            flush=True,
        )
    timings.append(
        await measure(
            backend,
            "class memory",
            lambda: reports.class_memory(big, None),
            repeats,
            f"the memory figures alone, 3 decks, {memory_cards:,} cards",
        )
    )
    timings.append(
        await measure(
            backend,
            "class memory deck",
            lambda: reports.class_memory(big, DECKS[0]),
            repeats,
            "the memory figures alone, one deck",
        )
    )
    timings.append(
        await measure(
            backend,
            "learner stats + heatmap",
            lambda: reports.learner_stats(heavy_id),
            repeats,
            "the busiest learner",
        )
    )
    timings.append(
        await measure(backend, "member stats", lambda: reports.member_stats(big, heavy_id), repeats)
    )
    timings.append(
        await measure(backend, "deck progress", lambda: reports.deck_progress(heavy_id), repeats)
    )
    exported = 0
    started = time.perf_counter()
    async for page in reports.export_pages(big):
        exported += len(page)
    spent = time.perf_counter() - started
    timings.append(
        Timing(
            backend,
            "export (whole community)",
            [spent],
            f"{exported:,} rows, {exported / spent:,.0f} rows/s",
        )
    )
    return timings


def print_table(timings: list[Timing], learners: int, reviews: int) -> None:
    width = max(len(t.name) for t in timings)
    print(f"\nRead models, {learners:,} learners, {reviews:,} reviews (largest community)")
    print(f"| {'query':<{width}} | backend  | median ms | p95 ms | note")
    print(f"|{'-' * (width + 2)}|----------|-----------|--------|-----")
    for t in sorted(timings, key=lambda t: (t.name, t.backend)):
        print(
            f"| {t.name:<{width}} | {t.backend:<8} | {t.median_ms:>9.2f} | {t.p95_ms:>6.2f} |"
            f" {t.note}"
        )


async def main_async(args: argparse.Namespace) -> None:
    learners, reviews = (10_000, 100_000) if args.quick else (args.learners, args.reviews)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    timings: list[Timing] = []
    with bench_dir("recall-queries-") as folder:
        for backend in backends:
            if backend == "sqlite":
                store = await open_store(SQLiteURL(folder / "recall.db"))
                try:
                    timings += await run_backend(backend, store, learners, reviews, args.repeats)
                finally:
                    await store.close()
            else:
                timings += await run_postgres(learners, reviews, args.repeats)
    print_table(timings, learners, reviews)


async def run_postgres(learners: int, reviews: int, repeats: int) -> list[Timing]:
    import asyncpg

    external = os.environ.get("RECALL_BENCH_POSTGRES_URL", "").strip()
    server = None
    if external:
        dsn = external
    else:
        from tests.pgserver import PgServer

        server = PgServer.start()
        admin = await asyncpg.connect(server.dsn)
        try:
            await admin.execute("CREATE DATABASE recall_bench")
        finally:
            await admin.close()
        dsn = server.dsn_for("recall_bench")
    try:
        store = await open_store(PostgresURL(dsn))
        try:
            return await run_backend("postgres", store, learners, reviews, repeats)
        finally:
            await store.close()
    finally:
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10,000 learners, 100,000 reviews")
    parser.add_argument("--repeats", type=int, default=20)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
