"""Benchmark: 10,000 learners whose daily reminder falls in the same minute, on SQLite
and on PostgreSQL in the same run (a table row each).

Run: ``.venv/bin/python -m bench.reminders_bench [--learners 10000] [--rate 50000]``

For each backend, through the real migrations and service calls, each phase on a
fresh database seeded and planned the same way:

1. **plan**: ``ReminderService.set_time`` for every learner (one transaction each, as
   ``/quiz remind set`` does); the pure planning cost (``next_reminder_at``) is
   measured once, without a database;
2. **claim**: ``claim_due`` in batches of 500 at the due minute until nothing is left;
3. **send**: the real ``ReminderLoop`` (claim, pace, record) with a fake sender that
   only records calls, at a high pacer rate to measure the pipeline's own throughput;
4. **two processes**: two stores (two connections, or two pools) on one database,
   each running a loop at the same time through one shared fake sender;
5. **production pacing**: the pacer at the configured DM rate on a simulated clock
   (the schedule it computes, not wall time): how long 10,000 DMs take and the
   largest number started in any one second.

Duplicates are counted from the fake senders' calls (same learner and local date
twice) and cross-checked against ``reminder_sends``. Learners are spread over eight
time zones, each with a local time that is the same UTC minute.

PostgreSQL: ``BENCH_POSTGRES_URL=postgresql://...`` names a server to create the
bench's databases on (dropped afterwards); without it a throwaway server is started
from the binaries on the machine (as the tests do), and the row says so if there
are none. This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import sqlite3
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from bench.workdir import bench_dir
from bot.core.clock import FakeClock
from bot.core.learner import Identity, Platform
from bot.core.reminder_planning import next_reminder_at
from bot.core.reminders import ReminderJob, SendResult
from bot.core.timezones import parse_local_time
from bot.pacing import Pacer
from bot.reminder_loop import DEFAULT_DM_RATE, ReminderLoop, production_pacer
from bot.services.reminders import ReminderService
from bot.storage import PostgresURL, SQLiteURL, Store, open_store
from bot.storage.codec import to_epoch
from bot.storage.script import Script, execute_many, value

DUE = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)  # a US spring-forward day, for good measure
PLAN_AT = DUE - timedelta(hours=1)
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
SEED = 20260308


class RecordingSender:
    """A fake Discord: records each (learner, local date) it is asked to DM."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[int, date]] = Counter()

    async def send_reminder(self, job: ReminderJob) -> SendResult:
        self.calls[(job.learner_id, job.local_date)] += 1
        return SendResult.sent()

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.calls.values())


class FakeTime:
    """Simulated monotonic time for the production-rate schedule."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def local_hhmm(zone: str) -> str:
    return DUE.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def seed(count: int) -> tuple[list[tuple[int, str]], Script[None]]:
    """Learners with zones and 0-3 due cards: (external id, zone), and the script."""
    rng = random.Random(SEED)
    people = [(user, rng.choice(ZONES)) for user in range(1, count + 1)]
    created = to_epoch(PLAN_AT - timedelta(days=30))
    due = to_epoch(PLAN_AT - timedelta(days=1))
    cards = [(user, n) for user, _ in people for n in range(rng.randint(0, 3))]

    def script() -> Script[None]:
        yield from execute_many(
            "INSERT INTO learners (id, platform, external_id, time_zone, streak, best_streak,"
            " last_active_date, created_at) VALUES (?, 'discord', ?, ?, 3, 3, '2026-03-07', ?)",
            [(user, str(user), zone, created) for user, zone in people],
        )
        yield from execute_many(
            "INSERT INTO card_states (learner_id, deck_id, card_id, state, step, stability,"
            " difficulty, due, last_review, reps, lapses) VALUES (?, 'd', ?, 2, NULL, 3.0,"
            " 5.0, ?, ?, 1, 0)",
            [(user, f"c{n}", due, due - 86400 * 3) for user, n in cards],
        )

    return people, script()


async def planned(store: Store, count: int) -> float:
    """Seed and plan everyone's reminder; the seconds ``set_time`` took in all."""
    people, script = seed(count)
    await store.write(script)
    service = ReminderService(store, FakeClock(PLAN_AT))
    started = time.perf_counter()
    for user, zone in people:
        await service.set_time(Identity(Platform.DISCORD, str(user)), local_hhmm(zone))
    return time.perf_counter() - started


