"""Daily reminder DMs, ``/quiz remind``, the DM's Start review button and the daily question.

The engine (``bot.reminders``, ``bot.daily_question``, ``bot.reminder_loop``) decides
who is owed what and records it; this extension only talks to Discord: it sends
the DM or the channel post and turns Discord's answers into engine results.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from bot.sessions import NothingToStudy, SessionKind, option_fingerprint
from discord import app_commands
from discord.ext import commands

from bot.core.timezones import InvalidLocalTime
from bot.daily_question import DailyError, DailyPostJob
from bot.decks import McqCard
from bot.pacing import RetryAfter
from bot.reminder_loop import PostResult, ReminderLoop, production_pacer
from bot.reminders import ReminderJob, SendResult
from cogs.common.errors import UserFacingError, report
from cogs.common.ids import ID_PATTERN, parse_id, refuse_forged
from cogs.common.throttle import Throttled
from cogs.quiz.render import option_label, relative, render_step

if TYPE_CHECKING:
    from bot.client import RecallBot

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
"""Discord's error code for "Cannot send messages to this user"."""
FALLBACK_COUNT = 5
"""Cards in the session Start review opens when nothing is due (the streak is at risk)."""


class StartReviewButton(
    Throttled,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=rf"recall:review:(?P<uid>{ID_PATTERN})",
):
    """The reminder DM's button: starts a private review session where it is clicked."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.forged = False
        super().__init__(
            discord.ui.Button(
                label="Start review",
                style=discord.ButtonStyle.primary,
                custom_id=f"recall:review:{user_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StartReviewButton:
        """Rebuild from the custom id."""
        user_id = parse_id(match["uid"])
        button = cls(user_id or 0)
        button.forged = user_id is None
        return button

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Start the review (or a short session when nothing is due)."""
        if self.forged:
            await refuse_forged(interaction)
            return
        if interaction.user.id != self.user_id:
            await interaction.response.send_message("This reminder is not yours.", ephemeral=True)
            return
        bot: RecallBot = interaction.client
        try:
            try:
                step = await bot.engine.start_review(
                    user_id=self.user_id, guild_id=None, channel_id=interaction.channel_id
                )
            except NothingToStudy:
                step = await bot.engine.start(
                    user_id=self.user_id,
                    guild_id=None,
                    channel_id=interaction.channel_id,
                    kind=SessionKind.MIXED,
                    count=FALLBACK_COUNT,
                )
            embed, view = render_step(step)
            # Ephemeral wherever it is clicked: a copy of this button in a server channel
            # must not show the learner's quiz to the channel.
            sent = await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
            if sent.message_id is not None:
                await bot.engine.set_message(step.session.id, sent.message_id)
        except Exception as exc:
            await report(interaction, exc)


