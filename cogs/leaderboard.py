"""``/leaderboard``: the server's ranking, paged with persistent Previous/Next buttons.

A page's query lives in its buttons' custom ids (period, metric, deck, page), so
paging works on any message, after any restart. On an ephemeral board a click
turns the page; on a public one, anyone's click opens their own private copy of
that page instead of changing what the channel sees.

Who may page: a moderator posted a public board for everyone, so any member may
page through that same query (period, metric, deck), on the channel's message and
on their private copy, whose buttons carry the ``:s`` (shared) mark. A moderator's
private board has no mark: its buttons re-check Manage Server, so a moderator who
lost the permission cannot keep reading it. The mark in the clicked id is never
trusted by itself (a client can send any custom id on any of the bot's messages):
it counts only when the clicked message, as Discord's own payload describes it, is
Recall's own public board (or a private copy of it) for that very query (see
:func:`vouched_shared`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.custom_ids import METRIC_CODES, PAGE_PATTERN, PERIOD_CODES
from bot.core.leaderboard import LeaderboardPage, Metric, Period
from bot.core.learner import Identity, Platform
from bot.phrases import board_title, board_value, query_title
from cogs.common.autocomplete import deck_autocomplete
from cogs.common.buttons import CustomId, PersistentButton
from cogs.common.checks import require_moderator
from cogs.common.errors import UserFacingError, report
from cogs.common.identity import learner

if TYPE_CHECKING:
    from bot.client import RecallBot

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
MEDALS_MAX = 3
"""Medals go to at most this many learners: when more tie for the top places, a
medal means nothing, so ranks are shown as numbers (``=1.`` for a shared rank)."""


def rank_marks(ranks: list[int], total: int) -> list[str]:
    """What stands before each row of a page: a medal, ``` `  4.` ``` or ``` ` =4.` ```.

    Ranks are competition ranks (ties share one: 1, 1, 3). Medals are given only when
    at most :data:`MEDALS_MAX` learners rank in the top three and not everyone ranked
    ties (a board where all 40 learners share first place has no winner). A shared
    rank is marked with ``=``.
    """
    counts: dict[int, int] = {}
    for rank in ranks:
        counts[rank] = counts.get(rank, 0) + 1
    medalists = sum(n for rank, n in counts.items() if rank in MEDALS)
    everyone_tied = total > 1 and counts.get(1, 0) == total
    medals = medalists <= MEDALS_MAX and not everyone_tied
    marks: list[str] = []
    for rank in ranks:
        if medals and rank in MEDALS:
            marks.append(MEDALS[rank])
        else:
            shared = "=" if counts[rank] > 1 else ""
            marks.append(f"`{shared + str(rank):>3}.`")
    return marks


PUBLIC_MARK = "Public board"
"""The footer's last words on a public board and on members' private copies of it:
Recall's own mark that the board's query is anyone's (see :func:`vouched_shared`)."""


def render_page(
    board: LeaderboardPage, *, shared: bool = False
) -> tuple[discord.Embed, discord.ui.View]:
    """The embed and the paging buttons for one page.

    ``shared`` marks the buttons of a page of a public board (any member may page).
    """
    embed = discord.Embed(title=board_title(board)[:256], colour=discord.Colour.gold())
    if board.empty:
        embed.description = "Nobody is ranked yet: no answers in this period" + (
            f" (accuracy needs {board.min_reviews} answers)." if board.min_reviews > 1 else "."
        )
    else:
        marks = rank_marks([row.rank for row in board.rows], board.total)
        embed.description = "\n".join(
            f"{mark} <@{row.learner.external_id}> · {board_value(board.metric, row)}"
            for mark, row in zip(marks, board.rows, strict=True)
        )
    footer = f"Page {board.page + 1} of {board.pages} · {board.total} ranked"
    if board.viewer is not None:
        footer += f" · You: #{board.viewer.rank} ({board_value(board.metric, board.viewer)})"
    elif board.min_reviews > 1:
        footer += f" · {board.min_reviews} answers needed to be ranked"
    if shared:
        footer += f" · {PUBLIC_MARK}"
    embed.set_footer(text=footer)
    view = discord.ui.View(timeout=None)
    view.add_item(
        PageButton(
            board.period,
            board.metric,
            board.deck_id,
            board.page - 1,
            "p",
            disabled=not board.has_previous,
            shared=shared,
        )
    )
    view.add_item(
        PageButton(
            board.period,
            board.metric,
            board.deck_id,
            board.page + 1,
            "n",
            disabled=not board.has_next,
            shared=shared,
        )
    )
    return embed, view


