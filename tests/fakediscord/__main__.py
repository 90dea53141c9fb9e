"""``python -m tests.fakediscord demo``: a real ``python -m bot`` process against the fake.

Starts the fake Discord on 127.0.0.1, starts the bot as a separate process with
the settings a user would put in ``.env`` (pointing at the fake), waits for its
commands, runs one full mixed session of every card in the first deck as a
learner, and prints every interaction with the time the bot took to
acknowledge it (Discord's limit is 3 seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from .fixtures import build_study_hall
from .server import FakeDiscord
from .session_driver import run_session

REPO = Path(__file__).resolve().parents[2]


def bot_environment(
    fake: FakeDiscord, guild_id: int | None, database: Path | str
) -> dict[str, str]:
    """The environment of a bot process that talks to ``fake``.

    ``guild_id`` is ``DEV_GUILD_ID`` (``None``: commands synced globally, for a bot in
    several guilds); ``database`` is a SQLite file, or a ``DATABASE_URL`` as text.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD_", "SHARD_", "DEV_GUILD_ID", "DATABASE_URL"))
    }
    env.update(
        {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DATABASE_URL": database if isinstance(database, str) else f"sqlite:///{database}",
            "CONTENT_DIR": str(REPO / "content"),
            "LOG_LEVEL": "WARNING",
        }
    )
    if guild_id is not None:
        env["DEV_GUILD_ID"] = str(guild_id)
    return env


def expected_shards(env: dict[str, str]) -> int:
    """How many gateway connections a bot with ``env`` opens (one per shard it runs)."""
    if env.get("SHARD_IDS"):
        return len(env["SHARD_IDS"].split(","))
    return int(env.get("SHARD_COUNT") or 1)


async def start_bot_process(
    fake: FakeDiscord,
    guild_id: int | None,
    database: Path | str,
    *,
    module: str = "bot",
    extra_env: dict[str, str] | None = None,
    quiet: bool = False,
) -> asyncio.subprocess.Process:
    """Start ``python -m bot`` against ``fake`` and wait until it is connected.

    ``module`` runs another bot the same way (the benchmarks' bare discord.py bot);
    ``quiet`` sends its output to /dev/null. Waits for *new* connected gateway
    sessions, one per shard the process runs (``SHARD_COUNT``/``SHARD_IDS`` in
    ``extra_env``), so that a restart after a kill is not mistaken for the dead
    process's connection. With ``guild_id=None`` it waits for global commands.
    """
    known = set(fake.gateway.sessions)
    env = bot_environment(fake, guild_id, database)
    env.update(extra_env or {})
    shards = expected_shards(env)
    output = asyncio.subprocess.DEVNULL if quiet else None
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, cwd=REPO, env=env, stdout=output, stderr=output
    )
    try:
        scope = None if guild_id is None else fake.guilds[guild_id]
        await fake.wait_until(
            lambda: bool(fake.commands_for(scope)), timeout=30, what="command sync"
        )
        await fake.wait_until(
            lambda: len(fake.gateway.sessions_since(known)) >= shards,
            timeout=30,
            what=f"{shards} new gateway session(s)",
        )
    except BaseException:
        kill_bot_process(process)
        await process.wait()
        raise
    return process


def kill_bot_process(process: asyncio.subprocess.Process) -> None:
    """SIGKILL the bot (a crash: no shutdown code runs); a no-op if it already exited."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()


async def stop_bot_process(process: asyncio.subprocess.Process) -> int:
    """SIGTERM the bot and wait for its clean exit."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
    try:
        return await asyncio.wait_for(process.wait(), timeout=15)
    except TimeoutError:
        kill_bot_process(process)
        await process.wait()
        raise


async def demo() -> int:
    """Run the by-hand check and print the table."""
    fake = FakeDiscord()
    hall = build_study_hall(fake)
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            process = await start_bot_process(fake, hall.guild.id, Path(tmp) / "recall.db")
            try:
                run = await run_session(fake, hall.learner, {"count": 12})
            finally:
                code = await stop_bot_process(process)
    finally:
        await fake.stop()
    print(f"{'#':>3}  {'interaction':<18} {'acknowledged after':>18}")
    for number, step in enumerate(run.timings, 1):
        print(f"{number:>3}  {step.action:<18} {step.seconds * 1000:>15.1f} ms")
    slowest = max((s.seconds for s in run.timings), default=0.0)
    print(
        f"\n{len(run.timings)} interactions, slowest {slowest * 1000:.1f} ms "
        f"(Discord's limit: 3000 ms); session finished: {run.finished}; bot exit code {code}"
    )
    return 0 if run.finished and slowest < 3.0 and code == 0 else 1


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakediscord")
    parser.add_argument("command", choices=["demo"])
    parser.parse_args()
    return asyncio.run(demo())


if __name__ == "__main__":
    sys.exit(main())