def pure_planning(count: int) -> float:
    """Seconds for ``next_reminder_at`` on everyone (no database)."""
    people, _ = seed(count)
    zones = {zone: ZoneInfo(zone) for zone in ZONES}
    times = {zone: parse_local_time(local_hhmm(zone)) for zone in ZONES}
    started = time.perf_counter()
    for _, zone in people:
        next_reminder_at(times[zone], zones[zone], PLAN_AT)
    return time.perf_counter() - started


def fixed_clock() -> datetime:
    return DUE + timedelta(seconds=5)


async def claim_all(store: Store) -> tuple[float, int, int]:
    """Seconds to claim everything due at DUE; (seconds, jobs, batches)."""
    service = ReminderService(store, fixed_clock)
    jobs = batches = 0
    started = time.perf_counter()
    while await service.has_due(Platform.DISCORD):
        jobs += len(await service.claim_due(Platform.DISCORD, limit=500))
        batches += 1
    return time.perf_counter() - started, jobs, batches


async def send_all(store: Store, rate: float) -> tuple[float, RecordingSender, int]:
    """The loop over everything due; (seconds, sender, sent rows minus sender calls)."""
    sender = RecordingSender()
    pacer = Pacer(rate, jitter=0.2, max_in_flight=4)
    service = ReminderService(store, fixed_clock)
    loop = ReminderLoop(service, sender, pacer, clock=fixed_clock, batch_size=500)
    started = time.perf_counter()
    await loop.reminder_tick(drain=True)
    seconds = time.perf_counter() - started
    again = await loop.reminder_tick(drain=True)  # a second tick finds nothing
    sent = await store.read(value("SELECT COUNT(*) FROM reminder_sends WHERE status = 'sent'"))
    return seconds, sender, again.claimed + int(sent) - sum(sender.calls.values())


async def two_processes(first: Store, second: Store, rate: float) -> tuple[float, RecordingSender]:
    sender = RecordingSender()
    loops = [
        ReminderLoop(
            ReminderService(store, fixed_clock),
            sender,
            Pacer(rate, jitter=0.2, max_in_flight=4),
            clock=fixed_clock,
            batch_size=200,
        )
        for store in (first, second)
    ]
    started = time.perf_counter()
    await asyncio.gather(*(loop.reminder_tick(drain=True) for loop in loops))
    return time.perf_counter() - started, sender


@dataclass
class Result:
    """One backend's figures."""

    backend: str
    set_seconds: float = 0.0
    claim_seconds: float = 0.0
    claimed: int = 0
    batches: int = 0
    send_seconds: float = 0.0
    sent: int = 0
    duplicates: int = 0
    mismatch: int = 0
    two_seconds: float = 0.0
    two_sent: int = 0
    two_duplicates: int = 0
    skipped: str | None = None


Fresh = Callable[[], Awaitable[Callable[[], Awaitable[Store]]]]
"""Makes a new empty database; returns how to open (another) store on it."""


async def run_backend(backend: str, fresh: Fresh, count: int, rate: float) -> Result:
    result = Result(backend)
    opener = await fresh()
    store = await opener()
    try:
        result.set_seconds = await planned(store, count)
        result.claim_seconds, result.claimed, result.batches = await claim_all(store)
    finally:
        await store.close()

    opener = await fresh()
    store = await opener()
    try:
        await planned(store, count)
        result.send_seconds, sender, result.mismatch = await send_all(store, rate)
        result.sent, result.duplicates = sum(sender.calls.values()), sender.duplicates
    finally:
        await store.close()

    opener = await fresh()
    first = await opener()
    second = await opener()
    try:
        await planned(first, count)
        result.two_seconds, shared = await two_processes(first, second, rate)
        result.two_sent, result.two_duplicates = sum(shared.calls.values()), shared.duplicates
    finally:
        await first.close()
        await second.close()
    return result


def sqlite_fresh(folder: Path) -> Fresh:
    async def fresh() -> Callable[[], Awaitable[Store]]:
        url = SQLiteURL(folder / f"{uuid.uuid4().hex}.db")
        return lambda: open_store(url)

    return fresh