def vouched_shared(interaction: discord.Interaction[Any], button: PageButton) -> bool:
    """Whether the click pages a public board that Recall itself posted.

    The ``:s`` mark in the clicked id is never trusted by itself: a tampered client
    can send any custom id on any of the bot's messages. Discord's payload carries the
    clicked message as Recall wrote it, and only Recall writes its embeds: the click
    counts as shared only when that message is Recall's own leaderboard embed, marked
    as a public board (the channel's message or a member's private copy of it), for
    exactly the query in the clicked id. A forged id on a ``/quiz help`` reply, on a
    moderator's private board, or for another query than the public board's, fails,
    and the moderator check runs.
    """
    message = interaction.message
    me = interaction.client.user
    if not button.shared or message is None or me is None or message.author.id != me.id:
        return False
    if not message.embeds:
        return False
    shown = message.embeds[0]
    footer = shown.footer.text or ""
    title = query_title(button.period, button.metric, button.deck_id)[:256]
    return shown.title == title and footer.endswith(PUBLIC_MARK)


class PageButton(PersistentButton, template=PAGE_PATTERN):
    """Previous or Next on a leaderboard page."""

    def __init__(
        self,
        period: Period,
        metric: Metric,
        deck_id: str | None,
        page: int,
        direction: str,
        *,
        disabled: bool = False,
        shared: bool = False,
    ) -> None:
        self.period = period
        self.metric = metric
        self.deck_id = deck_id
        self.page = max(0, page)
        self.shared = shared
        custom_id = (
            f"recall:lb:{PERIOD_CODES[period]}:{METRIC_CODES[metric]}:{deck_id or ''}"
            f":{self.page}:{direction}{':s' if shared else ''}"
        )
        super().__init__(
            label="Previous" if direction == "p" else "Next",
            style=discord.ButtonStyle.secondary,
            custom_id=custom_id,
            disabled=disabled,
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> PageButton:
        """Rebuild the page query from the custom id."""
        period = next(p for p, code in PERIOD_CODES.items() if code == found["period"])
        metric = next(m for m, code in METRIC_CODES.items() if code == found["metric"])
        return cls(
            period,
            metric,
            found["deck"] or None,
            int(found["page"]),
            found["dir"],
            shared=found["shared"] is not None,
        )

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Show the requested page (privately, when the board is public).

        A click on the public message, or on a private copy of it, is anyone's; a
        click on a moderator's private board needs Manage Server again.
        """
        bot: RecallBot = interaction.client
        try:
            public = interaction.message is not None and not interaction.message.flags.ephemeral
            shared = vouched_shared(interaction, self)
            if not shared:
                require_moderator(interaction)
            if interaction.guild_id is None:
                raise UserFacingError("This leaderboard works in a server, not in DMs.")
            board = await bot.reports.leaderboard(
                Identity(Platform.DISCORD, str(interaction.guild_id)),
                self.period,
                self.metric,
                self.deck_id,
                self.page,
                viewer=learner(interaction.user),
            )
            embed, view = render_page(board, shared=shared)
            if public:
                await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
            else:
                await interaction.response.edit_message(embed=embed, view=view)
        except Exception as exc:
            await report(interaction, exc)


class Leaderboard(commands.Cog):
    """Moderators' view of who is ahead."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot: RecallBot = bot  # type: ignore[assignment]

    async def cog_load(self) -> None:
        """Register the paging buttons."""
        self.bot.add_dynamic_items(PageButton)

    async def cog_unload(self) -> None:
        """Unregister the paging buttons."""
        self.bot.remove_dynamic_items(PageButton)

    @app_commands.command(name="leaderboard", description="The server's learners, ranked")
    @app_commands.describe(
        period="How far back (default: this week)",
        metric="Rank by (default: XP)",
        deck="Only this deck (default: all decks)",
        public="Post it in the channel for everyone (default: only you see it)",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def leaderboard(
        self,
        interaction: discord.Interaction[Any],
        period: Literal["week", "month", "all"] = "week",
        metric: Literal["xp", "streak", "accuracy"] = "xp",
        deck: str | None = None,
        public: bool = False,
    ) -> None:
        """``/leaderboard``."""
        here = require_moderator(interaction)
        if deck is not None and not await self.bot.deck_admin.knows(here, deck):
            await interaction.response.send_message(
                f"There is no deck called '{deck[:100]}'.", ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=not public, thinking=True)
        board = await self.bot.reports.leaderboard(
            here, Period(period), Metric(metric), deck, 0, viewer=learner(interaction.user)
        )
        embed, view = render_page(board, shared=public)
        await interaction.followup.send(embed=embed, view=view, ephemeral=not public)


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Leaderboard(bot))
