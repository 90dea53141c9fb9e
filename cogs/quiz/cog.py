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
from bot.core.custom_ids import StartSpec, parse_id
from bot.core.errors import (
    CardChanged,
    CardRemoved,
    RecallError,
    SessionOpen,
    SessionOver,
    StaleStep,
)
from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from bot.core.session import IfOpen, SessionKind
from bot.core.timezones import InvalidTimeZone, parse_zone
from bot.decks import ExplainCard
from bot.services.study import StepView
from cogs.common.autocomplete import deck_autocomplete, zone_autocomplete
from cogs.common.checks import is_moderator
from cogs.common.errors import UserFacingError, report
from cogs.common.identity import community, learner, where
from cogs.common.ids import refuse_forged
from cogs.common.respond import show, within_deadline
from cogs.common.words import CROSS, describe, describe_off_reason, plural, relative
from cogs.quiz.buttons import (
    ANSWER_INPUT_ID,
    MODAL_PATTERN,
    QuizButton,
    ResumeButton,
    StartNewButton,
    SummaryButton,
    modal_id,
)
from cogs.quiz.forget import ForgetButton, confirm_view
from cogs.quiz.help import help_embed
from cogs.quiz.render import open_prompt, render_step

if TYPE_CHECKING:
    from bot.client import RecallBot

log = logging.getLogger(__name__)

