"""A fake Discord (REST + gateway) for driving the real discord.py client in tests.

Typical use::

    async with running_fake() as fake:
        world = build_study_hall(fake)
        async with connected_client(fake, bot):
            inter = await fake.slash(world.learner, "quiz start", {"deck": "x"})
            reply = await inter.wait_done()
"""

from .driver import CommandNotFound
from .faults import FailRule, RateLimitRule
from .fixtures import StudyHall, build_study_hall
from .gateway import GatewayFrame
from .harness import connected_client
from .interactions import Interaction, InteractionCallback, ModalSpec
from .models import (
    MANAGE_GUILD,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUpload,
    FakeUser,
    MessageVersion,
    RecordedRequest,
    RegisteredCommand,
)
from .server import FakeDiscord, running_fake
from .snowflakes import new_snowflake
from .state import FakeDiscordTimeout
from .validation import ApiError

__all__ = [
    "MANAGE_GUILD",
    "ApiError",
    "CommandNotFound",
    "FailRule",
    "FakeAttachment",
    "FakeChannel",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "FakeGuild",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUpload",
    "FakeUser",
    "GatewayFrame",
    "Interaction",
    "InteractionCallback",
    "MessageVersion",
    "ModalSpec",
    "RateLimitRule",
    "RecordedRequest",
    "RegisteredCommand",
    "StudyHall",
    "build_study_hall",
    "connected_client",
    "new_snowflake",
    "running_fake",
]
