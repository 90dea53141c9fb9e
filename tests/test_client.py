"""``bot.client``: the logging a host sees, and the shards it runs."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest
from discord.ext import commands

from bot.client import RecallBot, configure_logging, create_bot
from bot.settings import Settings, load_settings
from bot.storage.url import DatabaseURL
from tests.conftest import CONTENT_DIR
from tests.fakediscord import FakeDiscord, connected_client, running_fake


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger and APScheduler's logger back as they were."""
    root = logging.getLogger()
    scheduler = logging.getLogger("apscheduler")
    saved = (root.level, list(root.handlers), scheduler.level)
    try:
        yield
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        scheduler.setLevel(saved[2])


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(
    ("log_level", "expected"),
    [("INFO", logging.WARNING), ("WARNING", logging.WARNING), ("ERROR", logging.ERROR)],
)
def test_scheduler_runs_are_not_logged_at_info(log_level: str, expected: int) -> None:
    # An idle bot logged ~5,700 "Running job" / "executed successfully" lines a day.
    configure_logging(load_settings({"LOG_LEVEL": log_level}, env_file=None))
    assert logging.getLogger("apscheduler").getEffectiveLevel() == expected
    executor = logging.getLogger("apscheduler.executors.default")
    assert not executor.isEnabledFor(logging.INFO)
    assert logging.getLogger("bot.reminder_loop").isEnabledFor(expected)


@pytest.mark.usefixtures("restore_logging")
def test_debug_shows_the_scheduler_too() -> None:
    configure_logging(load_settings({"LOG_LEVEL": "DEBUG"}, env_file=None))
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.DEBUG)


def _settings(fake: FakeDiscord, database: DatabaseURL, **extra: str) -> Settings:
    environ = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "CONTENT_DIR": str(CONTENT_DIR),
        **extra,
    }
    return dataclasses.replace(load_settings(environ, env_file=None), database=database)


def _bot(settings: Settings) -> RecallBot:
    # No cogs: what is under test is the connection, not the commands.
    return create_bot(settings, extensions=(), guild_ready_timeout=0.05, background_jobs=False)


async def test_shard_ids_of_shard_count_are_the_shards_this_process_runs(
    database_url: DatabaseURL, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_fake() as fake:
        fake.create_guild_on_shard("zero", 0, 2)
        one = fake.create_guild_on_shard("one", 1, 2)
        bot = _bot(_settings(fake, database_url, SHARD_COUNT="2", SHARD_IDS="1"))
        # One class for the cogs, whether sharded or not.
        assert isinstance(bot, RecallBot)
        assert isinstance(bot, commands.AutoShardedBot)
        with caplog.at_level(logging.INFO, logger="bot.client"):
            async with connected_client(fake, bot, timeout=30):
                assert bot.shard_count == 2
                assert sorted(bot.shards) == [1]
                assert [g.id for g in bot.guilds] == [one.id]
        assert [frame.d.get("shard") for frame in fake.gateway.ops_received(2)] == [[1, 2]]
        assert "running shard(s) 1 of 2" in caplog.text


async def test_without_shard_count_the_bot_is_one_unsharded_connection(
    database_url: DatabaseURL,
) -> None:
    async with running_fake() as fake:
        guilds = {fake.create_guild_on_shard(f"g{n}", n, 2).id for n in range(2)}
        bot = _bot(_settings(fake, database_url))
        assert type(bot) is RecallBot
        async with connected_client(fake, bot, timeout=30):
            assert {g.id for g in bot.guilds} == guilds
        [identify] = fake.gateway.ops_received(2)
        assert "shard" not in identify.d