MODAL_TITLE_MAX = 45
MODAL_PLACEHOLDER_MAX = 100
ANSWER_MAX = 4000
KIND_NAMES = {"flashcard": "flashcard", "mcq": "multiple choice", "explain": "explain"}
"""How /quiz decks names each kind; only "flashcard" takes a plural s."""
ZONE_TIP = (
    "Tip: Recall counts your streak days in UTC until you set your time zone: "
    "run /quiz timezone (for example Europe/Paris)."
)
WEAK_SHOWN = 5
_ITEMS = (QuizButton, ForgetButton, ResumeButton, StartNewButton, SummaryButton)


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
        self.bot.add_dynamic_items(*_ITEMS)

    async def cog_unload(self) -> None:
        """Unregister the persistent buttons."""
        self.bot.remove_dynamic_items(*_ITEMS)

    # -- helpers ----------------------------------------------------------------

    def _resolve_deck(self, interaction: discord.Interaction[Any], text: str | None) -> str | None:
        """The id of the deck typed (by id or title) among those this place sees; any
        other text goes on as an id, for the service to refuse after refreshing its
        catalog (or, in a DM, to find among the decks of the learner's servers)."""
        if text is None:
            return None
        return self.bot.catalog.typed(community(interaction.guild_id), text) or text

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
        """``/quiz start``: asks Resume or Start new while another session is open."""
        spec = StartSpec(
            "start",
            kind=SessionKind(kind),
            count=count,
            level=level,
            deck_id=self._resolve_deck(interaction, deck),
        )
        await self._send_first(interaction, self._starting(interaction, spec, IfOpen.ASK), spec)

    @app_commands.command(
        name="review", description="Review the cards that are due, most overdue first"
    )
    async def review(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz review``: asks Resume or Start new while another session is open."""
        spec = StartSpec("review")
        await self._send_first(interaction, self._starting(interaction, spec, IfOpen.ASK), spec)

    def _starting(
        self,
        interaction: discord.Interaction[Any],
        spec: StartSpec,
        if_open: IfOpen,
        replacing: int | None = None,
    ) -> Awaitable[StepView]:
        """The service call that starts what ``spec`` asks for."""
        return self.bot.study.start_spec(
            learner(interaction.user),
            where(interaction),
            spec,
            if_open=if_open,
            replacing=replacing,
        )

    async def _send_first(
        self,
        interaction: discord.Interaction[Any],
        starting: Awaitable[StepView],
        spec: StartSpec,
        *,
        update: bool = False,
    ) -> None:
        """Show a new session's first card (``update``: in place of the clicked
        message), or, if a session is open, ask privately: Resume or Start new."""

        async def work() -> tuple[StepView, str | None]:
            step = await starting
            # Tell the learner, once, if Recall had to turn their reminders off.
            return step, await self.bot.reminders.take_off_notice(learner(interaction.user))

        # Both database calls inside the deadline: the deferral must cover all the
        # work before the first response, not the session's start alone.
        try:
            step, reason = await within_deadline(interaction, work(), update=update)
        except SessionOpen as found:
            deck = self.bot.catalog.get(found.deck_id) if found.deck_id else None
            embed, view = open_prompt(found, deck.title if deck else None, spec)
            await show(interaction, update=False, embed=embed, view=view)
            return
        embed, view = render_step(step)
        notes = [describe_off_reason(reason)] if reason else []
        if step.first_session and step.time_zone == "UTC":
            notes.append(ZONE_TIP)
        message_id = await show(
            interaction, update=update, content="\n".join(notes) or None, embed=embed, view=view
        )
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
                plural(n, KIND_NAMES.get(kind, kind))
                if kind == "flashcard"
                else f"{n} {KIND_NAMES.get(kind, kind)}"
                for kind, n in deck.by_type.items()
            )
            embed.add_field(
                name=deck.title[:256],
                value=(
                    f"`{deck.deck_id}` · {plural(deck.cards, 'card')} ({kinds})\n"
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
        due = str(stats.due_now)
        if stats.later_today:
            due += f" ({stats.later_today} more later today)"
        embed.add_field(name="Due now", value=due)
        if stats.weak_cards:
            embed.add_field(
                name="Most missed cards",
                value="\n".join(
                    f"{CROSS} {c.excerpt} · missed {c.wrong} of {plural(c.attempts, 'time')}"
                    for c in stats.weak_cards[:WEAK_SHOWN]
                )[:1024],
                inline=False,
            )
        if stats.weak_concepts:
            embed.add_field(
                name="Concepts you leave out",
                value="\n".join(
                    f"{CROSS} {c.concept} ({c.card_id}) · missed in {c.missed}"
                    f" of {plural(c.attempts, 'answer')}"
                    for c in stats.weak_concepts[:WEAK_SHOWN]
                )[:1024],
                inline=False,
            )
        notes = [f"Time zone: {stats.time_zone}"]
        if stats.time_zone == "UTC":
            notes.append("Set yours with /quiz timezone")
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

    @app_commands.command(name="help", description="How Recall works, in one screen")
    async def help_command(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz help``."""
        await interaction.response.send_message(embed=help_embed(), ephemeral=True)

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
        elif action == "stop":
            work = study.stop(who, session_id, step)
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

    async def handle_resume(self, interaction: discord.Interaction[Any], session_id: int) -> None:
        """Resume: the open session's current card as a fresh private message, which
        becomes the session's message (the old one may have vanished with a reload)."""
        try:
            step = await within_deadline(
                interaction, self.bot.study.resume(learner(interaction.user), session_id)
            )
            embed, view = render_step(step)
            message_id = await show(interaction, update=False, embed=embed, view=view)
            if message_id is not None:
                await self.bot.study.set_message(session_id, str(message_id))
        except Exception as exc:
            await report(interaction, exc)

    async def handle_start_new(
        self, interaction: discord.Interaction[Any], session_id: int, spec: StartSpec
    ) -> None:
        """Start new: end the open session (answers kept), then start what was asked,
        in place of the question."""
        try:
            starting = self._starting(interaction, spec, IfOpen.FINISH, replacing=session_id)
            await self._send_first(interaction, starting, spec, update=True)
        except Exception as exc:
            await report(interaction, exc)

    async def handle_summary(
        self, interaction: discord.Interaction[Any], session_id: int, action: str
    ) -> None:
        """Review missed or Start another, under a summary: a new private message, so
        that the summary (and its list of missed cards) stays readable."""
        spec = StartSpec("missed" if action == "missed" else "another", origin=session_id)
        try:
            await self._send_first(interaction, self._starting(interaction, spec, IfOpen.ASK), spec)
        except Exception as exc:
            await report(interaction, exc)

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
