"""``/quiz-admin``: moderators' commands (Manage Server, checked again in each handler)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.daily_question import NoQuestions
from bot.timezones import InvalidLocalTime, InvalidTimeZone, search_zones
from cogs.common.checks import require_moderator
from cogs.common.errors import UserFacingError
from cogs.quiz.render import relative

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

    daily = app_commands.Group(name="daily", description="The channel's question of the day")

    async def zone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """IANA zone names matching what was typed."""
        return [app_commands.Choice(name=z, value=z) for z in search_zones(current)]

    async def deck_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Decks whose id or title contains what was typed."""
        text = current.casefold().strip()
        return [
            app_commands.Choice(name=deck.title[:100], value=deck.id)
            for deck in self.bot.decks.all()
            if text in deck.id or text in deck.title.casefold()
        ][:25]

    @daily.command(name="set", description="Post one question a day to a channel")
    @app_commands.describe(
        channel="Where to post",
        time="HH:MM, 24-hour, in the zone below",
        zone="IANA time zone, e.g. Europe/Paris",
        deck="Deck to draw from (default: all decks)",
    )
    @app_commands.autocomplete(zone=zone_autocomplete, deck=deck_autocomplete)
    async def daily_set(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        time: str,
        zone: str,
        deck: str | None = None,
    ) -> None:
        """``/quiz-admin daily set``."""
        require_moderator(interaction)
        assert interaction.guild_id is not None  # require_moderator refuses DMs
        me = channel.guild.me
        if me is not None and not channel.permissions_for(me).send_messages:
            raise UserFacingError(
                f"I can't post in {channel.mention}: give me Send Messages there."
            )
        try:
            schedule = await self.bot.daily.configure(
                interaction.guild_id, channel.id, time, zone, deck, self.bot.clock()
            )
        except (InvalidLocalTime, InvalidTimeZone, NoQuestions) as exc:
            raise UserFacingError(str(exc)) from None
        config = schedule.config
        source = f"deck `{config.deck_id}`" if config.deck_id else "all decks"
        await interaction.response.send_message(
            f"A question from {source} will be posted in {channel.mention} every day at "
            f"**{config.time}** ({config.zone}). The first one: {relative(schedule.next_post_at)}.",
            ephemeral=True,
        )

    @daily.command(name="off", description="Stop the daily question")
    async def daily_off(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz-admin daily off``."""
        require_moderator(interaction)
        assert interaction.guild_id is not None
        was_on = await self.bot.daily.turn_off(interaction.guild_id, self.bot.clock())
        text = "The daily question is off." if was_on else "The daily question was not on."
        await interaction.response.send_message(text, ephemeral=True)

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
