"""``/quiz-admin``: moderators' commands (Manage Server, checked again in each handler)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.common.checks import require_moderator

if TYPE_CHECKING:
    from bot.client import RecallBot

log = logging.getLogger(__name__)

PROBLEMS_SHOWN = 15


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class QuizAdmin(
    commands.GroupCog, group_name="quiz-admin", group_description="Recall for moderators"
):
    """Moderators' commands."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot: RecallBot = bot  # type: ignore[assignment]
        super().__init__()

    @app_commands.command(name="reload", description="Reload the decks from disk")
    async def reload(self, interaction: discord.Interaction[Any]) -> None:
        """Re-read the deck folder; a broken deck keeps its last good version."""
        require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Parsing is CPU work (a hostile file can take seconds): keep it off the loop.
        report = await asyncio.to_thread(self.bot.decks.reload)
        log.info("decks reloaded by %s: %s", interaction.user.id, report.summary())
        lines = [f"Decks reloaded: {report.summary()}."]
        if report.kept_broken:
            lines.append(
                "Kept the last good version of: " + ", ".join(f"`{d}`" for d in report.kept_broken)
            )
        if report.problems:
            lines.append("Problems:")
            lines += [f"- `{p}`" for p in report.problems[:PROBLEMS_SHOWN]]
            if len(report.problems) > PROBLEMS_SHOWN:
                lines.append(f"...and {len(report.problems) - PROBLEMS_SHOWN} more (see the log).")
        text = "\n".join(lines)
        await interaction.followup.send(text[:2000], ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(QuizAdmin(bot))
