"""Daily reminder DMs, ``/quiz remind``, the DM's Start review button and the daily question.

The services (``bot.services.reminders``, ``bot.services.daily``) and
``bot.reminder_loop`` decide who is owed what and record it; this extension talks
to Discord: it words and sends the DM or the channel post, turns Discord's answers
into send results, and turns the services' errors into sentences.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.custom_ids import ID_PATTERN, StartSpec
from bot.core.errors import (
    AlreadyAnswered,
    CardChanged,
    DailyError,
    NotAnOption,
    NothingToStudy,
    QuestionUnavailable,
    SessionOpen,
    UnknownPost,
    WrongCommunity,
)
from bot.core.learner import Identity, Platform
from bot.core.reminders import ReminderJob, SendResult
from bot.core.session import IfOpen, SessionKind, option_fingerprint
from bot.core.timezones import InvalidLocalTime
from bot.decks import McqCard
from bot.pacing import RetryAfter
from bot.phrases import reminder_text
from bot.reminder_loop import PostResult, ReminderLoop, production_pacer
from bot.services.daily import DailyPostJob
from bot.services.study import Where
from cogs.common.buttons import CustomId, PersistentButton, refuse_unless
from cogs.common.errors import UserFacingError, report
from cogs.quiz.render import open_prompt, option_label, relative, render_step

if TYPE_CHECKING:
    from bot.client import RecallBot

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
"""Discord's error code for "Cannot send messages to this user"."""
FALLBACK_COUNT = 5
"""Cards in the session Start review opens when nothing is due (the streak is at risk)."""


def daily_error_text(error: DailyError) -> str:
    """The private reply to a daily-question click the service refused."""
    if isinstance(error, AlreadyAnswered):
        return "You already answered today's question."
    if isinstance(error, WrongCommunity):
        return "This daily question belongs to another server: answer it there."
    if isinstance(error, UnknownPost):
        return "That daily question no longer exists."
    if isinstance(error, QuestionUnavailable):
        return "That question was removed from its deck and can't be answered."
    if isinstance(error, NotAnOption):
        return "That option is not on this question."
    return "This question is no longer available."


def discord_identity(user_id: int) -> Identity:
    """A Discord user or server as the services know it."""
    return Identity(Platform.DISCORD, str(user_id))


class StartReviewButton(PersistentButton, template=rf"recall:review:(?P<uid>{ID_PATTERN})"):
    """The reminder DM's button: starts a private review session where it is clicked."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        super().__init__(
            label="Start review",
            style=discord.ButtonStyle.primary,
            custom_id=f"recall:review:{user_id}",
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> StartReviewButton:
        """The button of the custom id."""
        return cls(found.id("uid"))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Start the review (or a short session when nothing is due)."""
        if await refuse_unless(interaction, self.user_id, "This reminder is not yours."):
            return
        bot: RecallBot = interaction.client
        who = discord_identity(self.user_id)
        # A private session wherever it is clicked: no community, so it counts nowhere
        # but in the learner's own progress, like any DM session.
        where = Where(
            community=None,
            channel=None if interaction.channel_id is None else str(interaction.channel_id),
        )
        try:
            try:
                # Asks, as /quiz review does, rather than replacing an open session.
                step = await bot.study.start_review(who, where, if_open=IfOpen.ASK)
            except NothingToStudy:
                step = await bot.study.start(
                    who, where, kind=SessionKind.MIXED, count=FALLBACK_COUNT, if_open=IfOpen.ASK
                )
            embed, view = render_step(step)
            # Ephemeral wherever it is clicked: a copy of this button in a server channel
            # must not show the learner's quiz to the channel.
            sent = await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
            if sent.message_id is not None:
                await bot.study.set_message(step.session.id, str(sent.message_id))
        except SessionOpen as found:
            deck = bot.catalog.get(found.deck_id) if found.deck_id else None
            embed, view = open_prompt(found, deck.title if deck else None, StartSpec("review"))
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        except Exception as exc:
            await report(interaction, exc)


class DailyOptionButton(
    PersistentButton,
    # Options are A to E (the deck format allows 2 to 5).
    template=rf"recall:daily:(?P<post>{ID_PATTERN}):o(?P<index>[0-4])(?P<fp>[0-9a-f]{{4}})",
):
    """An option of the channel's daily question; anyone may answer once."""

    def __init__(self, post_id: int, index: int, option: str) -> None:
        self.post_id = post_id
        self.index = index
        self.fingerprint = option_fingerprint(option)
        super().__init__(
            label=option_label(index, option),
            style=discord.ButtonStyle.secondary,
            custom_id=f"recall:daily:{post_id}:o{index}{self.fingerprint}",
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> DailyOptionButton:
        """The button of the custom id (the label is not needed to answer)."""
        button = cls(found.id("post"), int(found["index"]), "")
        button.fingerprint = found["fp"]
        return button

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Record the answer; tell the member privately; update the public count."""
        bot: RecallBot = interaction.client
        guild = interaction.guild_id
        try:
            result = await bot.daily.answer(
                discord_identity(interaction.user.id),
                self.post_id,
                self.index,
                community=None if guild is None else discord_identity(guild),
                fingerprint=self.fingerprint,
            )
        except CardChanged:
            await report(interaction, UserFacingError("This question changed since it was posted."))
            return
        except DailyError as exc:
            await report(interaction, UserFacingError(daily_error_text(exc)))
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
            f"{mark}\n{result.card.explanation}\n+{result.xp} XP · streak {result.streak}",
            ephemeral=True,
        )
        if interaction.message is not None:
            embed = daily_embed(result.card, result.answers, result.correct_answers)
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
            platform=Platform.DISCORD,
            clock=self.bot.clock,
            daily=self.bot.daily,
            poster=self,
            housekeeping=self.bot.study.tidy_sessions,
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
                discord_identity(interaction.user.id), time
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
        was_on = await self.bot.reminders.turn_off(discord_identity(interaction.user.id))
        text = "Reminders are off." if was_on else "Reminders were already off."
        await interaction.response.send_message(text, ephemeral=True)

    # -- the loop's Sender and DailyPoster ------------------------------------------

    async def send_reminder(self, job: ReminderJob) -> SendResult:
        """DM one learner; map Discord's refusals to engine results."""
        user_id = int(job.identity.external_id)
        try:
            channel = await self.bot.create_dm(discord.Object(id=user_id))
            await channel.send(
                reminder_text(job),
                view=review_view(user_id),
                allowed_mentions=discord.AllowedMentions.none(),
            )
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
        channel_id = int(job.channel)
        channel = self.bot.get_channel(channel_id)
        try:
            if channel is None:
                channel = await self.bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                return PostResult.failed("not a text channel", disable=True)
            message = await channel.send(
                embed=daily_embed(job.card, 0, 0),
                view=daily_view(job.post_id, job.card),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            # The channel is gone or Recall may not post there: stop until a moderator fixes it.
            return PostResult.failed(f"HTTP {exc.status} ({exc.code})", disable=True)
        except discord.HTTPException as exc:
            return PostResult.failed(f"HTTP {exc.status} ({exc.code})")
        return PostResult.posted(str(message.id))


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Reminders(bot))
