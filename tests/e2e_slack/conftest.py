"""Fixtures for the Slack end-to-end tests: the real Slack app against the fake Slack,
on each backend (``database_url``), checked at teardown for anything that mentions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.core.clock import FakeClock
from bot.storage import DatabaseURL
from tests.e2e_slack.harness import APP_TOKEN, BOT_TOKEN, SlackRecall
from tests.fakeslack import FakeSlack, build_workspace
from tests.slack_decks import content_with_hostile_deck


@pytest.fixture
def slack_content(tmp_path: Path) -> Path:
    """The shipped decks plus the deck whose every text tries to ping."""
    return content_with_hostile_deck(tmp_path)


@pytest_asyncio.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    """A started fake Slack with tokens shaped like Slack's; at teardown it fails the
    test if the app sent a mention (``<!here>``, ``<@U…>``, link_names…) or a stray ack."""
    fake = FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    fake.check()


@pytest_asyncio.fixture
async def slack_recall(
    slack_fake: FakeSlack, database_url: DatabaseURL, slack_content: Path, clock: FakeClock
) -> AsyncIterator[SlackRecall]:
    """The Slack app running against ``slack_fake`` on a fresh database of each backend."""
    recall = SlackRecall(
        slack_fake, build_workspace(slack_fake), database_url, slack_content, clock
    )
    await recall.start()
    try:
        yield recall
    finally:
        await recall.stop()
