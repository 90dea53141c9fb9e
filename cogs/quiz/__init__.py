"""The ``/quiz`` extension: personal study sessions with persistent buttons."""

from __future__ import annotations

from discord.ext import commands

from cogs.quiz.cog import Quiz


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Quiz(bot))
