"""The floor for the end-to-end benchmark: a bare discord.py bot with the same flow.

``python -m bench.bare_bot`` reads the same environment as ``python -m bot``
(``DISCORD_TOKEN``, ``DISCORD_API_BASE``, ``DISCORD_GATEWAY_URL``, ``DEV_GUILD_ID``)
and walks the flashcard flow with the same command and buttons — ``/quiz start``
(kind, count), **Reveal answer**, **Again/Hard/Good/Easy**, a summary — as
``DynamicItem`` buttons with fixed text: no database, no deck, no scheduler. What
Recall costs on top of this is its overhead. ``/quiz game`` posts one public question
whose option buttons only answer ``Answer locked in: B`` privately (the floor for
``bench.games_bench``).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from typing import Any, Literal

import discord
import yarl
from discord import app_commands
from discord.ext import commands

GRADES = ("Again", "Hard", "Good", "Easy")


def card_embed(step: int, total: int, revealed: bool) -> discord.Embed:
    """A fixed-text flashcard, shaped like Recall's."""
    embed = discord.Embed(
        title=f"Flashcard · card {step + 1} of {total}",
        description="What does WSGI stand for and what is its main purpose?",
    )
    if revealed:
        embed.add_field(name="Answer", value="Web Server Gateway Interface.", inline=False)
    return embed


def card_view(step: int, total: int, revealed: bool) -> discord.ui.View:
    """Reveal answer, or the four grades."""
    view = discord.ui.View(timeout=None)
    if revealed:
        for number, label in enumerate(GRADES, 1):
            view.add_item(BareButton(step, total, f"g{number}", label))
    else:
        view.add_item(BareButton(step, total, "reveal", "Reveal answer"))
    return view


class BareButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bare:(?P<step>[0-9]{1,4}):(?P<total>[0-9]{1,4}):(?P<action>[a-z0-9]{1,8})",
):
    """A persistent button whose custom id carries the whole (fixed) state."""

    def __init__(self, step: int, total: int, action: str, label: str = "") -> None:
        self.step, self.total, self.action = step, total, action
        super().__init__(discord.ui.Button(label=label, custom_id=f"bare:{step}:{total}:{action}"))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> BareButton:
        """Rebuild from any click."""
        return cls(int(match["step"]), int(match["total"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Reveal, or grade and move on, with one message update."""
        if self.action == "reveal":
            await interaction.response.edit_message(
                embed=card_embed(self.step, self.total, True),
                view=card_view(self.step, self.total, True),
            )
            return
        step = self.step + 1
        if step >= self.total:
            summary = discord.Embed(title="Session complete", description="Well done.")
            await interaction.response.edit_message(embed=summary, view=None)
            return
        await interaction.response.edit_message(
            embed=card_embed(step, self.total, False), view=card_view(step, self.total, False)
        )


class BareGameButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bare:game:o(?P<index>[0-4])",
):
    """A game option: the private confirmation only (no database, no public count)."""

    def __init__(self, index: int, label: str = "") -> None:
        self.index = index
        super().__init__(discord.ui.Button(label=label, custom_id=f"bare:game:o{index}"))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> BareGameButton:
        """Rebuild from any click."""
        return cls(int(match["index"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """``Answer locked in: B``, privately, as Recall says it."""
        await interaction.response.send_message(
            f"Answer locked in: {'ABCDE'[self.index]}", ephemeral=True
        )


class BareQuiz(commands.GroupCog, group_name="quiz", group_description="Bare quiz"):
    """``/quiz start`` with Recall's ``kind`` and ``count`` options."""

    @app_commands.command(name="start", description="Start a session")
    async def start(
        self,
        interaction: discord.Interaction[Any],
        kind: Literal["flashcard", "mcq", "explain", "mixed"] = "mixed",
        count: app_commands.Range[int, 1, 50] = 10,
    ) -> None:
        """Send the first card, ephemeral like Recall's."""
        await interaction.response.send_message(
            embed=card_embed(0, count, False), view=card_view(0, count, False), ephemeral=True
        )

    @app_commands.command(name="game", description="A channel game's first question")
    async def game(
        self,
        interaction: discord.Interaction[Any],
        deck: str,
        count: app_commands.Range[int, 1, 20] = 5,
        seconds: app_commands.Range[int, 10, 120] = 20,
    ) -> None:
        """A public question with four fixed options, as Recall's first round."""
        view = discord.ui.View(timeout=None)
        for index, option in enumerate(("WSGI", "CGI", "uWSGI protocol", "ASGI")):
            view.add_item(BareGameButton(index, f"{'ABCD'[index]} · {option}"))
        embed = discord.Embed(title="Bare game · round 1", description="Which interface?")
        await interaction.response.send_message(embed=embed, view=view)


class BareBot(commands.Bot):
    """Same intents and mentions policy as Recall; commands synced to DEV_GUILD_ID."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )

    async def setup_hook(self) -> None:
        """Register the buttons and the command, then sync to the dev guild."""
        self.add_dynamic_items(BareButton, BareGameButton)
        await self.add_cog(BareQuiz())
        guild = discord.Object(id=int(os.environ["DEV_GUILD_ID"]))
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)


def main() -> None:
    """Run until SIGTERM, like ``python -m bot``."""
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])

    async def runner() -> None:
        bot = BareBot()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
        async with bot:
            await bot.start(os.environ["DISCORD_TOKEN"])

    asyncio.run(runner())


if __name__ == "__main__":
    main()
