"""Pytest fixtures: a started FakeDiscord with a small "Study Hall" guild.

Import them into ``tests/conftest.py`` with::

    from tests.fakediscord.fixtures import fake_discord, study_hall  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio

from .models import FakeChannel, FakeGuild, FakeMember, FakeUser
from .server import FakeDiscord


@dataclass
class StudyHall:
    """The default test world: one guild, one channel, a moderator and two learners."""

    fake: FakeDiscord
    guild: FakeGuild
    channel: FakeChannel
    #: Has Manage Server (0x20) through a "Moderator" role.
    moderator: FakeUser
    learner: FakeUser
    learner2: FakeUser

    @property
    def learners(self) -> list[FakeUser]:
        """Both learners."""
        return [self.learner, self.learner2]

    def member(self, user: FakeUser) -> FakeMember:
        """Membership of ``user`` in the guild."""
        return self.guild.member(user)


def build_study_hall(
    fake: FakeDiscord, name: str = "Study Hall", *, shard: tuple[int, int] | None = None
) -> StudyHall:
    """Populate ``fake`` with the Study Hall guild and return its handles.

    ``shard=(id, count)`` puts the guild on that shard (for sharded bots).
    """
    guild = fake.create_guild(name) if shard is None else fake.create_guild_on_shard(name, *shard)
    channel = fake.create_text_channel(guild, "study")
    moderator = fake.add_member(guild, "mod", manage_guild=True).user
    learner = fake.add_member(guild, "alice").user
    learner2 = fake.add_member(guild, "bob").user
    return StudyHall(fake, guild, channel, moderator, learner, learner2)


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord pre-populated with the Study Hall guild (see ``study_hall``)."""
    fake = FakeDiscord()
    build_study_hall(fake)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture
async def study_hall(fake_discord: FakeDiscord) -> StudyHall:
    """Handles to the Study Hall guild, channel and users of ``fake_discord``."""
    guild = fake_discord.default_guild
    members = [m for m in guild.members.values() if m.user.id != fake_discord.bot_user.id]
    by_name = {m.user.username: m.user for m in members}
    return StudyHall(
        fake_discord,
        guild,
        guild.text_channels[0],
        by_name["mod"],
        by_name["alice"],
        by_name["bob"],
    )