@contextlib.contextmanager
def postgres_server() -> Iterator[str | None]:
    """The DSN of a server to create databases on, or None when there is none."""
    given = os.environ.get("BENCH_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        from tests.pgserver import PgServer, find_binaries
    except ImportError:  # pragma: no cover - the tests folder is not installed
        yield None
        return
    if find_binaries() is None:
        yield None
        return
    with PgServer.start() as server:
        yield server.dsn


@contextlib.asynccontextmanager
async def postgres_fresh(admin_dsn: str) -> AsyncIterator[Fresh]:
    import asyncpg

    made: list[str] = []
    admin = await asyncpg.connect(admin_dsn)
    parts = urlsplit(admin_dsn)

    async def fresh() -> Callable[[], Awaitable[Store]]:
        name = f"recall_bench_{uuid.uuid4().hex[:12]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        url = PostgresURL(urlunsplit(parts._replace(path=f"/{name}")))
        return lambda: open_store(url)

    try:
        yield fresh
    finally:
        for name in made:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def production_schedule(count: int) -> tuple[float, int]:
    """Simulated seconds for ``count`` DMs at the production rate, and the worst second."""
    fake = FakeTime()
    reference = production_pacer()
    pacer = Pacer(
        reference.rate,
        jitter=reference.jitter,
        max_in_flight=reference.max_in_flight,
        clock=fake.clock,
        sleep=fake.sleep,
        rng=random.Random(SEED),
    )
    starts: list[float] = []

    async def send(_: int) -> None:
        starts.append(fake.now)

    await pacer.run(range(count), send)
    worst, low = 0, 0
    for high, t in enumerate(starts):
        while t - starts[low] >= 1.0:
            low += 1
        worst = max(worst, high - low + 1)
    return starts[-1] - starts[0], worst


def cell(value: str, width: int) -> str:
    return f" {value:>{width}} |"


COLUMNS = (
    ("backend", 10),
    ("set_time / learner", 18),
    ("claim all (500/batch)", 22),
    ("claimed", 8),
    ("send: DMs/s", 12),
    ("sent", 7),
    ("dupes", 6),
    ("DB diff", 8),
    ("2 procs: sent in", 20),
    ("2 procs dupes", 13),
)


def table_row(values: list[str]) -> str:
    return "|" + "".join(cell(v, w) for v, (_, w) in zip(values, COLUMNS, strict=True))


def result_row(r: Result, count: int) -> str:
    if r.skipped:
        return table_row([r.backend, *["–"] * (len(COLUMNS) - 2), r.skipped[:13]])
    return table_row(
        [
            r.backend,
            f"{r.set_seconds / count * 1e6:.0f} µs",
            f"{r.claim_seconds:.2f} s ({r.batches})",
            f"{r.claimed:,}",
            f"{r.sent / r.send_seconds:,.0f}/s",
            f"{r.sent:,}",
            f"{r.duplicates}",
            f"{r.mismatch}",
            f"{r.two_sent:,} in {r.two_seconds:.2f} s",
            f"{r.two_duplicates}",
        ]
    )


async def main(count: int, rate: float) -> None:
    results: list[Result] = []
    with bench_dir("recall-reminders-bench-") as folder:
        results.append(await run_backend("sqlite", sqlite_fresh(folder), count, rate))
        with postgres_server() as admin_dsn:
            if admin_dsn is None:
                results.append(Result("postgres", skipped="no server"))
            else:
                async with postgres_fresh(admin_dsn) as fresh:
                    results.append(await run_backend("postgres", fresh, count, rate))
    pure_seconds = pure_planning(count)
    prod_seconds, worst_second = await production_schedule(count)
    lines = [
        f"Recall reminders benchmark: {count:,} learners due at {DUE:%Y-%m-%d %H:%M} UTC",
        f"Python {platform.python_version()} ({sys.implementation.name}), SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} cores, {platform.machine()} "
        f"{platform.system()}; send runs' pacer at {rate:,.0f}/s with a fake sender",
        "",
        table_row([name for name, _ in COLUMNS]),
        table_row(["-" * w for _, w in COLUMNS]),
        *(result_row(r, count) for r in results),
        "",
        f"pure planning (next_reminder_at x {count:,}): {pure_seconds * 1e3:.1f} ms",
        f"production rate: {DEFAULT_DM_RATE:g} DMs/s, ±20% jitter; all {count:,} take "
        f"{prod_seconds / 60:.1f} min (simulated clock), at most {worst_second} started in any 1 s",
    ]
    print("\n".join(lines))


def cli() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=50_000.0, help="pacer rate for the send run")
    args = parser.parse_args()
    asyncio.run(main(args.learners, args.rate))


if __name__ == "__main__":
    cli()
