"""``/quiz`` commands and the handling of quiz button clicks and modal answers."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts import heatmap_png
from bot.core.errors import CardChanged, CardRemoved, RecallError, SessionOver, StaleStep
from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from bot.core.session import SessionKind
from bot.core.timezones import InvalidTimeZone, parse_zone
from bot.decks import ExplainCard
from bot.services.study import StepView
from cogs.common.autocomplete import deck_autocomplete, zone_autocomplete
from cogs.common.checks import is_moderator
from cogs.common.errors import UserFacingError, report
from cogs.common.identity import community, learner, where
from cogs.common.ids import parse_id, refuse_forged
from cogs.common.respond import show, within_deadline
from cogs.common.words import describe, describe_off_reason, relative
from cogs.quiz.buttons import ANSWER_INPUT_ID, MODAL_PATTERN, QuizButton, modal_id
from cogs.quiz.forget import ForgetButton, confirm_view
from cogs.quiz.render import render_step

if TYPE_CHECKING:
    from bot.client import RecallBot

log = logging.getLogger(__name__)

MODAL_TITLE_MAX = 45
MODAL_PLACEHOLDER_MAX = 100
ANSWER_MAX = 4000
KIND_NAMES = {"flashcard": "flashcards", "mcq": "multiple choice", "explain": "explain"}


class AnswerModal(discord.ui.Modal):
    """The explain card's text box. Submissions are handled in ``Quiz.on_interaction``
    from the custom id alone, so an answer submitted after a restart still counts."""

    def __init__(self, session_id: int, step: int, prompt: str) -> None:
        super().__init__(title="Explain it", custom_id=modal_id(session_id, step), timeout=900)
        placeholder = prompt if len(prompt) <= MODAL_PLACEHOLDER_MAX else prompt[:99] + "…"
        self.answer: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            label="Your explanation",
            style=discord.TextStyle.paragraph,
            custom_id=ANSWER_INPUT_ID,
            placeholder=placeholder,
            max_length=ANSWER_MAX,
            required=True,
        )
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Nothing here: see the class docstring."""


def _find_value(components: Any, custom_id: str) -> str | None:
    """The submitted value of a text input, whatever the nesting (rows or labels)."""
    if isinstance(components, list):
        for component in components:
            found = _find_value(component, custom_id)
            if found is not None:
                return found
    elif isinstance(components, dict):
        if components.get("custom_id") == custom_id and "value" in components:
            return str(components["value"])
        for key in ("components", "component"):
            if key in components:
                found = _find_value(components[key], custom_id)
                if found is not None:
                    return found
    return None


