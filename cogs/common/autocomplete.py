"""Autocomplete callbacks shared by every command with a deck or time zone option."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.core.timezones import search_zones
from cogs.common.identity import community

MAX_CHOICES = 25
"""Discord shows at most 25 suggestions."""


async def deck_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Decks of this server (bundled and uploaded here) whose id or title contains
    what was typed (title shown, id sent); in a DM, the bundled decks."""
    text = current.casefold().strip()
    bot = interaction.client
    await bot.deck_admin.refresh()
    return [
        app_commands.Choice(name=deck.title[:100], value=deck.id)
        for deck in bot.catalog.visible(community(interaction.guild_id))
        if text in deck.id or text in deck.title.casefold()
    ][:MAX_CHOICES]


async def uploaded_deck_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Decks uploaded in this server whose id or title contains what was typed."""
    text = current.casefold().strip()
    bot = interaction.client
    await bot.deck_admin.refresh()
    return [
        app_commands.Choice(name=deck.title[:100], value=deck.id)
        for deck in bot.catalog.visible(community(interaction.guild_id))
        if not deck.bundled and (text in deck.id or text in deck.title.casefold())
    ][:MAX_CHOICES]


async def zone_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """IANA zone names matching what was typed ("new york" finds America/New_York)."""
    return [app_commands.Choice(name=z, value=z) for z in search_zones(current)]
