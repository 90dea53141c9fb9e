"""``python -m bot slack`` as a host runs it: a real process reading its settings from
the environment, connecting to the fake Slack over Socket Mode, serving a learner,
and leaving with exit code 0 on SIGTERM; no token in its log."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.storage import DatabaseURL, SQLiteURL
from tests.conftest import REPO_ROOT
from tests.e2e_slack.harness import APP_TOKEN, BOT_TOKEN, labels
from tests.fakeslack import FakeSlack, build_workspace


def database_setting(url: DatabaseURL) -> str:
    """``DATABASE_URL`` for ``url``."""
    if isinstance(url, SQLiteURL):
        return f"sqlite:///{url.path}"
    return url.dsn


async def test_python_m_bot_slack_serves_a_learner(
    slack_fake: FakeSlack, database_url: DatabaseURL, slack_content: Path, tmp_path: Path
) -> None:
    world = build_workspace(slack_fake)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_BASE": slack_fake.api_base,
        "DATABASE_URL": database_setting(database_url),
        "CONTENT_DIR": str(slack_content),
        "LOG_LEVEL": "DEBUG",  # the most talkative level still logs no token
        "PYTHONPATH": str(REPO_ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "slack",
        cwd=tmp_path,  # no .env there
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await slack_fake.wait_connected(1, timeout=60)
        alice = world.learner
        action = await slack_fake.command(alice, "/quiz", "start kind:flashcard count:1")
        card = await action.wait_dm(timeout=30)
        assert labels(card) == ["Reveal answer", "Stop"]
        click = await slack_fake.click(alice, card, "Reveal answer")
        await click.wait_update(timeout=30)
        assert "Good" in labels(card)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    log = output.decode()
    assert process.returncode == 0, log
    assert "connected to Slack in Socket Mode" in log
    assert BOT_TOKEN not in log and APP_TOKEN not in log
    assert BOT_TOKEN.split("-")[-1] not in log


async def test_a_refused_bot_token_is_one_line(
    slack_fake: FakeSlack, slack_content: Path, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN.replace("0001", "0009"),
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_BASE": slack_fake.api_base,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'recall.db'}",
        "CONTENT_DIR": str(slack_content),
        "PYTHONPATH": str(REPO_ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "slack",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    log = output.decode().strip().splitlines()
    assert process.returncode == 1
    assert [line for line in log if "ERROR" in line] == [
        line for line in log if "Slack refused SLACK_BOT_TOKEN (invalid_auth); check it" in line
    ]
    assert len(log) == 1, log
    assert not (tmp_path / "recall.db").exists()  # refused before touching the database
