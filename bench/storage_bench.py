"""Storage at scale, on each backend: answer writes and due-card selection, 1,000,000
reviews vs an empty database.

Run: ``.venv/bin/python -m bench.storage_bench [--quick] [--rebuild] [--backend ...]``

For each backend (SQLite, and PostgreSQL on a throwaway server of its own, or the
one ``RECALL_BENCH_POSTGRES_URL`` names, whose role needs ``CREATEDB``) it builds a
database with 100,000 learners, 1,000,000 reviews (the roll-up triggers fill the
boards as they would in use) and the card memories those reviews left, through the
real migrations. SQLite's file is built in a temporary folder removed afterwards,
or once and kept in ``RECALL_BENCH_DATA`` when that names a folder. Then, on that
database and on an empty one, it times the service calls a click makes: grading a
revealed flashcard (``StudyService.grade_flashcard``: FSRS, review log, card memory,
XP and streak in one transaction), ``/quiz start`` (which reads the learner's card
memories), picking the due cards of a review session, and ``/quiz review`` start.
Grading is timed twice: each learner's first answer (of the day, in a one-card
session: the row the 1.2x target is read on), and later the 3rd answer of a 5-card
session, the typical click, whose learner's pages the session's earlier clicks read.
The leaderboard page and the other moderator views at the same scale are timed by
:mod:`bench.queries_bench`.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.e2e_bench import machine
from bench.workdir import bench_dir, data_dir
from bot.core.clock import FakeClock
from bot.core.errors import NothingToStudy
from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.core.session import SessionKind
from bot.decks import DeckLibrary
from bot.services.study import StudyService, Where
from bot.storage import DatabaseURL, PostgresURL, SQLiteURL, card_states, open_store
from bot.storage.codec import to_epoch
from bot.storage.schema import load_migrations
from bot.storage.script import Dialect

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SEED = 20260305
LEARNERS = 100_000
REVIEWS = 1_000_000
USER_BASE = 200_000_000_000_000_000
GUILD = 900_000_000_000_000_001
DAYS = 180
SESSION_CARDS = 5
TIMED_STEP = 2
"""The later-answer row times the 3rd answer (step 2) of a 5-card session."""
POSTGRES_URL_ENV = "RECALL_BENCH_POSTGRES_URL"
"""A running server to bench on instead of a throwaway one (its role needs CREATEDB)."""


def _cache_path(folder: Path, learners: int, reviews: int, cards: tuple[str, ...]) -> Path:
    # Rebuilt whenever the schema, the deck's cards or the generator's parameters change.
    schema = "".join(m.sql for m in load_migrations(Dialect.SQLITE))
    key = json.dumps([schema, SEED, learners, reviews, cards, DAYS, 3])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return folder / f"storage-{digest}.db"


def _learners(rng: random.Random, learners: int) -> Iterator[tuple[Any, ...]]:
    for i in range(learners):
        user = USER_BASE + i
        yield (user, "discord", str(user), rng.randint(0, 5000), 0, 5, to_epoch(NOW))


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


def _chunks(
    rows: Iterator[tuple[Any, ...]], size: int = 100_000
) -> Iterator[list[tuple[Any, ...]]]:
    while chunk := [row for _, row in zip(range(size), rows, strict=False)]:
        yield chunk


_LEARNER_COLUMNS = ("id", "platform", "external_id", "xp", "streak", "best_streak", "created_at")
_REVIEW_COLUMNS = (
    "learner_id",
    "community_id",
    "deck_id",
    "card_id",
    "kind",
    "rating",
    "correct",
    "xp",
    "was_due",
    "reviewed_at",
)


async def build_sqlite(
    path: Path, learners: int, reviews: int, deck: str, cards: tuple[str, ...]
) -> None:
    """Create the SQLite file through the real migrations, then bulk-load it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    await (await open_store(SQLiteURL(partial))).close()
    rng = random.Random(SEED)
    began = time.perf_counter()
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO communities (id, platform, external_id) VALUES (?, 'discord', ?)",
        (GUILD, str(GUILD)),
    )
    conn.executemany(
        f"INSERT INTO learners ({', '.join(_LEARNER_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        _learners(rng, learners),
    )
    conn.execute("COMMIT")
    marks = ", ".join("?" * len(_REVIEW_COLUMNS))
    for chunk in _chunks(_reviews(rng, learners, reviews, deck, cards), 100_000):
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO reviews ({', '.join(_REVIEW_COLUMNS)}) VALUES ({marks})", chunk
        )
        conn.execute("COMMIT")
    conn.execute(_SQLITE_LAST_ACTIVE)
    # The card memory each learner's reviews left: one row per (learner, card), due
    # somewhere in the month around now, so some cards are due and some are not.
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO card_states (learner_id, deck_id, card_id, state, step, stability,"
        " difficulty, due, last_review, reps, lapses)"
        " SELECT learner_id, deck_id, card_id, 2, NULL, 10.0, 5.0,"
        f" {to_epoch(NOW)} + (abs(random()) % (30 * 86400)) - 15 * 86400,"
        " MAX(reviewed_at), COUNT(*), 0 FROM reviews GROUP BY learner_id, deck_id, card_id"
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.replace(path)
    print(f"built SQLite {path.name} in {time.perf_counter() - began:.1f} s", flush=True)


_PG_ROLLUPS = (
    "INSERT INTO review_totals (community_id, learner_id, deck_id, reviews, correct, xp, last_at)"
    " SELECT community_id, learner_id, deck_id, COUNT(*), SUM(correct), SUM(xp),"
    " MAX(reviewed_at) FROM reviews WHERE community_id IS NOT NULL"
    " GROUP BY community_id, learner_id, deck_id",
    "INSERT INTO card_totals (community_id, deck_id, card_id, attempts, wrong)"
    " SELECT community_id, deck_id, card_id, COUNT(*), COUNT(*) - SUM(correct)"
    " FROM reviews WHERE community_id IS NOT NULL GROUP BY community_id, deck_id, card_id",
    "INSERT INTO community_learners (community_id, learner_id, reviews, correct, xp, last_at)"
    " SELECT community_id, learner_id, COUNT(*), SUM(correct), SUM(xp), MAX(reviewed_at)"
    " FROM reviews WHERE community_id IS NOT NULL GROUP BY community_id, learner_id",
    "INSERT INTO community_days (community_id, day, learner_id, reviews, correct, xp)"
    " SELECT community_id, reviewed_at / 86400, learner_id, COUNT(*), SUM(correct), SUM(xp)"
    " FROM reviews WHERE community_id IS NOT NULL"
    " GROUP BY community_id, reviewed_at / 86400, learner_id",
)
"""The roll-ups the V5 triggers keep, computed in one pass over the loaded reviews."""

# What their answers left on the learners who have any (bot.storage.learners
# .save_progress): the last active date, a streak of 1 and the date it is shown
# through (bot.core.streaks.alive_until: the next day, no freezes). The learners are
# loaded without them; left out, every timed first answer would grow its learner's
# row and split a page of the packed table, which a learner who has answered before
# never does (about 1.5 page-cache misses per answer at 1M reviews on SQLite).
_SQLITE_LAST_ACTIVE = (
    "UPDATE learners SET streak = 1, last_active_date = date(r.last, 'unixepoch'),"
    " streak_alive_until = date(r.last, 'unixepoch', '+1 day')"
    " FROM (SELECT learner_id, MAX(reviewed_at) AS last FROM reviews GROUP BY learner_id) r"
    " WHERE learners.id = r.learner_id"
)
_PG_LAST_ACTIVE = (
    "UPDATE learners l SET streak = 1,"
    " last_active_date = to_char(to_timestamp(r.last) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
    " streak_alive_until = to_char("
    "(to_timestamp(r.last) AT TIME ZONE 'UTC') + interval '1 day', 'YYYY-MM-DD')"
    " FROM (SELECT learner_id, max(reviewed_at) AS last FROM reviews GROUP BY learner_id) r"
    " WHERE l.id = r.learner_id"
)


async def build_postgres(
    dsn: str, learners: int, reviews: int, deck: str, cards: tuple[str, ...]
) -> None:
    """Migrate the empty database ``dsn``, then bulk-load the same rows as SQLite's
    (COPY), with the same roll-ups."""
    await (await open_store(PostgresURL(dsn))).close()
    rng = random.Random(SEED)
    began = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO communities (id, platform, external_id) VALUES ($1, 'discord', $2)",
            GUILD,
            str(GUILD),
        )
        await conn.copy_records_to_table(
            "learners", records=list(_learners(rng, learners)), columns=_LEARNER_COLUMNS
        )
        # The roll-up triggers are off for the bulk load and the roll-ups computed after
        # in one pass each (what the triggers would have left). With them on, each
        # review rewrites its card's one roll-up row, and a long load of such updates to
        # a few rows is quadratic on PostgreSQL: minutes for 20,000 reviews.
        await conn.execute("ALTER TABLE reviews DISABLE TRIGGER USER")
        for chunk in _chunks(_reviews(rng, learners, reviews, deck, cards), 100_000):
            await conn.copy_records_to_table("reviews", records=chunk, columns=_REVIEW_COLUMNS)
        await conn.execute("ALTER TABLE reviews ENABLE TRIGGER USER")
        await conn.execute(_PG_LAST_ACTIVE)
        for statement in _PG_ROLLUPS:
            await conn.execute(statement)
        await conn.execute(
            "INSERT INTO card_states (learner_id, deck_id, card_id, state, step, stability,"
            " difficulty, due, last_review, reps, lapses)"
            " SELECT learner_id, deck_id, card_id, 2, NULL, 10.0, 5.0,"
            f" {to_epoch(NOW)} + floor(random() * 30 * 86400)::bigint - 15 * 86400,"
            " MAX(reviewed_at), COUNT(*), 0 FROM reviews GROUP BY learner_id, deck_id, card_id"
        )
        # Explicit ids were given: move the identity sequences past them.
        for table in ("learners", "communities"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    print(f"built PostgreSQL database in {time.perf_counter() - began:.1f} s", flush=True)


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


def _who(user: int) -> Identity:
    return Identity(Platform.DISCORD, str(user))


HERE = Where(Identity(Platform.DISCORD, str(GUILD)), "1")
REVIEW_HERE = Where(Identity(Platform.DISCORD, str(GUILD)), "2")


async def measure(
    url: DatabaseURL, decks: DeckLibrary, users: list[int], deck: str
) -> list[Timing]:
    """Time the service's calls for ``users`` on the database ``url``."""
    store = await open_store(url)
    study = StudyService(store, decks, CardScheduler(fuzz=False), FakeClock(NOW))
    start: list[float] = []
    grade: list[float] = []
    due: list[float] = []
    review: list[float] = []
    later: list[float] = []

    async def one_answer(user: int, record: bool) -> None:
        who = _who(user)
        began = time.perf_counter()
        view = await study.start(who, HERE, deck_id=deck, kind=SessionKind.FLASHCARD, count=1)
        started = time.perf_counter()
        await study.reveal(who, view.session.id, 0)
        revealed = time.perf_counter()
        await study.grade_flashcard(who, view.session.id, 0, Grade.GOOD)
        graded = time.perf_counter()
        await store.read(card_states.due(view.session.learner_id, NOW, 20))
        if record:
            start.append(started - began)
            grade.append(graded - revealed)
            due.append(time.perf_counter() - graded)

    async def session_answers(user: int) -> None:
        # The typical answer: a learner's later click in a session, after the start and
        # the session's earlier answers (and the learner's first answer of the day,
        # timed above) have read their pages.
        who = _who(user)
        view = await study.start(
            who, HERE, deck_id=deck, kind=SessionKind.FLASHCARD, count=SESSION_CARDS
        )
        for step in range(len(view.session.queue)):
            await study.reveal(who, view.session.id, step)
            began = time.perf_counter()
            await study.grade_flashcard(who, view.session.id, step, Grade.GOOD)
            if step == TIMED_STEP:
                later.append(time.perf_counter() - began)

    try:
        await one_answer(users[0] + 7, record=False)  # warm caches; not counted
        for user in users:
            await one_answer(user, record=True)
        for user in users:
            began = time.perf_counter()
            await _review_or_nothing(study, user)
            review.append(time.perf_counter() - began)
        for user in users:
            await session_answers(user)
    finally:
        await store.close()
    return [
        Timing("grade a flashcard (one answer written)", grade),
        Timing(f"grade, answer {TIMED_STEP + 1} of a {SESSION_CARDS}-card session", later),
        Timing("/quiz start (reads the learner's memories)", start),
        Timing("due-card selection (20 most overdue)", due),
        Timing("/quiz review start (due cards + session)", review),
    ]


async def _review_or_nothing(study: StudyService, user: int) -> None:
    # Nothing due for this learner raises NothingToStudy; the query still ran in full.
    with contextlib.suppress(NothingToStudy):
        await study.start_review(_who(user), REVIEW_HERE)


@contextlib.asynccontextmanager
async def postgres_server() -> AsyncIterator[str | None]:
    """The DSN of a server to bench on (its admin database), or None when there is none."""
    external = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if external:
        yield external
        return
    from tests.pgserver import PgServer, PgServerError, find_binaries

    if find_binaries() is None:
        yield None
        return
    try:
        server = await asyncio.to_thread(PgServer.start)
    except PgServerError as error:
        print(f"PostgreSQL: could not start a throwaway server: {error}")
        yield None
        return
    try:
        yield server.dsn
    finally:
        await asyncio.to_thread(server.stop)


async def _create_database(admin_dsn: str, name: str) -> str:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{name}"))


async def _drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _print_table(backend: str, results_empty: list[Timing], results_big: list[Timing]) -> float:
    """One backend's table; returns the per-answer ratio (median)."""
    print(f"\n### {backend}")
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
        f"answer writes/s, one after another (1 / mean): empty {1 / write_empty.mean:,.0f},"
        f" 1M reviews {1 / write_big.mean:,.0f}"
    )
    return write_big.quantile(0.5) / write_empty.quantile(0.5)