class DailyOptionButton(
    Throttled,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    # Options are A to E (the deck format allows 2 to 5).
    template=rf"recall:daily:(?P<post>{ID_PATTERN}):o(?P<index>[0-4])(?P<fp>[0-9a-f]{{4}})",
):
    """An option of the channel's daily question; anyone may answer once."""

    def __init__(self, post_id: int, index: int, option: str) -> None:
        self.post_id = post_id
        self.index = index
        self.forged = False
        self.fingerprint = option_fingerprint(option)
        super().__init__(
            discord.ui.Button(
                label=option_label(index, option),
                style=discord.ButtonStyle.secondary,
                custom_id=f"recall:daily:{post_id}:o{index}{self.fingerprint}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DailyOptionButton:
        """Rebuild from the custom id (the label is not needed to answer)."""
        post_id = parse_id(match["post"])
        button = cls(post_id or 0, int(match["index"]), "")
        button.fingerprint = match["fp"]
        button.forged = post_id is None
        return button

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the answer; tell the member privately; update the public count."""
        if self.forged:
            await refuse_forged(interaction)
            return
        bot: RecallBot = interaction.client
        try:
            post = await bot.daily.post(self.post_id)
            card = bot.daily.question(post) if post is not None else None
            if card is None or not 0 <= self.index < len(card.options):
                raise UserFacingError("This question is no longer available.")
            if option_fingerprint(card.options[self.index]) != self.fingerprint:
                raise UserFacingError("This question changed since it was posted.")
            result = await bot.daily.answer(
                self.post_id,
                interaction.user.id,
                self.index,
                bot.clock(),
                guild_id=interaction.guild_id,
            )
        except DailyError as exc:
            await report(interaction, UserFacingError(str(exc)))
            return
        except Exception as exc:
            await report(interaction, exc)
            return
        mark = (
            "✓ Correct!"
            if result.correct
            else f"✗ Not quite. The answer is **{result.right_answer}**."
        )
        await interaction.response.send_message(
            f"{mark}\n{result.explanation}\n+{result.xp} XP · streak {result.streak}",
            ephemeral=True,
        )
        if interaction.message is not None:
            embed = daily_embed(card, result.answers, result.correct_answers)
            try:
                # discord.py adds the bot's allowed_mentions to an edit only when the
                # content changes: an embed-only edit must name it itself.
                await interaction.message.edit(
                    embed=embed, allowed_mentions=discord.AllowedMentions.none()
                )
            except discord.HTTPException as exc:
                log.info("could not update the daily question's count: %s", exc)


def daily_embed(card: McqCard, answers: int, correct: int) -> discord.Embed:
    """The public daily question, with its running count."""
    embed = discord.Embed(
        title="Question of the day", description=card.question, colour=discord.Colour.gold()
    )
    people = "answer" if answers == 1 else "answers"
    embed.set_footer(text=f"{answers} {people} · {correct} correct · answer with the buttons")
    return embed


def daily_view(post_id: int, card: McqCard) -> discord.ui.View:
    """One button per option."""
    view = discord.ui.View(timeout=None)
    for index, option in enumerate(card.options):
        view.add_item(DailyOptionButton(post_id, index, option))
    return view


def review_view(user_id: int) -> discord.ui.View:
    """The reminder DM's button."""
    view = discord.ui.View(timeout=None)
    view.add_item(StartReviewButton(user_id))
    return view


class RemindGroup(app_commands.Group):
    """``/quiz remind``: added under the ``/quiz`` group by the Reminders cog."""

    def __init__(self, cog: Reminders) -> None:
        super().__init__(name="remind", description="Daily reminder DMs")
        self.cog = cog

    @app_commands.command(
        name="set", description="A daily DM at this local time when reviews are due"
    )
    @app_commands.describe(time="HH:MM in your time zone (see /quiz timezone), e.g. 19:30")
    async def set_(self, interaction: discord.Interaction[Any], time: str) -> None:
        """``/quiz remind set``."""
        await self.cog.remind_set(interaction, time)

    @app_commands.command(name="off", description="Stop the reminder DMs")
    async def off(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz remind off``."""
        await self.cog.remind_off(interaction)


class Reminders(commands.Cog):
    """Sends reminder DMs and daily questions; owns the background loop."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot: RecallBot = bot  # type: ignore[assignment]
        self.group = RemindGroup(self)
        self.loop = ReminderLoop(
            self.bot.reminders,
            self,
            production_pacer(),
            clock=self.bot.clock,
            daily=self.bot.daily,
            poster=self,
            housekeeping=self.bot.engine.tidy_sessions,
        )

    async def cog_load(self) -> None:
        """Add ``/quiz remind``, register the buttons, start the loop."""
        quiz = self.bot.tree.get_command("quiz")
        if not isinstance(quiz, app_commands.Group):
            raise RuntimeError("load cogs.quiz before cogs.reminders")
        quiz.add_command(self.group)
        self.bot.add_dynamic_items(StartReviewButton, DailyOptionButton)
        if self.bot.background_jobs:
            self.loop.start()

    async def cog_unload(self) -> None:
        """Stop the loop (claimed but unsent reminders are released) and unregister."""
        await self.loop.stop()
        self.bot.remove_dynamic_items(StartReviewButton, DailyOptionButton)
        quiz = self.bot.tree.get_command("quiz")
        if isinstance(quiz, app_commands.Group):
            quiz.remove_command(self.group.name)

    # -- /quiz remind -------------------------------------------------------------

    async def remind_set(self, interaction: discord.Interaction[Any], time: str) -> None:
        """Turn reminders on at ``time`` in the learner's zone."""
        try:
            settings = await self.bot.reminders.set_time(
                interaction.user.id, time, self.bot.clock()
            )
        except InvalidLocalTime as exc:
            raise UserFacingError(f"'{time[:20]}' is not a time. {exc}") from None
        zone_note = (
            " Your time zone is UTC until you set yours with /quiz timezone."
            if settings.zone_is_default
            else f" ({settings.zone})"
        )
        when = f" The next one is {relative(settings.next_at)}." if settings.next_at else ""
        await interaction.response.send_message(
            f"I'll DM you at **{settings.time}** when reviews are due or your streak is at "
            f"risk.{zone_note}{when}",
            ephemeral=True,
        )

    async def remind_off(self, interaction: discord.Interaction[Any]) -> None:
        """Turn reminders off."""
        was_on = await self.bot.reminders.turn_off(interaction.user.id)
        text = "Reminders are off." if was_on else "Reminders were already off."
        await interaction.response.send_message(text, ephemeral=True)

    # -- the loop's Sender and DailyPoster ------------------------------------------

    async def send_reminder(self, job: ReminderJob) -> SendResult:
        """DM one learner; map Discord's refusals to engine results."""
        try:
            channel = await self.bot.create_dm(discord.Object(id=job.user_id))
            await channel.send(job.text(), view=review_view(job.user_id))
        except discord.Forbidden as exc:
            if exc.code == DMS_CLOSED:
                return SendResult.dms_closed()
            return SendResult.failed(f"forbidden ({exc.code})")
        except discord.RateLimited as exc:
            raise RetryAfter(exc.retry_after) from exc
        except discord.HTTPException as exc:
            return SendResult.failed(f"HTTP {exc.status} ({exc.code})")
        return SendResult.sent()

    async def post_daily(self, job: DailyPostJob) -> PostResult:
        """Post the day's question to its channel."""
        channel = self.bot.get_channel(job.channel_id)
        try:
            if channel is None:
                channel = await self.bot.fetch_channel(job.channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                return PostResult.failed("not a text channel", disable=True)
            message = await channel.send(
                embed=daily_embed(job.card, 0, 0), view=daily_view(job.post_id, job.card)
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            # The channel is gone or Recall may not post there: stop until a moderator fixes it.
            return PostResult.failed(f"HTTP {exc.status} ({exc.code})", disable=True)
        except discord.HTTPException as exc:
            return PostResult.failed(f"HTTP {exc.status} ({exc.code})")
        return PostResult.posted(message.id)


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Reminders(bot))
