"""Learners' latency while a moderator uploads a deck (``python -m bench.upload_bench``).

The real bot process (``python -m bot``) against the fake Discord, as in
:mod:`bench.e2e_bench`: ``--learners`` learners study the bundled deck in a
closed loop (flashcard sessions back to back, each click as soon as the previous
reply arrived). Phases alternate, in the same run on the same process: a
*baseline* phase of learners alone, then an *upload* phase in which a moderator
uploads a 5,000-card Anki package (``bench.imports_bench.anki_package``) with
``/quiz-admin deck upload replace:true`` again and again, back to back, through
the fake's attachment URL. One upload is made before the first phase, so both
kinds of phase run with the same decks loaded. The table gives each kind's
latencies over every round (dispatch to the bot's first callback, as Discord
counts its 3 s), and how long each upload took. Target (issue 11): an upload
raises the others' p99 by at most 20%.

This is a benchmark, not a test: it asserts nothing and is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.e2e_bench import machine, ms, postgres
from bench.imports_bench import anki_package, csv_rows
from bench.workdir import bench_dir
from tests.fakediscord import FakeDiscord, FakeUser
from tests.fakediscord.__main__ import start_bot_process, stop_bot_process
from tests.fakediscord.fixtures import StudyHall, build_study_hall
from tests.fakediscord.models import FakeUpload
from tests.fakediscord.session_driver import run_session

BUNDLED_DECK = "django-wsgi-asgi"
CARDS = 5


@dataclass
class Phase:
    """Latencies of one kind of phase, over every round."""

    name: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    uploads: list[float] = field(default_factory=list)

    def quantile(self, q: float) -> float:
        """The ``q`` quantile of the latencies (0 when there are none)."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=1000, method="inclusive")[int(q * 1000) - 1]


async def upload_once(fake: FakeDiscord, moderator: FakeUser, file: FakeUpload) -> float:
    """One ``/quiz-admin deck upload replace:true``; seconds until its reply."""
    began = time.monotonic()
    interaction = await fake.slash(
        moderator, "quiz-admin deck upload", {"file": file, "replace": True}
    )
    reply = await interaction.wait_done(timeout=120)
    if reply is None or ("deck `bench`" not in reply.content and "1 problem" not in reply.content):
        raise RuntimeError(f"upload failed: {reply.content if reply else None!r}")
    return time.monotonic() - began


async def phase(
    fake: FakeDiscord,
    learners: Sequence[FakeUser],
    seconds: float,
    into: Phase,
    uploader: tuple[FakeUser, FakeUpload] | None,
) -> None:
    """Learners study for ``seconds``; with ``uploader``, uploads run back to back meanwhile."""
    deadline = time.monotonic() + seconds
    options = {"deck": BUNDLED_DECK, "kind": "flashcard", "count": CARDS}

    async def learner(user: FakeUser) -> None:
        while time.monotonic() < deadline:
            run = await run_session(fake, user, options, timeout=60)
            into.latencies.extend(step.seconds for step in run.timings)

    async def uploads() -> None:
        assert uploader is not None
        while time.monotonic() < deadline:
            into.uploads.append(await upload_once(fake, *uploader))

    began = time.monotonic()
    tasks = [learner(user) for user in learners]
    if uploader is not None:
        tasks.append(uploads())
    await asyncio.gather(*tasks)
    into.seconds += time.monotonic() - began


def refused_csv() -> bytes:
    """5,000 valid rows and a last one with no front: the whole import, then refused."""
    return csv_rows() + b"flashcard,beginner,,Back,,,,\n"


async def bench(
    database: str, learners: int, seconds: float, rounds: int, tmp: Path, *, refused: bool
) -> tuple[Phase, Phase]:
    """Alternate baseline and upload phases on one bot process; both phases' figures."""
    package = refused_csv() if refused else anki_package()
    fake = FakeDiscord()
    hall = build_study_hall(fake)
    users = [fake.add_member(hall.guild, f"learner{n}").user for n in range(learners)]
    fake.interaction_timeout = None  # the bench measures lateness itself
    await fake.start()
    baseline, loaded = Phase("learners alone"), Phase("while uploading")
    try:
        if database == "postgres":
            async with postgres() as databases:
                target: Path | str = await databases.create()
                await _run(fake, hall, users, package, target, seconds, rounds, baseline, loaded)
        else:
            target = tmp / "upload.db"
            await _run(fake, hall, users, package, target, seconds, rounds, baseline, loaded)
    finally:
        await fake.stop()
    return baseline, loaded


async def _run(
    fake: FakeDiscord,
    hall: StudyHall,
    users: list[FakeUser],
    package: bytes,
    database: Path | str,
    seconds: float,
    rounds: int,
    baseline: Phase,
    loaded: Phase,
) -> None:
    guild, moderator = hall.guild, hall.moderator
    process = await start_bot_process(fake, guild.id, database, quiet=True)
    try:
        refused = not package.startswith(b"PK")
        file = fake.upload("bench.csv" if refused else "bench.apkg", package)
        await upload_once(fake, moderator, file)  # the deck exists in every phase
        await phase(fake, users[:5], 1.0, Phase("warm-up"), None)
        for _ in range(rounds):
            await phase(fake, users, seconds, baseline, None)
            await phase(fake, users, seconds, loaded, (moderator, file))
    finally:
        await stop_bot_process(process)


def print_table(database: str, learners: int, baseline: Phase, loaded: Phase) -> None:
    """The two phases side by side, and the p99 ratio."""
    print(f"\nUploads vs learners' latency ({database}, {learners} learners; {machine()})")
    print("| phase | interactions | p50 ms | p95 ms | p99 ms | uploads | upload median s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for p in (baseline, loaded):
        median = f"{statistics.median(p.uploads):.2f}" if p.uploads else "–"
        print(
            f"| {p.name} | {len(p.latencies):,} | {ms(p.quantile(0.5))} | "
            f"{ms(p.quantile(0.95))} | {ms(p.quantile(0.99))} | {len(p.uploads)} | {median} |"
        )
    base = baseline.quantile(0.99)
    if base > 0:
        change = loaded.quantile(0.99) / base - 1
        verdict = "met" if change <= 0.20 else "missed"
        print(f"\np99 while uploading: {change:+.0%} vs alone (target ≤ +20%: {verdict})")


def main(argv: list[str] | None = None) -> None:
    """Run the bench and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), action="append")
    parser.add_argument("--learners", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=8.0, help="per phase")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--refused",
        action="store_true",
        help="upload a 5,000-row CSV refused at its last row: the import's cost alone",
    )
    args = parser.parse_args(argv)
    for database in args.database or ["sqlite", "postgres"]:
        with bench_dir("recall-uploads-") as tmp:
            baseline, loaded = asyncio.run(
                bench(database, args.learners, args.seconds, args.rounds, tmp, refused=args.refused)
            )
        print_table(database, args.learners, baseline, loaded)


if __name__ == "__main__":
    main()