async def run(args: argparse.Namespace) -> None:
    """Build or reuse the big databases, then measure each against an empty one."""
    decks, _problems = DeckLibrary.load(REPO / "content")
    deck = decks.all()[0]
    cards = tuple(c.id for c in deck.cards)
    rng = random.Random(SEED + 1)
    sample = args.answers
    # Existing learners, heavy and light alike (the Pareto draw gives both).
    big_users = list(dict.fromkeys(USER_BASE + rng.randrange(args.learners) for _ in range(sample)))
    new_users = [USER_BASE + i for i in range(sample)]
    tables: dict[str, tuple[list[Timing], list[Timing]]] = {}
    memories = 0
    with data_dir("recall-storage-data-") as folder, bench_dir("recall-storage-") as tmp:
        if "sqlite" in args.backend:
            cache = _cache_path(folder, args.learners, args.reviews, cards)
            if args.rebuild or not cache.exists():
                await build_sqlite(cache, args.learners, args.reviews, deck.id, cards)
            big = Path(tmp) / "big.db"
            shutil.copy(cache, big)
            empty = SQLiteURL(Path(tmp) / "empty.db")
            tables["SQLite (one file, WAL)"] = (
                await measure(empty, decks, new_users, deck.id),
                await measure(SQLiteURL(big), decks, big_users, deck.id),
            )
            with contextlib.closing(sqlite3.connect(big)) as conn:
                memories = conn.execute("SELECT COUNT(*) FROM card_states").fetchone()[0]
        if "postgres" in args.backend:
            async with postgres_server() as admin:
                if admin is None:
                    print(
                        "PostgreSQL: no server binaries and no RECALL_BENCH_POSTGRES_URL; skipped"
                    )
                else:
                    empty_dsn = await _create_database(admin, "recall_bench_empty")
                    big_dsn = await _create_database(admin, "recall_bench_big")
                    try:
                        await build_postgres(big_dsn, args.learners, args.reviews, deck.id, cards)
                        tables["PostgreSQL (asyncpg pool, same machine)"] = (
                            await measure(PostgresURL(empty_dsn), decks, new_users, deck.id),
                            await measure(PostgresURL(big_dsn), decks, big_users, deck.id),
                        )
                    finally:
                        await _drop_database(admin, "recall_bench_empty")
                        await _drop_database(admin, "recall_bench_big")
    print(f"\n## Storage at scale ({machine()})")
    print(
        f"{args.learners:,} learners, {args.reviews:,} reviews"
        + (f", {memories:,} card memories" if memories else "")
        + f" vs an empty database; {sample} learners each; times are whole awaited service calls"
    )
    verdicts = []
    for backend, (small, large) in tables.items():
        ratio = _print_table(backend, small, large)
        verdicts.append((backend, ratio, large[0].mean / small[0].mean))
    print()
    # The median is the typical answer; the mean also carries the occasional WAL
    # checkpoint and cold page, which a bigger file makes dearer. Both are shown.
    for backend, ratio, mean_ratio in verdicts:
        verdict = "met" if ratio <= 1.2 else "MISSED"
        print(
            f"Target {backend}: per-answer cost (median) at {args.reviews:,} reviews within"
            f" 1.2x of empty: {ratio:.2f}x  {verdict} (mean: {mean_ratio:.2f}x)"
        )
    print(
        "(/quiz review start: on the empty database nobody has anything due, so it ends"
        " early; at 1M it builds a real session. The target is read on the first answer;"
        f" answer {TIMED_STEP + 1} of a session is the typical click, shown beside it.)"
    )
    print("Leaderboard page and moderator views at this scale: see bench.queries_bench.")


def main(argv: list[str] | None = None) -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer answers timed")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached database")
    parser.add_argument("--learners", type=int, default=LEARNERS)
    parser.add_argument("--reviews", type=int, default=REVIEWS)
    parser.add_argument("--answers", type=int, default=None, help="learners timed per database")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        action="append",
        help="only this backend (repeatable; default both)",
    )
    args = parser.parse_args(argv)
    args.answers = args.answers or (150 if args.quick else 600)
    args.backend = args.backend or ["sqlite", "postgres"]
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
