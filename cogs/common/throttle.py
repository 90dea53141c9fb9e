"""Apply the per-user interaction limit (``bot.core.throttle``) to every interaction.

Three public discord.py hooks see every interaction before any work is done:
``CommandTree.interaction_check`` (slash commands), ``DynamicItem.interaction_check``
(every persistent button, through :class:`Throttled`) and the quiz cog's modal
listener. Each calls :func:`admit`. discord.py runs each interaction's check and
callback in one task, so the in-flight slot is released when that task ends,
whatever way the handler finished.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot.core.throttle import InteractionLimiter

log = logging.getLogger(__name__)

SLOW_DOWN = (
    "Slow down a little: Recall is still working on your last clicks. Try again in a moment."
)


async def admit(interaction: discord.Interaction[Any]) -> bool:
    """True if ``interaction`` may be processed; else it was answered with "slow down"."""
    limiter: InteractionLimiter | None = getattr(interaction.client, "limiter", None)
    if limiter is None:
        return True
    user_id = interaction.user.id
    if limiter.try_begin(user_id):
        task = asyncio.current_task()
        if task is None:  # not in a task (never the case in discord.py): don't count it
            limiter.end(user_id)
        else:
            task.add_done_callback(lambda _task: limiter.end(user_id))
        return True
    try:
        # The whole cost of a refused interaction: one ephemeral reply, no database.
        await interaction.response.send_message(SLOW_DOWN, ephemeral=True)
    except discord.HTTPException as exc:
        log.debug("could not tell user %s to slow down: %s", user_id, exc)
    return False


class Throttled:
    """Mixin for persistent buttons (put it before ``DynamicItem``): limits every click."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse the click with "slow down" when its sender is over the limit."""
        return await admit(interaction)


class ThrottledTree(app_commands.CommandTree[Any]):
    """The bot's command tree: limits every slash command (autocomplete is exempt)."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Autocomplete is answered from memory and cannot be told to slow down."""
        if interaction.type is discord.InteractionType.autocomplete:
            return True
        return await admit(interaction)
