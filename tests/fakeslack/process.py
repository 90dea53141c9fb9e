"""Running an app process (``python -m bot slack``, the bench's bare app) against a fake.

The process gets the environment a user would put in ``.env``, pointing at the
fake: ``SLACK_BOT_TOKEN``, ``SLACK_APP_TOKEN``, ``SLACK_API_BASE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .server import FakeSlack

REPO = Path(__file__).resolve().parents[2]

BOT_TOKEN = "xoxb-000000000001-000000000002-fakeslackprocesstoken"
APP_TOKEN = "xapp-1-A000000000-000000000003-fakeslackprocesstoken"
"""Tokens shaped like Slack's, as Recall's settings check them: give them to the
fake (``FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN)``) for a Recall process."""


def app_environment(fake: FakeSlack, database: Path | str) -> dict[str, str]:
    """The environment of an app process talking to ``fake`` (a SQLite file or a URL)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL"))
    }
    env.update(
        {
            "SLACK_BOT_TOKEN": fake.bot_token,
            "SLACK_APP_TOKEN": fake.app_token,
            "SLACK_API_BASE": fake.api_base,
            "DATABASE_URL": database if isinstance(database, str) else f"sqlite:///{database}",
            "CONTENT_DIR": str(REPO / "content"),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


async def start_app_process(
    fake: FakeSlack,
    argv: Sequence[str] = ("-m", "bot", "slack"),
    database: Path | str = "sqlite:///data/recall.db",
    *,
    quiet: bool = True,
    timeout: float = 60.0,
) -> asyncio.subprocess.Process:
    """Start ``python <argv>`` against ``fake`` and wait for its (new) websocket."""
    before = fake.connections
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *argv,
        cwd=REPO,
        env=app_environment(fake, database),
        stdout=asyncio.subprocess.DEVNULL if quiet else None,
        stderr=None,
    )
    try:
        await fake.wait_connected(before + 1, timeout=timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    return process


async def stop_app_process(process: asyncio.subprocess.Process) -> int:
    """SIGTERM and wait for the exit (SIGKILL after 15 s); returns the exit code."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
    try:
        return await asyncio.wait_for(process.wait(), timeout=15)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        return await process.wait()
