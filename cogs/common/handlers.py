"""The front end's answers to the bot's events: errors and refused interactions.

``bot.client`` raises these as events instead of importing the front end, so that
the words stay here: ``app_command_error`` (every slash command's error, from the
command tree) and ``interaction_refused`` (a user over the per-user limit).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.common.errors import report

log = logging.getLogger(__name__)

SLOW_DOWN = (
    "Slow down a little: Recall is still working on your last clicks. Try again in a moment."
)


class Handlers(commands.Cog):
    """Replies for errors and for the per-user limit."""

    @commands.Cog.listener()
    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Every slash command's error: see :mod:`cogs.common.errors` for the priorities."""
        await report(interaction, error)

    @commands.Cog.listener()
    async def on_interaction_refused(self, interaction: discord.Interaction[Any]) -> None:
        """The whole cost of a refused interaction: one ephemeral reply, no database."""
        try:
            await interaction.response.send_message(SLOW_DOWN, ephemeral=True)
        except discord.HTTPException as exc:
            log.debug("could not tell user %s to slow down: %s", interaction.user.id, exc)


async def setup(bot: commands.Bot) -> None:
    """Load the handlers (first of the extensions, so no event goes unanswered)."""
    await bot.add_cog(Handlers())
