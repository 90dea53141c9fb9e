"""Permission checks repeated inside handlers.

``default_permissions`` only hides a command by default: a server admin can
grant it to anyone in Server Settings → Integrations. The handler therefore
checks the caller's own permissions again.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.learner import Identity, Platform
from cogs.common.errors import UserFacingError


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """True when the caller has Manage Server here (a DM never counts)."""
    if interaction.guild is None:
        return False
    return bool(interaction.permissions.manage_guild)


def require_moderator(interaction: discord.Interaction[Any]) -> Identity:
    """Raise a user-facing error unless the caller has Manage Server in this server;
    the server, as the services know it."""
    if interaction.guild is None:
        raise UserFacingError("This command works in a server, not in DMs.")
    if not interaction.permissions.manage_guild:
        raise UserFacingError("This command is for moderators (it needs Manage Server).")
    return Identity(Platform.DISCORD, str(interaction.guild.id))
