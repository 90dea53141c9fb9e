"""Discord's ids as the engine's identities: a user, a server, where a session runs."""

from __future__ import annotations

from typing import Any

import discord

from bot.core.learner import Identity, Platform
from bot.services.study import Where


def learner(user: discord.abc.Snowflake) -> Identity:
    """The learner behind a Discord user (or member)."""
    return Identity(Platform.DISCORD, str(user.id))


def community(guild_id: int | None) -> Identity | None:
    """The community behind a Discord server; None in a DM."""
    return None if guild_id is None else Identity(Platform.DISCORD, str(guild_id))


def where(interaction: discord.Interaction[Any]) -> Where:
    """Where an interaction happens: its server (None in a DM) and its channel."""
    channel = interaction.channel_id
    return Where(community(interaction.guild_id), None if channel is None else str(channel))


__all__ = ["community", "learner", "where"]
