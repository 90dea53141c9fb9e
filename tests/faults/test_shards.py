"""Two real bot processes on two shards, sharing one PostgreSQL database.

``SHARD_COUNT=2``: one ``python -m bot`` runs shard 0, another shard 1, against
the fake Discord, which sends each connection only the guilds of its shard and
their interactions. A session in a guild of each shard runs to its end; the
reminders that come due are sent exactly once in total, whichever process claims
them; a process SIGKILLed mid-session and restarted carries its guild's session
on from the old buttons; and the review log has exactly one review per step.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest_asyncio

from tests.fakediscord import FakeDiscord, FakeMessage
from tests.fakediscord.__main__ import kill_bot_process, start_bot_process, stop_bot_process
from tests.fakediscord.fixtures import StudyHall, build_study_hall
from tests.fakediscord.session_driver import continue_session, run_session

SHARDS = 2
SESSION = {"kind": "flashcard", "count": 3}
REMINDER_WAIT = 200.0
"""Seconds for a reminder set two minutes ahead to be sent: the wall clock reaches
it, then the loop's next 30 s tick claims it (the processes run on real time)."""

Process = asyncio.subprocess.Process


def shard_env(shard: int) -> dict[str, str]:
    """The settings of the process that runs ``shard``."""
    return {"SHARD_COUNT": str(SHARDS), "SHARD_IDS": str(shard)}


async def start_shard(fake: FakeDiscord, dsn: str, shard: int) -> Process:
    """``python -m bot`` for ``shard``, commands synced globally (it serves many guilds)."""
    return await start_bot_process(fake, None, dsn, extra_env=shard_env(shard))


@pytest_asyncio.fixture
async def world() -> AsyncIterator[tuple[FakeDiscord, list[StudyHall]]]:
    """A started fake Discord with one Study Hall on each shard."""
    fake = FakeDiscord()
    halls = [build_study_hall(fake, f"Hall {n}", shard=(n, SHARDS)) for n in range(SHARDS)]
    await fake.start()
    try:
        yield fake, halls
    finally:
        await fake.stop()


async def fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    """Rows read straight from the shared database (what the processes wrote)."""
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def dispatched_to(fake: FakeDiscord, interaction_id: int) -> set[tuple[int, int] | None]:
    """The shards whose gateway sessions carried the INTERACTION_CREATE ``interaction_id``."""
    return {
        session.shard
        for session in fake.gateway.sessions.values()
        for _seq, frame in session.history
        if frame["t"] == "INTERACTION_CREATE" and frame["d"]["id"] == str(interaction_id)
    }


async def check_review_log(dsn: str) -> None:
    """Every session's answered steps are in the log exactly once, without a gap."""
    logged: dict[int, list[int]] = {}
    for row in await fetch(dsn, "SELECT session_id, step FROM reviews ORDER BY 1, 2"):
        logged.setdefault(row["session_id"], []).append(row["step"])
    for row in await fetch(dsn, "SELECT id, answered, status FROM quiz_sessions"):
        steps = logged.get(row["id"], [])
        assert steps == list(range(row["answered"])), dict(row)


async def test_two_shard_processes_share_one_database(
    world: tuple[FakeDiscord, list[StudyHall]], pg_databases: Callable[..., str]
) -> None:
    fake, halls = world
    dsn = pg_databases()  # empty: the first process migrates it as it starts
    processes: list[Process] = []
    try:
        processes = [await start_shard(fake, dsn, shard) for shard in range(SHARDS)]
        assert fake.gateway.connected_shards() == {0, 1}

        # A session in a guild of each shard runs to its end, on its shard's process.
        learners = [user for hall in halls for user in hall.learners]
        for hall in halls:
            run = await run_session(fake, hall.learner, SESSION, guild=hall.guild, timeout=30)
            assert run.finished, hall.guild.name
        for inter in fake.interactions.values():
            shard = (inter.guild.id >> 22) % SHARDS if inter.guild else 0
            assert dispatched_to(fake, inter.id) == {(shard, SHARDS)}

        # Reminders due for learners of both guilds: sent once in total, by either process.
        remind_at = (datetime.now(UTC) + timedelta(minutes=2)).strftime("%H:%M")
        for place, user in [(hall, user) for hall in halls for user in hall.learners]:
            again = await run_session(
                fake, user, {"kind": "flashcard", "count": 1}, guild=place.guild, grade="Again"
            )
            assert again.finished  # a card due again in a minute: something to remind of
            reply = await (
                await fake.slash(user, "quiz remind set", {"time": remind_at}, guild=place.guild)
            ).wait_done(timeout=30)
            assert reply is not None
        await fake.wait_until(
            lambda: all(fake.messages_in(fake.dm_channel(user)) for user in learners),
            timeout=REMINDER_WAIT,
            what="a reminder DM to every learner",
        )

        # SIGKILL the process of shard 1 mid-session, restart it: the old buttons carry on.
        hall = halls[1]
        start = await fake.slash(
            hall.learner2, "quiz start", {"kind": "flashcard", "count": 4}, guild=hall.guild
        )
        await start.response(timeout=30)
        message = start.message()
        assert isinstance(message, FakeMessage)
        await _click(fake, hall, message, ("Reveal answer", "Good", "Reveal answer"))
        kill_bot_process(processes[1])
        await processes[1].wait()
        processes[1] = await start_shard(fake, dsn, 1)
        resumed = await continue_session(fake, hall.learner2, message, timeout=30)
        assert resumed.notice is None
        assert resumed.finished
        assert resumed.timings, "no click after the restart"

        # Exactly once: each reminder (one DM, one 'sent' row) and each answered step.
        for user in learners:
            assert len(fake.messages_in(fake.dm_channel(user))) == 1, user.username
        sent = await fetch(dsn, "SELECT status, COUNT(*) AS n FROM reminder_sends GROUP BY 1")
        assert {row["status"]: row["n"] for row in sent} == {"sent": len(learners)}
        await check_review_log(dsn)
        fake.assert_no_pings()
        for process in processes:
            assert await stop_bot_process(process) == 0
    finally:
        for process in processes:
            kill_bot_process(process)
            with contextlib.suppress(ProcessLookupError):
                await process.wait()


async def _click(
    fake: FakeDiscord, hall: StudyHall, message: FakeMessage, labels: Sequence[str]
) -> None:
    """Click ``labels`` in order on ``message``, each after the previous was answered."""
    for label in labels:
        [custom_id] = [
            str(c["custom_id"])
            for c in message.iter_components()
            # A grade button carries its interval: "Good" is "Good · 10m".
            if c.get("type") == 2 and str(c.get("label")).partition(" · ")[0] == label
        ]
        clicked = await fake.click(hall.learner2, message, custom_id)
        await clicked.response(timeout=30)
        await clicked.wait_done(timeout=30)
