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
to 3 s), it samples the bot process's RSS with psutil, and it reads the process's CPU
time (all threads) per interaction, which is steadier than throughput when another
job shares the machine.

``--learners 100 --bot recall --seconds 20`` runs a part; ``--py-spy PATH`` profiles
each bot under load with a py-spy executable kept outside the project (for example
``pip install --target /tmp/pyspy py-spy``) and writes ``e2e-<bot>.speedscope.json``.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the dev extras

from bench.workdir import bench_dir
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
    cpu_seconds: float = 0.0
    """CPU time (user + system, all threads) the bot process used during the phase."""

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of the latencies, in seconds (nearest rank)."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

    @property
    def throughput(self) -> float:
        """Answers (grade clicks) per second over the whole phase."""
        return self.answers / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_interaction(self) -> float:
        """The bot's CPU seconds per interaction: steadier than throughput on a busy machine."""
        return self.cpu_seconds / len(self.latencies) if self.latencies else 0.0

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
    process = psutil.Process(pid)
    cpu_before = process.cpu_times()
    began = time.monotonic()
    await asyncio.gather(*(learner(user) for user in users))
    result.seconds = time.monotonic() - began
    cpu_after = process.cpu_times()
    result.cpu_seconds = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    stop.set()
    await sampler
    result.peak_rss = peak[0]
    return result


def start_profiler(py_spy: str, pid: int, out: Path) -> subprocess.Popen[bytes]:
    """``py-spy record`` of the bot process (all threads, idle time left out)."""
    command = [py_spy, "record", "--pid", str(pid), "--threads", "--rate", "250"]
    command += ["--format", "speedscope", "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(profiler: subprocess.Popen[bytes]) -> None:
    """Stop py-spy (SIGINT makes it write its output) and wait for the file."""
    profiler.send_signal(2)
    try:
        profiler.wait(timeout=60)
    except subprocess.TimeoutExpired:
        profiler.kill()


async def bench_bot(
    bot: str,
    module: str,
    seconds: float,
    tmp: Path,
    learners: Sequence[int] = LEARNERS,
    py_spy: str | None = None,
) -> list[PhaseResult]:
    """Start one bot process and run every load against it.

    With ``py_spy`` (the path of a py-spy executable), the loads are profiled and the
    profile written to the current directory as ``e2e-<bot>.speedscope.json``.
    """
    fake = FakeDiscord()
    hall = build_study_hall(fake)
    users = [fake.add_member(hall.guild, f"learner{n}").user for n in range(max(learners))]
    # The bench measures lateness itself; the fake must not refuse late callbacks.
    fake.interaction_timeout = None
    await fake.start()
    try:
        process = await start_bot_process(
            fake, hall.guild.id, tmp / f"{bot}.db", module=module, quiet=True
        )
        try:
            await load(fake, users[:10], 1.0, process.pid, bot)  # warm-up, not reported
            profiler = None
            if py_spy is not None:
                out = Path.cwd() / f"e2e-{bot}.speedscope.json"
                profiler = start_profiler(py_spy, process.pid, out)
            try:
                return [await load(fake, users[:n], seconds, process.pid, bot) for n in learners]
            finally:
                if profiler is not None:
                    stop_profiler(profiler)
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


def print_tables(
    results: dict[str, list[PhaseResult]], seconds: float, learners: Sequence[int] = LEARNERS
) -> None:
    """The latency/throughput table, the ratios and the targets (those that were run)."""
    print(f"\n## End to end: bot process vs bare discord.py bot ({machine()})")
    print(
        f"closed loop, flashcard sessions of {CARDS} cards, {seconds:g} s per load; latency ="
        " gateway dispatch -> first callback"
    )
    header = (
        f"{'learners':>8}  {'bot':<6} {'interactions':>12} {'p50 ms':>9} {'p95 ms':>9}"
        f" {'p99 ms':>9} {'max ms':>9} {'answers/s':>10} {'late>3s':>8} {'peak RSS MB':>12}"
        f" {'CPU ms/int':>10}"
    )
    print(header)
    print("-" * len(header))
    for index, n in enumerate(learners):
        for bot in results:
            r = results[bot][index]
            print(
                f"{n:>8}  {bot:<6} {len(r.latencies):>12,} {ms(r.percentile(0.5)):>9}"
                f" {ms(r.percentile(0.95)):>9} {ms(r.percentile(0.99)):>9}"
                f" {ms(max(r.latencies)):>9} {r.throughput:>10,.1f} {r.late:>8}"
                f" {r.peak_rss / 2**20:>12,.1f} {r.cpu_per_interaction * 1000:>10.2f}"
            )
    if set(results) != {"recall", "bare"}:
        return
    print("\nRecall / bare (overhead; lower latency ratio and higher throughput ratio are better)")
    print(f"{'learners':>8}  {'p50 x':>7} {'p99 x':>7} {'throughput x':>13} {'CPU/int x':>10}")
    for index, n in enumerate(learners):
        ours, bare = results["recall"][index], results["bare"][index]
        print(
            f"{n:>8}  {ours.percentile(0.5) / bare.percentile(0.5):>7.2f}"
            f" {ours.percentile(0.99) / bare.percentile(0.99):>7.2f}"
            f" {ours.throughput / bare.throughput:>13.2f}"
            f" {ours.cpu_per_interaction / bare.cpu_per_interaction:>10.2f}"
        )
    at = dict(zip(learners, zip(results["recall"], results["bare"], strict=True), strict=True))
    if 100 not in at or 400 not in at:
        return
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


MODULES = {"recall": "bot", "bare": "bench.bare_bot"}


async def run(
    seconds: float,
    learners: Sequence[int] = LEARNERS,
    bots: Sequence[str] = tuple(MODULES),
    py_spy: str | None = None,
) -> dict[str, list[PhaseResult]]:
    """The bots one after the other (never at once: they would share the 2 cores)."""
    with bench_dir("recall-e2e-") as tmp:
        return {
            bot: await bench_bot(bot, MODULES[bot], seconds, tmp, learners, py_spy) for bot in bots
        }


def main(argv: list[str] | None = None) -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 s per load instead of 10 s")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per load")
    parser.add_argument(
        "--learners",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        default=LEARNERS,
        help="comma-separated loads (default 25,100,400; targets need 100 and 400)",
    )
    parser.add_argument(
        "--bot", choices=tuple(MODULES), action="append", help="run only this bot (repeatable)"
    )
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="profile each bot under load with this py-spy executable"
        " (writes e2e-<bot>.speedscope.json)",
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    bots = tuple(args.bot or MODULES)
    results = asyncio.run(run(seconds, args.learners, bots, args.py_spy))
    print_tables(results, seconds, args.learners)


if __name__ == "__main__":
    main()