class Quiz(commands.GroupCog, group_name="quiz", group_description="Study with Recall"):
    """Learners' commands: start, review, decks, stats, timezone, forget-me."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot: RecallBot = bot  # type: ignore[assignment]
        super().__init__()

    async def cog_load(self) -> None:
        """Register the persistent buttons."""
        self.bot.add_dynamic_items(QuizButton, ForgetButton)

    async def cog_unload(self) -> None:
        """Unregister the persistent buttons."""
        self.bot.remove_dynamic_items(QuizButton, ForgetButton)

    # -- helpers ----------------------------------------------------------------

    def _resolve_deck(self, interaction: discord.Interaction[Any], text: str | None) -> str | None:
        """The id of the deck typed (by id or title) among those this place sees; any
        other text goes on as an id, for the service to refuse after refreshing its
        catalog (or, in a DM, to find among the decks of the learner's servers)."""
        if text is None:
            return None
        visible = self.bot.catalog.visible(community(interaction.guild_id))
        if any(deck.id == text for deck in visible):
            return text
        folded = text.casefold().strip()
        for deck in visible:
            if deck.title.casefold() == folded:
                return deck.id
        return text

    # -- commands ---------------------------------------------------------------

    @app_commands.command(name="start", description="Start a personal study session")
    @app_commands.describe(
        deck="Deck to study (default: all decks)",
        kind="Kind of cards (default: mixed)",
        count="How many cards, 1 to 50 (default 10)",
        level="Only cards of this level (default: any)",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def start(
        self,
        interaction: discord.Interaction[Any],
        deck: str | None = None,
        kind: Literal["flashcard", "mcq", "explain", "mixed"] = "mixed",
        count: app_commands.Range[int, 1, 50] = 10,
        level: Literal["beginner", "intermediate", "advanced"] | None = None,
    ) -> None:
        """``/quiz start``."""
        work = self.bot.study.start(
            learner(interaction.user),
            where(interaction),
            deck_id=self._resolve_deck(interaction, deck),
            kind=SessionKind(kind),
            count=count,
            level=level,
        )
        await self._send_first(interaction, work)

    @app_commands.command(
        name="review", description="Review the cards that are due, most overdue first"
    )
    async def review(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz review``."""
        work = self.bot.study.start_review(learner(interaction.user), where(interaction))
        await self._send_first(interaction, work)

    async def _send_first(
        self, interaction: discord.Interaction[Any], starting: Awaitable[StepView]
    ) -> None:
        async def work() -> tuple[StepView, str | None]:
            step = await starting
            # Tell the learner, once, if Recall had to turn their reminders off.
            return step, await self.bot.reminders.take_off_notice(learner(interaction.user))

        # Both database calls inside the deadline: the deferral must cover all the
        # work before the first response, not the session's start alone.
        step, reason = await within_deadline(interaction, work(), update=False)
        embed, view = render_step(step)
        notice = describe_off_reason(reason) if reason else None
        message_id = await show(interaction, update=False, content=notice, embed=embed, view=view)
        if message_id is not None:
            # Where the session is shown (SPEC's sessions table); the buttons do not need it.
            await self.bot.study.set_message(step.session.id, str(message_id))

    @app_commands.command(name="decks", description="Decks with card counts and your progress")
    async def decks(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz decks``."""
        progress = await self.bot.reports.deck_progress(
            Identity(Platform.DISCORD, str(interaction.user.id)), community(interaction.guild_id)
        )
        embed = discord.Embed(title="Decks", colour=discord.Colour.blurple())
        if not progress:
            embed.description = (
                "No decks are loaded. A moderator can add some to the content folder."
            )
        for deck in progress[:25]:
            kinds = " · ".join(
                f"{n} {KIND_NAMES.get(kind, kind)}" for kind, n in deck.by_type.items()
            )
            embed.add_field(
                name=deck.title[:256],
                value=(
                    f"`{deck.deck_id}` · {deck.cards} cards ({kinds})\n"
                    f"You: {deck.seen}/{deck.cards} seen · {deck.due_now} due now"
                ),
                inline=False,
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="stats", description="Your streak, reviews, accuracy and XP")
    @app_commands.describe(member="Someone else's stats in this server (moderators only)")
    async def stats(
        self,
        interaction: discord.Interaction[Any],
        # A User as well as a Member: in a DM, or for someone who is not in this
        # server, Discord resolves only a user, and the handler says so clearly.
        member: discord.Member | discord.User | None = None,
    ) -> None:
        """``/quiz stats``: your own stats, or a member's activity in this server."""
        if member is not None and member.id != interaction.user.id:
            await self._member_stats(interaction, member)
            return
        target = interaction.user
        await interaction.response.defer(ephemeral=True, thinking=True)
        stats = await self.bot.reports.learner_stats(Identity(Platform.DISCORD, str(target.id)))
        embed = discord.Embed(
            title=f"Stats for {target.display_name}"[:256], colour=discord.Colour.blurple()
        )
        streak = stats.streak
        embed.add_field(name="Streak", value=f"🔥 {streak.current} (best {stats.best_streak})")
        embed.add_field(name="Freezes", value=f"🧊 {stats.freezes}")
        embed.add_field(name="XP", value=str(stats.xp))
        embed.add_field(name="Reviews", value=str(stats.reviews))
        accuracy = "–" if stats.accuracy is None else f"{stats.accuracy:.0%}"
        embed.add_field(name="Accuracy", value=accuracy)
        embed.add_field(name="Due today", value=str(stats.due_today))
        notes = [f"Time zone: {stats.time_zone}"]
        if streak.at_risk:
            notes.append("Study today to keep your streak!")
        if stats.reminders_off_reason:
            notes.append(describe_off_reason(stats.reminders_off_reason))
        embed.set_footer(text=" · ".join(notes))
        # The picture is drawn in a worker thread: matplotlib must not block the loop.
        png = await heatmap_png(stats.activity, stats.today)
        embed.set_image(url="attachment://activity.png")
        await interaction.followup.send(
            embed=embed, file=discord.File(io.BytesIO(png), filename="activity.png"), ephemeral=True
        )

    async def _member_stats(
        self, interaction: discord.Interaction[Any], member: discord.Member | discord.User
    ) -> None:
        """A moderator's view of a member: this server's activity only, never their zone.

        The streak is not shown: it is personal (it counts days in every server and
        in DMs, in the learner's own zone), so it would tell of activity elsewhere.
        """
        if interaction.guild is None:
            raise UserFacingError(
                "In a DM you can only see your own stats. Ask in the server for a member's."
            )
        if not is_moderator(interaction):
            raise UserFacingError("Only moderators (Manage Server) can see others' stats.")
        if not isinstance(member, discord.Member) or member.guild.id != interaction.guild.id:
            raise UserFacingError(f"{member.display_name[:100]} is not a member of this server.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        stats = await self.bot.reports.member_stats(
            Identity(Platform.DISCORD, str(interaction.guild.id)),
            Identity(Platform.DISCORD, str(member.id)),
        )
        embed = discord.Embed(
            title=f"Stats for {member.display_name} in this server"[:256],
            colour=discord.Colour.blurple(),
        )
        embed.add_field(name="XP", value=str(stats.xp))
        embed.add_field(name="Reviews", value=str(stats.reviews))
        accuracy = "–" if stats.accuracy is None else f"{stats.accuracy:.0%}"
        embed.add_field(name="Accuracy", value=accuracy)
        embed.set_footer(text="Activity in this server only · days in UTC")
        png = await heatmap_png(stats.activity, stats.today)
        embed.set_image(url="attachment://activity.png")
        await interaction.followup.send(
            embed=embed, file=discord.File(io.BytesIO(png), filename="activity.png"), ephemeral=True
        )

    @app_commands.command(
        name="timezone", description="Set your time zone (for streaks and reminders)"
    )
    @app_commands.describe(zone="An IANA time zone such as Europe/Paris or America/New_York")
    @app_commands.autocomplete(zone=zone_autocomplete)
    async def timezone(self, interaction: discord.Interaction[Any], zone: str) -> None:
        """``/quiz timezone``."""
        who = learner(interaction.user)
        try:
            key = await self.bot.learners.set_time_zone(who, zone)
        except InvalidTimeZone as exc:
            raise UserFacingError(str(exc)) from None
        await self.bot.reminders.replan(who)
        local = self.bot.clock().astimezone(parse_zone(key))
        await interaction.response.send_message(
            f"Your time zone is now **{key}** (it is {local:%H:%M} there). "
            "Your streak days and reminders follow it.",
            ephemeral=True,
        )

    @app_commands.command(name="forget-me", description="Delete all your Recall data")
    async def forget_me(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz forget-me``: asks for confirmation first."""
        await interaction.response.send_message(
            "This deletes **all** your Recall data (progress, reviews, streak, settings) "
            "in every server. It cannot be undone.",
            view=confirm_view(interaction.user.id),
            ephemeral=True,
        )

    # -- clicks and modal answers -----------------------------------------------

    async def handle_click(
        self, interaction: discord.Interaction[Any], session_id: int, step: int, action: str
    ) -> None:
        """Apply one quiz button click and show the new state."""
        try:
            new_step = await self._apply_click(interaction, session_id, step, action)
            if new_step is None:
                return  # the click opened the answer modal
            embed, view = render_step(new_step)
            await show(interaction, update=True, embed=embed, view=view)
        except (StaleStep, SessionOver) as exc:
            await self._resync(interaction, session_id, exc)
        except Exception as exc:
            await report(interaction, exc)

    async def _resync(
        self, interaction: discord.Interaction[Any], session_id: int, error: RecallError
    ) -> None:
        """The owner clicked a button of an earlier state: nothing is recorded, but the
        message is redrawn as the session stands, and the reason is said privately.

        This is what lets a learner go on after a crash that saved their answer but
        not the message's update, or after a second device showed an old copy.
        """
        try:
            current = await self.bot.study.view(session_id)
            if interaction.message is None or interaction.response.is_done():
                raise error
            embed, view = render_step(current)
            await interaction.response.edit_message(embed=embed, view=view)
            await interaction.followup.send(describe(error), ephemeral=True)
        except Exception as exc:
            await report(interaction, exc)

    async def _apply_click(
        self, interaction: discord.Interaction[Any], session_id: int, step: int, action: str
    ) -> StepView | None:
        study = self.bot.study
        who = learner(interaction.user)
        if action == "write":
            current = await study.check_step(who, session_id, step)
            if not isinstance(current.card, ExplainCard):
                return current  # the card was removed or changed: redraw it
            await interaction.response.send_modal(
                AnswerModal(session_id, step, current.card.prompt)
            )
            return None
        if action == "reveal":
            work = study.reveal(who, session_id, step)
        elif action == "hint":
            work = study.show_hint(who, session_id, step)
        elif action == "next":
            work = study.next(who, session_id, step)
        elif action in ("g1", "g2", "g3", "g4"):
            work = study.grade_flashcard(who, session_id, step, Grade(int(action[1])))
        elif re.fullmatch(r"o[0-4][0-9a-f]{4}", action):
            work = study.answer_mcq(who, session_id, step, int(action[1]), action[2:])
        else:
            raise UserFacingError("That button is not one Recall knows.")
        try:
            return await within_deadline(interaction, work)
        except (CardRemoved, CardChanged):
            # Nothing the learner did wrong: redraw the card as it is now (a removed
            # card offers Next; a changed question shows its new options).
            return await study.view(session_id)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Grade explain answers submitted through the modal."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        match = MODAL_PATTERN.fullmatch(str(data.get("custom_id", "")))
        if match is None or not self.bot.admit(interaction):
            return
        session_id = parse_id(match["sid"])
        if session_id is None:
            await refuse_forged(interaction)
            return
        text = _find_value(data.get("components", []), ANSWER_INPUT_ID) or ""
        try:
            work = self.bot.study.answer_explain(
                learner(interaction.user), session_id, int(match["step"]), text[:ANSWER_MAX]
            )
            new_step = await within_deadline(interaction, work)
            embed, view = render_step(new_step)
            await show(interaction, update=True, embed=embed, view=view)
        except Exception as exc:
            await report(interaction, exc)


__all__ = ["Quiz", "relative"]
