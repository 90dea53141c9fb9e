"""Runs the real Recall bot against the fake Discord, and small helpers to drive it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.client import RecallBot
from bot.core.clock import FakeClock
from bot.core.learner import Identity, Platform
from bot.core.session import SessionKind
from bot.decks import McqCard
from bot.services.study import Where
from bot.settings import Settings, load_settings
from bot.storage import DatabaseURL, SQLiteURL
from bot.storage.script import Row, rows
from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import StudyHall
from tests.fakediscord.harness import connected_client
from tests.fakediscord.interactions import Interaction
from tests.fakediscord.models import FakeMessage, FakeUser


def database_env(url: DatabaseURL) -> str:
    """``DATABASE_URL`` as a user would write it for ``url``."""
    return f"sqlite:///{url.path}" if isinstance(url, SQLiteURL) else url.dsn


def recall_settings(
    fake: FakeDiscord, hall: StudyHall, database: DatabaseURL | Path, content: Path
) -> Settings:
    """Settings as a user would write them in .env, pointing at the fake."""
    url = SQLiteURL(database) if isinstance(database, Path) else database
    return load_settings(
        environ={
            "DISCORD_TOKEN": fake.token,
            "DATABASE_URL": database_env(url),
            "CONTENT_DIR": str(content),
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DEV_GUILD_ID": str(hall.guild.id),
            "LOG_LEVEL": "DEBUG",
        },
        env_file=None,
    )


@dataclass
class Recall:
    """The bot under test plus the fake world it lives in."""

    fake: FakeDiscord
    hall: StudyHall
    settings: Settings
    clock: FakeClock
    bot: RecallBot | None = None
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def start(self) -> RecallBot:
        """Start a fresh bot process-equivalent (new client, same database file)."""
        # Reminder ticks are driven by the tests with the fake clock, not by APScheduler.
        bot = RecallBot(
            self.settings, clock=self.clock, guild_ready_timeout=0.05, background_jobs=False
        )
        await self._stack.enter_async_context(connected_client(self.fake, bot))
        self.bot = bot
        return bot

    async def stop(self) -> None:
        """Close the bot (and its database)."""
        await self._stack.aclose()
        self._stack = contextlib.AsyncExitStack()
        self.bot = None

    async def restart(self) -> RecallBot:
        """Stop and start again: nothing survives but the database and Discord's messages."""
        await self.stop()
        return await self.start()

    @property
    def running(self) -> RecallBot:
        """The running bot."""
        assert self.bot is not None, "bot not started"
        return self.bot

    async def slash(
        self, user: FakeUser, command: str, options: dict[str, Any] | None = None, **kw: Any
    ) -> Interaction:
        """Run a slash command and wait for the bot's acknowledgement."""
        interaction = await self.fake.slash(user, command, options, **kw)
        await interaction.response()
        return interaction

    async def click(self, user: FakeUser, message: FakeMessage, label: str) -> Interaction:
        """Click the button labelled ``label`` on ``message`` and wait for the answer."""
        interaction = await self.fake.click(user, message, custom_id_of(message, label))
        await interaction.response()
        return interaction

    async def sql(self, query: str, *params: Any) -> list[Row]:
        """Rows of a read-only query on the bot's own database (for assertions)."""
        return await self.running.store.read(rows(query, *params))

    async def sql_one(self, query: str, *params: Any) -> Row | None:
        """The first row of a read-only query on the bot's own database, or None."""
        found = await self.sql(query, *params)
        return found[0] if found else None

    async def review_count(self) -> int:
        """Rows in the review log."""
        [row] = await self.sql("SELECT COUNT(*) FROM reviews")
        return int(row[0])

    async def learner_id(self, user: FakeUser) -> int | None:
        """Recall's internal id of a Discord user, once they have used Recall."""
        found = await self.sql(
            "SELECT id FROM learners WHERE platform = 'discord' AND external_id = ?", str(user.id)
        )
        return int(found[0][0]) if found else None


def labels(message: FakeMessage) -> list[str]:
    """Labels of the message's buttons, in order."""
    return [str(c.get("label", "")) for c in message.iter_components() if c.get("type") == 2]


def enabled_labels(message: FakeMessage) -> list[str]:
    """Labels of the buttons that can be clicked."""
    return [
        str(c.get("label", ""))
        for c in message.iter_components()
        if c.get("type") == 2 and not c.get("disabled")
    ]


def custom_id_of(message: FakeMessage, label: str) -> str:
    """The custom id of the button labelled ``label``, or ``label · …`` (a grade button
    with its interval, ``Good · 3d``, is clicked as ``Good``)."""
    buttons = [c for c in message.iter_components() if c.get("type") == 2]
    for component in buttons:
        if component.get("label") == label:
            return str(component["custom_id"])
    for component in buttons:
        if str(component.get("label", "")).startswith(f"{label} · "):
            return str(component["custom_id"])
    raise AssertionError(f"no button {label!r} on message; buttons: {labels(message)}")


def grade_names(message: FakeMessage) -> list[str]:
    """The grade buttons' names without their intervals (``Good · 3d`` → ``Good``),
    in order, leaving out Stop."""
    return [label.split(" · ")[0] for label in labels(message) if label != "Stop"]


def embed(message: FakeMessage) -> dict[str, Any]:
    """The message's only embed."""
    assert len(message.embeds) == 1, message.embeds
    return dict(message.embeds[0])


def field_named(message: FakeMessage, name: str) -> str:
    """The value of the embed field called ``name``."""
    for item in embed(message).get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    names = [f["name"] for f in embed(message).get("fields", [])]
    raise AssertionError(f"no field {name!r}; fields: {names}")


def field_names(message: FakeMessage) -> list[str]:
    """Names of the embed's fields."""
    return [str(f["name"]) for f in embed(message).get("fields", [])]


def ephemeral_text(interaction: Interaction) -> str:
    """The content of the ephemeral reply an interaction got."""
    message = interaction.message()
    assert message is not None, "no reply message"
    assert message.ephemeral, "reply is not ephemeral"
    return message.content


HALL = -1
"""``answer_mcqs``'s default place: the study hall's server and channel."""


async def answer_mcqs(
    recall: Recall, user: FakeUser, right: int, wrong: int, *, guild_id: int | None = HALL
) -> None:
    """Answer ``right + wrong`` multiple-choice cards through the real service, in the
    study hall, in another server (``guild_id``) or in a DM (``guild_id=None``)."""
    study = recall.running.study
    who = Identity(Platform.DISCORD, str(user.id))
    if guild_id == HALL:
        where = Where(
            Identity(Platform.DISCORD, str(recall.hall.guild.id)), str(recall.hall.channel.id)
        )
    else:
        where = Where(None if guild_id is None else Identity(Platform.DISCORD, str(guild_id)), None)
    view = await study.start(who, where, kind=SessionKind.MCQ, count=right + wrong)
    for number in range(right + wrong):
        card = view.card
        assert isinstance(card, McqCard)
        choice = card.answer_index if number < right else (card.answer_index + 1) % 4
        await study.answer_mcq(who, view.session.id, number, choice, None)
        view = await study.next(who, view.session.id, number)
