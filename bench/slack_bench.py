"""Slack end to end: the Recall Slack app against the fake Slack, and a bare bolt floor.

Run: ``.venv/bin/python -m bench.slack_bench [--quick]``

For each app — Recall (``python -m bot slack``, on a fresh SQLite file and on a
fresh PostgreSQL database, ``--database``) and the bare slack-bolt app of
:mod:`bench.bare_slack` (same command and buttons, fixed text, no database, no
engine) — it starts the app as its own process against one fake
Slack on 127.0.0.1 (Web API and Socket Mode; :mod:`tests.fakeslack.process` gives
it the environment a user puts in ``.env``, pointing at the fake), then runs 100
concurrent learners (``--learners``). Each learner runs flashcard sessions back
to back (``/quiz start kind:flashcard count:5``, then Reveal answer and Good on
the DM message until the summary) and clicks as soon as the previous step showed
(a closed loop), so on a small machine absolute latencies mostly measure
queueing; the ratios to the bare app are what matter. Per interaction it
records, on the fake's clock, the time from sending the Socket Mode envelope to
the app's ack (what Slack holds to 3 s) and to the visible result (the DM
message posted or updated); it samples the app process's RSS and reads its CPU
time per interaction, and this process's (the fake and the learners; "fake
ms/int"), which shares the cores with the app. slack-bolt's async runner polls
for the ack every 10 ms, so no app acks faster than that.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the dev extras

from bench.e2e_bench import machine, ms, percentile, postgres, sample_rss
from bench.workdir import bench_dir
from tests.fakeslack import FakeSlack, FakeUser
from tests.fakeslack.process import APP_TOKEN, BOT_TOKEN, start_app_process, stop_app_process
from tests.fakeslack.session_driver import GRADES, run_session

LEARNERS = (100,)
CARDS = 5
"""Flashcards per session: 1 start + 5 x (reveal + grade) = 11 interactions."""
DEADLINE = 3.0
"""Slack's limit for acknowledging an envelope, in seconds."""
DATABASES = ("sqlite", "postgres")
MODULES = {
    "bare": ["-m", "bench.bare_slack"],
    "recall": ["-m", "bot", "slack"],
}


def recall_available() -> bool:
    """True once the Slack front end (``slackapp``, branch i-slack) is on this tree."""
    return importlib.util.find_spec("slackapp") is not None


@dataclass
class PhaseResult:
    """One app under one load."""

    app: str
    learners: int
    acks: list[float] = field(default_factory=list)
    """Envelope → ack, seconds on the fake's clock."""
    done: list[float] = field(default_factory=list)
    """Envelope → the DM message posted or updated."""
    answers: int = 0
    sessions: int = 0
    seconds: float = 0.0
    peak_rss: int = 0
    cpu_seconds: float = 0.0
    fake_cpu_seconds: float = 0.0
    """CPU time of this process (the fake Slack and the learners) during the phase."""
    errors: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        """Answers (grade clicks) per second over the whole phase."""
        return self.answers / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_interaction(self) -> float:
        """The app's CPU seconds per interaction."""
        return self.cpu_seconds / len(self.acks) if self.acks else 0.0

    @property
    def late(self) -> int:
        """Envelopes acknowledged after Slack's 3 s."""
        return sum(1 for s in self.acks if s > DEADLINE)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (all threads)."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def load(
    fake: FakeSlack, users: Sequence[FakeUser], seconds: float, pid: int, app: str
) -> PhaseResult:
    """``len(users)`` learners studying in a closed loop for about ``seconds``."""
    result = PhaseResult(app, len(users))
    deadline = time.monotonic() + seconds

    async def learner(user: FakeUser) -> None:
        while time.monotonic() < deadline:
            try:
                run = await run_session(fake, user, f"start kind:flashcard count:{CARDS}")
            except AssertionError as exc:  # a timeout: report it, keep the others going
                result.errors.append(f"{user.name}: {str(exc)[:200]}")
                return
            result.acks.extend(step.ack_seconds for step in run.steps)
            result.done.extend(step.done_seconds for step in run.steps)
            result.answers += sum(1 for step in run.steps if step.action in GRADES)
            result.sessions += int(run.finished)

    peak, stop = [0], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, peak, stop))
    cpu_before, fake_before = cpu_seconds(pid), cpu_seconds(os.getpid())
    began = time.monotonic()
    await asyncio.gather(*(learner(user) for user in users))
    result.seconds = time.monotonic() - began
    result.cpu_seconds = cpu_seconds(pid) - cpu_before
    result.fake_cpu_seconds = cpu_seconds(os.getpid()) - fake_before
    stop.set()
    await sampler
    result.peak_rss = peak[0]
    return result


async def bench_app(
    app: str,
    module: str,
    seconds: float,
    tmp: Path,
    learners: Sequence[int] = LEARNERS,
    database: str | None = None,
) -> list[PhaseResult]:
    """Start one app process (``MODULES[module]``) against a fresh fake Slack and run
    every load; ``database`` is a DSN (default: a SQLite file in ``tmp``)."""
    fake = FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    users = [fake.add_user(f"learner{n}") for n in range(max(learners))]
    await fake.start()
    try:
        process = await start_app_process(
            fake, MODULES[module], database or f"sqlite:///{tmp / f'{app}.db'}"
        )
        try:
            await load(fake, users[:5], 1.0, process.pid, app)  # warm-up, not reported
            return [await load(fake, users[:n], seconds, process.pid, app) for n in learners]
        finally:
            await stop_app_process(process)
            problems = fake.problems()
            if problems:  # a bench run that pinged someone would be a bug worth seeing
                print(
                    f"{app}: the fake's check found {len(problems)} problems, first: {problems[0]}"
                )
    finally:
        await fake.stop()


