"""Fixtures for end-to-end tests: the real Recall bot connected to the fake Discord."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.core.clock import FakeClock
from bot.storage import DatabaseURL
from tests.conftest import CONTENT_DIR
from tests.e2e.harness import Recall, recall_settings
from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import StudyHall


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped decks that a test may change."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


@pytest_asyncio.fixture
async def recall(
    fake_discord: FakeDiscord,
    study_hall: StudyHall,
    database_url: DatabaseURL,
    content_dir: Path,
    clock: FakeClock,
) -> AsyncIterator[Recall]:
    """The Recall bot, started and connected (on each backend in turn); stopped after."""
    settings = recall_settings(fake_discord, study_hall, database_url, content_dir)
    harness = Recall(fake_discord, study_hall, settings, clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
        # Every route the bot used must be one Discord has.
        fake_discord.assert_no_unknown_routes()
        # No message the bot sent or edited could ping (allowed_mentions parses nothing).
        fake_discord.assert_no_pings()
