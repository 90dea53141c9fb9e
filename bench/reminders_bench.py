"""Benchmark: 10,000 learners whose daily reminder falls in the same minute.

Run: ``.venv/bin/python -m bench.reminders_bench [--learners 10000] [--rate 50000]``

In a temporary SQLite file, through the real migrations and engine calls:

1. **plan**: ``ReminderService.set_time`` for every learner (one transaction each, as
   ``/quiz remind set`` does), and the pure planning cost (``next_reminder_at``);
2. **claim**: ``claim_due`` in batches at the due minute until nothing is left;
3. **send**: on a copy of the planned file, the real ``ReminderLoop`` (claim, pace,
   record) with a fake sender that only records calls, at a high pacer rate to
   measure the engine's own throughput;
4. **two processes**: on another copy, two connections each running a loop at the
   same time through one shared fake sender;
5. **production pacing**: the pacer at the configured DM rate on a simulated clock
   (the schedule it computes, not wall time): how long 10,000 DMs take and the
   largest number started in any one second.

Duplicates are counted from the fake senders' calls (same learner and local date
twice) and cross-checked against ``reminder_sends``. Learners are spread over eight
time zones, each with a local time that is the same UTC minute.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.workdir import bench_dir
from bot.core.reminder_planning import next_reminder_at
from bot.core.timezones import parse_local_time
from bot.pacing import Pacer
from bot.reminder_loop import DEFAULT_DM_RATE, ReminderLoop, production_pacer
from bot.reminders import ReminderJob, ReminderService, SendResult
from bot.storage import Database
from bot.storage.codec import to_epoch

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
        self.calls[(job.user_id, job.local_date)] += 1
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


async def seed_learners(db: Database, count: int) -> list[tuple[int, str]]:
    """Learners with zones and 0-3 due cards; returns (user, zone)."""
    rng = random.Random(SEED)
    people = [(user, rng.choice(ZONES)) for user in range(1, count + 1)]
    created = to_epoch(PLAN_AT - timedelta(days=30))
    await db.executemany(
        "INSERT INTO learners (user_id, time_zone, streak, best_streak, last_active_date,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(user, zone, 3, 3, "2026-03-07", created) for user, zone in people],
    )
    due = to_epoch(PLAN_AT - timedelta(days=1))
    await db.executemany(
        "INSERT INTO card_states (user_id, deck_id, card_id, state, step, stability,"
        " difficulty, due, last_review, reps, lapses) VALUES (?, 'd', ?, 2, NULL, 3.0, 5.0,"
        " ?, ?, 1, 0)",
        [
            (user, f"c{n}", due, due - 86400 * 3)
            for user, _ in people
            for n in range(rng.randint(0, 3))
        ],
    )
    return people


async def plan(db: Database, people: list[tuple[int, str]]) -> tuple[float, float]:
    """Seconds for set_time on everyone, and for the pure next_reminder_at calls."""
    service = ReminderService(db)
    started = time.perf_counter()
    for user, zone in people:
        await service.set_time(user, local_hhmm(zone), PLAN_AT)
    set_seconds = time.perf_counter() - started
    zones = {zone: ZoneInfo(zone) for zone in ZONES}
    times = {zone: parse_local_time(local_hhmm(zone)) for zone in ZONES}
    started = time.perf_counter()
    for _, zone in people:
        next_reminder_at(times[zone], zones[zone], PLAN_AT)
    pure_seconds = time.perf_counter() - started
    return set_seconds, pure_seconds


async def claim_all(db: Database) -> tuple[float, int, int]:
    """Seconds to claim everything due at DUE; (seconds, jobs, batches)."""
    service = ReminderService(db)
    jobs = batches = 0
    started = time.perf_counter()
    while await service.has_due(DUE):
        jobs += len(await service.claim_due(DUE, limit=500))
        batches += 1
    return time.perf_counter() - started, jobs, batches


def fixed_clock() -> datetime:
    return DUE + timedelta(seconds=5)


async def send_all(path: Path, rate: float) -> tuple[float, RecordingSender, Pacer, int]:
    db = await Database.open(path)
    try:
        sender = RecordingSender()
        pacer = Pacer(rate, jitter=0.2, max_in_flight=4)
        loop = ReminderLoop(ReminderService(db), sender, pacer, clock=fixed_clock, batch_size=500)
        started = time.perf_counter()
        await loop.reminder_tick(drain=True)
        seconds = time.perf_counter() - started
        again = await loop.reminder_tick(drain=True)  # a second tick finds nothing
        rows = await db.fetchone("SELECT COUNT(*) FROM reminder_sends WHERE status = 'sent'")
        assert rows is not None
        return seconds, sender, pacer, again.claimed + int(rows[0]) - len(sender.calls)
    finally:
        await db.close()


async def two_processes(path: Path, rate: float) -> tuple[float, RecordingSender]:
    first, second = await Database.open(path), await Database.open(path)
    try:
        sender = RecordingSender()
        loops = [
            ReminderLoop(
                ReminderService(db),
                sender,
                Pacer(rate, jitter=0.2, max_in_flight=4),
                clock=fixed_clock,
                batch_size=200,
            )
            for db in (first, second)
        ]
        started = time.perf_counter()
        await asyncio.gather(*(loop.reminder_tick(drain=True) for loop in loops))
        return time.perf_counter() - started, sender
    finally:
        await first.close()
        await second.close()


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


def row(label: str, value: str) -> str:
    return f"| {label:<46} | {value:>24} |"


async def main(count: int, rate: float) -> None:
    with bench_dir("recall-reminders-bench-") as folder:
        base = folder / "planned.db"
        db = await Database.open(base)
        people = await seed_learners(db, count)
        set_seconds, pure_seconds = await plan(db, people)
        await db.close()  # checkpoints the WAL, so the file can be copied
        for name in ("send.db", "two.db"):
            shutil.copy(base, folder / name)

        db = await Database.open(base)
        claim_seconds, claimed, batches = await claim_all(db)
        await db.close()

        send_seconds, sender, pacer, mismatch = await send_all(folder / "send.db", rate)
        two_seconds, shared = await two_processes(folder / "two.db", rate)
        prod_seconds, worst_second = await production_schedule(count)

    sent = len(sender.calls)
    lines = [
        f"Recall reminders benchmark: {count:,} learners due at {DUE:%Y-%m-%d %H:%M} UTC",
        f"Python {platform.python_version()} ({sys.implementation.name}), SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} cores, {platform.machine()} "
        f"{platform.system()}",
        "",
        row("measure", "result"),
        row("-" * 46, "-" * 24),
        row("plan: set_time x learners (1 transaction each)", f"{set_seconds:.2f} s"),
        row("plan: per learner", f"{set_seconds / count * 1e6:.0f} µs"),
        row("plan: pure next_reminder_at x learners", f"{pure_seconds * 1e3:.1f} ms"),
        row("claim all due (batches of 500)", f"{claim_seconds:.2f} s ({batches} batches)"),
        row("claimed (jobs to send; rest skipped)", f"{claimed:,}"),
        row(f"send: pacer at {rate:,.0f}/s, fake sender", f"{send_seconds:.2f} s"),
        row("send: DMs sent", f"{sent:,}"),
        row("send: sends per second (claim+pace+record)", f"{sent / send_seconds:,.0f}/s"),
        row("send: duplicates", f"{sender.duplicates}"),
        row("send: DB 'sent' rows vs sender calls (diff)", f"{mismatch}"),
        row("two processes: DMs sent", f"{len(shared.calls):,} in {two_seconds:.2f} s"),
        row("two processes: duplicates", f"{shared.duplicates}"),
        row("production rate (configured)", f"{DEFAULT_DM_RATE:g} DMs/s, ±20% jitter"),
        row("production: time for all (simulated clock)", f"{prod_seconds / 60:.1f} min"),
        row("production: most DMs started in any 1 s", f"{worst_second}"),
        row("pacer stats (send run)", f"{pacer.stats.delivered:,} ok, {pacer.stats.failed} failed"),
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
