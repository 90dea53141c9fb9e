"""A channel game under a crowd: 200 members answering one round within 2 s.

Run: ``.venv/bin/python -m bench.games_bench [--members 200] [--spread 2]
[--database sqlite|postgres]``

The real bot process (``python -m bot``, its round loop and edit pacing as in
production) runs against the fake Discord on 127.0.0.1. One member starts
``/quiz game`` (one question, 10 s); then every member clicks an option, the clicks
spread evenly over ``--spread`` seconds, each as soon as its time comes (open loop:
a slow reply does not slow the next click). Per click it records the time from the
gateway dispatch to the bot's first callback (Discord's 3 s). From the fake's
request log it counts the edits of the game's message: in all, and the most inside
any one second. It then reads the database: one answer and one review per member.
The bare discord.py bot of :mod:`bench.bare_bot` answers the same clicks with the
same private text and no database, measured in the same run: the floor.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.e2e_bench import PostgresDatabases, postgres
from bench.workdir import bench_dir
from tests.fakediscord import FakeDiscord, FakeUser
from tests.fakediscord.__main__ import start_bot_process, stop_bot_process
from tests.fakediscord.fixtures import build_study_hall
from tests.fakediscord.models import FakeMessage

DECK = "django-wsgi-asgi"
DEADLINE = 3.0
"""Discord's limit for the first callback, in seconds."""
ROUND_SECONDS = 10
MODULES = {"recall": "bot", "bare": "bench.bare_bot"}


@dataclass
class Run:
    """One bot answering one crowd."""

    bot: str
    database: str
    members: int
    latencies: list[float] = field(default_factory=list)
    confirmed: int = 0
    """Clicks answered ``Answer locked in: …``."""
    edit_times: list[float] = field(default_factory=list)
    """When each edit of the game's message reached the fake (monotonic seconds)."""
    reviews: int | None = None
    answers: int | None = None
    count_shown: str = "-"
    """The public count once the edits settled."""
    settled_after: float | None = None
    """Seconds from the first click until the message showed every answer."""
    board: bool | None = None
    """The round's result and the board were shown after the deadline."""

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of the latencies, in seconds (nearest rank)."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

    @property
    def late(self) -> int:
        """Clicks acknowledged after 3 s."""
        return sum(1 for s in self.latencies if s > DEADLINE)

    @property
    def max_edits_per_second(self) -> int:
        """The most edits of the game message inside any window of one second."""
        times = sorted(self.edit_times)
        best = 0
        start = 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best


def option_ids(message: FakeMessage) -> list[str]:
    """The custom ids of the message's option buttons (not Stop game)."""
    return [
        str(c["custom_id"])
        for c in message.iter_components()
        if c.get("type") == 2 and str(c.get("label", ""))[:4] in ("A · ", "B · ", "C · ", "D · ")
    ]


def answered_field(message: FakeMessage) -> str:
    """The game message's "N answered", or "-"."""
    for item in message.embeds:
        for entry in item.get("fields", []):
            if entry.get("name") == "Answers":
                return str(entry["value"])
    return "-"


async def count_rows(database: str | Path) -> tuple[int, int]:
    """(reviews, game answers) in the bot's database."""
    if isinstance(database, Path):
        with sqlite3.connect(database) as lite:
            reviews = lite.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
            answers = lite.execute("SELECT COUNT(*) FROM game_answers").fetchone()[0]
        return int(reviews), int(answers)
    pg = await asyncpg.connect(database)
    try:
        reviews = await pg.fetchval("SELECT COUNT(*) FROM reviews")
        answers = await pg.fetchval("SELECT COUNT(*) FROM game_answers")
    finally:
        await pg.close()
    return int(reviews), int(answers)