def print_tables(results: dict[str, list[PhaseResult]], seconds: float) -> None:
    """The ack/step latency table and the ratios to the bare app."""
    print(f"\n## Slack end to end: app process vs bare slack-bolt app ({machine()})")
    print(
        f"closed loop, flashcard sessions of {CARDS} cards, {seconds:g} s per load; ack ="
        " envelope -> ack, step = envelope -> DM message posted/updated (fake's clock)"
    )
    header = (
        f"{'learners':>8}  {'app':<9} {'interactions':>12} {'ack p50':>8} {'ack p99':>8}"
        f" {'ack max':>8} {'step p50':>9} {'step p99':>9} {'late>3s':>8} {'answers/s':>10}"
        f" {'peak RSS MB':>12} {'CPU ms/int':>10} {'fake ms/int':>11} {'errors':>6}"
    )
    print(header)
    print("-" * len(header))
    rows = max(len(r) for r in results.values())
    for index in range(rows):
        for app, phases in results.items():
            r = phases[index]
            print(
                f"{r.learners:>8}  {app:<9} {len(r.acks):>12,} {ms(percentile(r.acks, 0.5)):>8}"
                f" {ms(percentile(r.acks, 0.99)):>8} {ms(max(r.acks, default=0.0)):>8}"
                f" {ms(percentile(r.done, 0.5)):>9} {ms(percentile(r.done, 0.99)):>9}"
                f" {r.late:>8} {r.throughput:>10,.1f} {r.peak_rss / 2**20:>12,.1f}"
                f" {r.cpu_per_interaction * 1000:>10.2f}"
                f" {r.fake_cpu_seconds * 1000 / max(1, len(r.acks)):>11.2f} {len(r.errors):>6}"
            )
            for error in r.errors[:3]:
                print(f"          {app} error: {error}")
    if "bare" not in results:
        return
    for variant in (app for app in results if app != "bare"):
        print(f"\n{variant} / bare (lower latency ratios and a higher throughput ratio are better)")
        print(
            f"{'learners':>8}  {'ack p50 x':>9} {'ack p99 x':>9} {'step p99 x':>10}"
            f" {'throughput x':>13} {'CPU/int x':>10}"
        )
        for ours, bare in zip(results[variant], results["bare"], strict=True):
            print(
                f"{ours.learners:>8}"
                f"  {ratio(percentile(ours.acks, 0.5), percentile(bare.acks, 0.5)):>9}"
                f" {ratio(percentile(ours.acks, 0.99), percentile(bare.acks, 0.99)):>9}"
                f" {ratio(percentile(ours.done, 0.99), percentile(bare.done, 0.99)):>10}"
                f" {ratio(ours.throughput, bare.throughput):>13}"
                f" {ratio(ours.cpu_per_interaction, bare.cpu_per_interaction):>10}"
            )


def ratio(a: float, b: float) -> str:
    """``a / b`` for a table cell."""
    return f"{a / b:.2f}" if b else "n/a"


async def run(
    seconds: float,
    learners: Sequence[int],
    apps: Sequence[str],
    databases: Sequence[str] = DATABASES,
) -> dict[str, list[PhaseResult]]:
    """The apps one after the other (never at once: they would share the cores).

    Recall runs once per database: ``recall`` on SQLite, ``recall-pg`` on PostgreSQL
    (a throwaway server, or ``RECALL_BENCH_POSTGRES_URL``; see bench.e2e_bench).
    """
    results: dict[str, list[PhaseResult]] = {}
    with bench_dir("recall-slack-") as tmp:
        async with contextlib.AsyncExitStack() as stack:
            for app in apps:
                if app == "bare":
                    results[app] = await bench_app(app, app, seconds, tmp, learners)
                    continue
                if not recall_available():
                    # A tree without the Slack front end (slackapp) benches the bare app.
                    print("recall: skipped, the Slack front end (slackapp) is not on this tree")
                    continue
                for database in databases:
                    if database == "sqlite":
                        results["recall"] = await bench_app("recall", app, seconds, tmp, learners)
                        continue
                    pg = await stack.enter_async_context(postgres())
                    results["recall-pg"] = await bench_app(
                        "recall-pg", app, seconds, tmp, learners, await pg.create()
                    )
    return results


def main(argv: list[str] | None = None) -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 s per load instead of 10 s")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per load")
    parser.add_argument(
        "--learners",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        default=LEARNERS,
        help="comma-separated loads (default 100)",
    )
    parser.add_argument(
        "--app", choices=tuple(MODULES), action="append", help="run only this app (repeatable)"
    )
    parser.add_argument(
        "--database",
        choices=DATABASES,
        action="append",
        help="Recall's database (repeatable; default both: sqlite and postgres)",
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    databases = tuple(args.database or DATABASES)
    results = asyncio.run(run(seconds, args.learners, tuple(args.app or MODULES), databases))
    if results:
        print_tables(results, seconds)


if __name__ == "__main__":
    main()
