"""End-to-end load: the real bot process against the fake Discord, and a bare floor.

Run: ``.venv/bin/python -m bench.e2e_bench [--quick]``

For each bot — Recall (``python -m bot``, a fresh SQLite file) and the bare
discord.py bot of :mod:`bench.bare_bot` (same command and buttons, fixed text, no
database, no engine) — it starts the bot as its own process against one fake
Discord on 127.0.0.1, then runs 25, 100 and 400 concurrent learners. Each learner
runs flashcard sessions back to back and clicks as soon as the previous reply
arrived (a closed loop), so on a small machine absolute latencies mostly measure
queueing; the ratios to the bare bot are what matter. Per interaction it records
the time from the gateway dispatch to the bot's first callback (what Discord holds
to 3 s), and it samples the bot process's RSS with psutil.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the dev extras

from tests.fakediscord import FakeDiscord, FakeUser
from tests.fakediscord.__main__ import start_bot_process, stop_bot_process
from tests.fakediscord.fixtures import build_study_hall
from tests.fakediscord.session_driver import GRADES, run_session

LEARNERS = (25, 100, 400)
CARDS = 5
"""Flashcards per session: 1 start + 5 x (reveal + grade) = 11 interactions."""
DEADLINE = 3.0
"""Discord's limit for the first callback, in seconds."""


@dataclass
class PhaseResult:
    """One bot under one load."""

    bot: str
    learners: int
    latencies: list[float] = field(default_factory=list)
    answers: int = 0
    seconds: float = 0.0
    peak_rss: int = 0

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of the latencies, in seconds (nearest rank)."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

    @property
    def throughput(self) -> float:
        """Answers (grade clicks) per second over the whole phase."""
        return self.answers / self.seconds if self.seconds else 0.0

    @property
    def late(self) -> int:
        """Interactions acknowledged after Discord's 3 s."""
        return sum(1 for s in self.latencies if s > DEADLINE)


async def sample_rss(pid: int, peak: list[int], stop: asyncio.Event) -> None:
    """Keep the highest RSS of ``pid`` seen until ``stop`` is set."""
    process = psutil.Process(pid)
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        try:
            async with asyncio.timeout(0.05):
                await stop.wait()
        except TimeoutError:
            pass


async def load(
    fake: FakeDiscord, users: list[FakeUser], seconds: float, pid: int, bot: str
) -> PhaseResult:
    """``len(users)`` learners studying in a closed loop for about ``seconds``."""
    result = PhaseResult(bot, len(users))
    deadline = time.monotonic() + seconds

    async def learner(user: FakeUser) -> None:
        while time.monotonic() < deadline:
            run = await run_session(fake, user, {"kind": "flashcard", "count": CARDS}, timeout=60)
            result.latencies.extend(step.seconds for step in run.timings)
            result.answers += sum(1 for step in run.timings if step.action in GRADES)

    peak, stop = [0], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, peak, stop))
    began = time.monotonic()
    await asyncio.gather(*(learner(user) for user in users))
    result.seconds = time.monotonic() - began
    stop.set()
    await sampler
    result.peak_rss = peak[0]
    return result


async def bench_bot(bot: str, module: str, seconds: float, tmp: Path) -> list[PhaseResult]:
    """Start one bot process and run every load against it."""
    fake = FakeDiscord()
    hall = build_study_hall(fake)
    users = [fake.add_member(hall.guild, f"learner{n}").user for n in range(max(LEARNERS))]
    # The bench measures lateness itself; the fake must not refuse late callbacks.
    fake.interaction_timeout = None
    await fake.start()
    try:
        process = await start_bot_process(
            fake, hall.guild.id, tmp / f"{bot}.db", module=module, quiet=True
        )
        try:
            await load(fake, users[:10], 1.0, process.pid, bot)  # warm-up, not reported
            return [await load(fake, users[:n], seconds, process.pid, bot) for n in LEARNERS]
        finally:
            await stop_bot_process(process)
    finally:
        await fake.stop()


def machine() -> str:
    """Cores, Python and OS, printed with every table."""
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for a table cell."""
    return f"{seconds * 1000:,.1f}"


def print_tables(results: dict[str, list[PhaseResult]], seconds: float) -> None:
    """The latency/throughput table, the ratios and the targets."""
    print(f"\n## End to end: bot process vs bare discord.py bot ({machine()})")
    print(
        f"closed loop, flashcard sessions of {CARDS} cards, {seconds:g} s per load; latency ="
        " gateway dispatch -> first callback"
    )
    header = (
        f"{'learners':>8}  {'bot':<6} {'interactions':>12} {'p50 ms':>9} {'p95 ms':>9}"
        f" {'p99 ms':>9} {'max ms':>9} {'answers/s':>10} {'late>3s':>8} {'peak RSS MB':>12}"
    )
    print(header)
    print("-" * len(header))
    for index, n in enumerate(LEARNERS):
        for bot in ("recall", "bare"):
            r = results[bot][index]
            print(
                f"{n:>8}  {bot:<6} {len(r.latencies):>12,} {ms(r.percentile(0.5)):>9}"
                f" {ms(r.percentile(0.95)):>9} {ms(r.percentile(0.99)):>9}"
                f" {ms(max(r.latencies)):>9} {r.throughput:>10,.1f} {r.late:>8}"
                f" {r.peak_rss / 2**20:>12,.1f}"
            )
    print("\nRecall / bare (overhead; lower latency ratio and higher throughput ratio are better)")
    print(f"{'learners':>8}  {'p50 x':>7} {'p99 x':>7} {'throughput x':>13}")
    for index, n in enumerate(LEARNERS):
        ours, bare = results["recall"][index], results["bare"][index]
        print(
            f"{n:>8}  {ours.percentile(0.5) / bare.percentile(0.5):>7.2f}"
            f" {ours.percentile(0.99) / bare.percentile(0.99):>7.2f}"
            f" {ours.throughput / bare.throughput:>13.2f}"
        )
    at = dict(zip(LEARNERS, zip(results["recall"], results["bare"], strict=True), strict=True))
    ours100, bare100 = at[100]
    ours400 = at[400][0]
    p99_ratio = ours100.percentile(0.99) / bare100.percentile(0.99)
    tp_ratio = ours100.throughput / bare100.throughput
    print("\nTargets")
    print(
        f"  100 learners, p99 <= 2x bare: {p99_ratio:.2f}x  {'met' if p99_ratio <= 2 else 'MISSED'}"
    )
    print(
        f"  100 learners, throughput >= 0.5x bare: {tp_ratio:.2f}x"
        f"  {'met' if tp_ratio >= 0.5 else 'MISSED'}"
    )
    print(
        f"  400 learners, none later than 3 s: max {ms(max(ours400.latencies))} ms,"
        f" {ours400.late} late  {'met' if ours400.late == 0 else 'MISSED'}"
    )
    print(f"  peak RSS of the bot at 400 concurrent sessions: {ours400.peak_rss / 2**20:,.1f} MB")


async def run(seconds: float) -> dict[str, list[PhaseResult]]:
    """Both bots, one after the other (never at once: they would share the 2 cores)."""
    with tempfile.TemporaryDirectory(prefix="recall-e2e-") as tmp:
        return {
            "recall": await bench_bot("recall", "bot", seconds, Path(tmp)),
            "bare": await bench_bot("bare", "bench.bare_bot", seconds, Path(tmp)),
        }


def main(argv: list[str] | None = None) -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 s per load instead of 10 s")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per load")
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    results = asyncio.run(run(seconds))
    print_tables(results, seconds)


if __name__ == "__main__":
    main()