async def run_one(bot: str, database: str | Path, label: str, members: int, spread: float) -> Run:
    """Start a fake Discord and the bot, run the crowd, stop both."""
    fake = FakeDiscord()
    hall = build_study_hall(fake)
    crowd: list[FakeUser] = [
        fake.add_member(hall.guild, f"player{n:03d}").user for n in range(members)
    ]
    await fake.start()
    result = Run(bot, label, members)
    process = await start_bot_process(
        fake, hall.guild.id, database, module=MODULES[bot], quiet=True
    )
    try:
        start = await fake.slash(
            crowd[0], "quiz game", {"deck": DECK, "count": 1, "seconds": ROUND_SECONDS}
        )
        await start.response(timeout=30)
        message = start.message()
        assert message is not None and not message.ephemeral, "no public game message"
        await fake.wait_until(lambda: bool(option_ids(fake.get_message(message.id))), timeout=10)
        ids = option_ids(fake.get_message(message.id))
        path = rf"/channels/{hall.channel.id}/messages/{message.id}$"
        began = time.monotonic()

        async def click(n: int, user: FakeUser) -> None:
            await asyncio.sleep(began + n * spread / members - time.monotonic())
            interaction = await fake.click(user, message.id, ids[n % len(ids)])
            callback = await interaction.response(timeout=30)
            result.latencies.append(callback.elapsed)
            if callback.type in (5, 6):  # deferred: the followup carries the text
                reply: FakeMessage | None = await interaction.wait_followup(timeout=30)
            else:
                reply = interaction.message()
            if reply is not None and reply.content.startswith("Answer locked in: "):
                result.confirmed += 1

        await asyncio.gather(*(click(n, user) for n, user in enumerate(crowd)))
        if bot == "recall":
            want = f"{members} answered"
            try:
                await fake.wait_until(
                    lambda: answered_field(fake.get_message(message.id)) == want, timeout=15
                )
                result.settled_after = time.monotonic() - began
            except AssertionError:
                pass
            result.count_shown = answered_field(fake.get_message(message.id))
            # The round's end: its result edit, then the board below it.
            try:
                await fake.wait_until(
                    lambda: (
                        any(
                            "scoreboard" in str(e.get("title", ""))
                            for m in fake.messages_in(hall.channel)
                            for e in m.embeds
                        )
                        and str(fake.get_message(message.id).embeds[0].get("title")).endswith(
                            "over"
                        )
                    ),
                    timeout=ROUND_SECONDS + 20,
                )
                result.board = True
            except AssertionError:
                result.board = False
        result.edit_times = [r.at for r in fake.requests_matching("PATCH", path)]
    finally:
        await stop_bot_process(process)
        await fake.stop()
    if bot == "recall":
        result.reviews, result.answers = await count_rows(database)
    return result


def ms(seconds: float) -> str:
    """Milliseconds, no decimals."""
    return f"{seconds * 1000:,.0f}"


def print_table(runs: list[Run], spread: float) -> None:
    """The results, one row per bot and database."""
    print(
        f"\n{runs[0].members} members answering one round within {spread:g} s"
        f" · {os.cpu_count()} cores · Python {platform.python_version()}"
    )
    header = (
        f"{'bot':<8} {'database':<9} {'clicks':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'>3 s':>4} {'confirmed':>9} {'edits':>5} {'max/1 s':>7} {'count shown':>13}"
        f" {'settled s':>9} {'answers':>7} {'reviews':>7} {'board':>5}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        settled = "-" if run.settled_after is None else f"{run.settled_after:.2f}"
        print(
            f"{run.bot:<8} {run.database:<9} {len(run.latencies):>6}"
            f" {ms(run.percentile(0.5)):>7} {ms(run.percentile(0.99)):>7}"
            f" {ms(max(run.latencies)):>7} {run.late:>4} {run.confirmed:>9}"
            f" {len(run.edit_times):>5} {run.max_edits_per_second:>7} {run.count_shown:>13}"
            f" {settled:>9} {run.answers if run.answers is not None else '-':>7}"
            f" {run.reviews if run.reviews is not None else '-':>7}"
            f" {'-' if run.board is None else ('yes' if run.board else 'NO'):>5}"
        )
    print("\nTargets")
    for run in runs:
        if run.bot != "recall":
            continue
        checks = [
            ("every click acknowledged within 3 s", run.late == 0 and run.confirmed == run.members),
            ("at most one edit of the game message per second", run.max_edits_per_second <= 1),
            ("every answer and review written", run.reviews == run.answers == run.members),
        ]
        for what, ok in checks:
            print(f"  {run.database}: {what}: {'met' if ok else 'MISSED'}")


async def main_async(members: int, spread: float, databases: list[str]) -> None:
    """The bare bot (the floor), then Recall on each database, then the bare bot again:
    on a shared machine the two floors show how much the load around moved."""
    runs: list[Run] = []
    with bench_dir("games") as work:
        runs.append(await run_one("bare", work / "bare.db", "-", members, spread))
        if "sqlite" in databases:
            runs.append(await run_one("recall", work / "recall.db", "sqlite", members, spread))
        if "postgres" in databases:
            async with postgres() as pg:
                assert isinstance(pg, PostgresDatabases)
                dsn = await pg.create()
                runs.append(await run_one("recall", dsn, "postgres", members, spread))
        runs.append(await run_one("bare", work / "bare.db", "-", members, spread))
    print_table(runs, spread)


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--spread", type=float, default=2.0, help="seconds the clicks span")
    parser.add_argument(
        "--database", choices=("sqlite", "postgres"), action="append", help="default: both"
    )
    args = parser.parse_args()
    asyncio.run(main_async(args.members, args.spread, args.database or ["sqlite", "postgres"]))


if __name__ == "__main__":
    main()
