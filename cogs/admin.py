"""``/quiz-admin``: moderators' commands (Manage Server, checked again in each handler).

``reload`` is the exception: it acts on every server, so it is for the bot's owner.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import NoQuestions
from bot.core.grading import Refusal
from bot.core.learner import Identity, Platform
from bot.core.memory import FORECAST_DAYS, DeckMemory
from bot.core.reports import CardAnswers, ClassProgress, GradedAnswer
from bot.core.timezones import InvalidLocalTime, InvalidTimeZone
from bot.decks import CardType, DeckLibrary, ExplainCard, ReloadReport
from bot.decks.catalog import DeckCatalog, plain_id
from bot.export import CSV_ENCODING, write_csv_async
from cogs.common.autocomplete import (
    MAX_CHOICES,
    deck_autocomplete,
    uploaded_deck_autocomplete,
    zone_autocomplete,
)
from cogs.common.checks import require_moderator
from cogs.common.errors import UserFacingError
from cogs.common.identity import community, learner
from cogs.deck_replies import deck_list_embed, problems_reply, uploaded_text
from cogs.quiz.render import relative

if TYPE_CHECKING:
    from bot.client import RecallBot

log = logging.getLogger(__name__)

PROBLEMS_SHOWN = 15
NAME_LOOKUPS_MAX = 2000
NAME_LOOKUP_CONCURRENCY = 5
EMBED_MAX_CHARS = 6000
"""Discord's limit on the text of one embed (title, fields, footer together)."""
EXPORT_MAX_BYTES = 8 * 1024 * 1024
"""Discord's smallest upload limit (servers without boosts)."""


async def explain_card_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Explain cards of the decks this server sees (bundled and uploaded here) whose id,
    deck or prompt contains what was typed (value: deck/card, with the plain deck id)."""
    text = current.casefold().strip()
    bot = interaction.client
    await bot.deck_admin.refresh()
    choices: list[app_commands.Choice[str]] = []
    for entry in bot.catalog.visible(community(interaction.guild_id)):
        for card in entry.deck.cards_of(CardType.EXPLAIN):
            value = f"{entry.id}/{card.id}"
            if text and text not in value and text not in card.prompt.casefold():
                continue
            prompt = " ".join(card.prompt.split())
            choices.append(app_commands.Choice(name=f"{value} · {prompt}"[:100], value=value[:100]))
            if len(choices) == MAX_CHOICES:
                return choices
    return choices


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
        here = require_moderator(interaction)
        me = channel.guild.me
        if me is not None and not channel.permissions_for(me).send_messages:
            raise UserFacingError(
                f"I can't post in {channel.mention}: give me Send Messages there."
            )
        try:
            schedule = await self.bot.daily.configure(
                here,
                str(channel.id),
                time,
                zone,
                deck,
            )
        except (InvalidLocalTime, InvalidTimeZone) as exc:
            raise UserFacingError(str(exc)) from None
        except NoQuestions as exc:
            raise UserFacingError(no_questions_text(exc)) from None
        config = schedule.config
        source = f"deck `{plain_id(config.deck_id)}`" if config.deck_id else "all decks"
        await interaction.response.send_message(
            f"A question from {source} will be posted in {channel.mention} every day at "
            f"**{config.time}** ({config.zone}). The first one: {relative(schedule.next_post_at)}.",
            ephemeral=True,
        )

    @daily.command(name="off", description="Stop the daily question")
    async def daily_off(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz-admin daily off``."""
        here = require_moderator(interaction)
        was_on = await self.bot.daily.turn_off(here)
        text = "The daily question is off." if was_on else "The daily question was not on."
        await interaction.response.send_message(text, ephemeral=True)

    deck = app_commands.Group(name="deck", description="This server's own decks")

    @deck.command(
        name="upload", description="Add a deck for this server (YAML, CSV, TSV, txt, Anki)"
    )
    @app_commands.describe(
        file="Deck YAML, CSV/TSV with a header row, plain-text export, or Anki .apkg/.colpkg",
        replace="Replace this server's deck with the same id (progress on unchanged cards stays)",
    )
    async def deck_upload(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment,
        replace: bool = False,
    ) -> None:
        """``/quiz-admin deck upload``: validated completely before anything is saved."""
        here = require_moderator(interaction)
        service = self.bot.deck_admin
        # The declared size first: an oversized file is refused without a byte read.
        service.check_size(file.size)
        # One upload at a time per server: a second one is refused before it is read.
        async with service.uploading(here):
            await interaction.response.defer(ephemeral=True, thinking=True)
            try:
                data = await file.read()
            except discord.HTTPException as exc:
                raise UserFacingError(
                    f"I could not download `{file.filename[:100]}` from Discord ({exc.status}); "
                    "try uploading it again."
                ) from None
            imported = await service.read_file(file.filename, data)
            result = imported.result
            if not result.ok:
                text, attachment = problems_reply(result)
                files = (
                    []
                    if attachment is None
                    else [discord.File(io.BytesIO(attachment[1]), filename=attachment[0])]
                )
                await interaction.followup.send(text, files=files, ephemeral=True)
                return
            saved = await service.upload(
                here,
                learner(interaction.user),
                result,
                replace=replace,
                deck_json=imported.deck_json,
            )
            log.info(
                "deck %s uploaded in %s by %s (%s)",
                saved.deck.id,
                interaction.guild_id,
                interaction.user.id,
                "replaced" if saved.replaced else "new",
            )
            await interaction.followup.send(uploaded_text(saved), ephemeral=True)

    @deck.command(name="list", description="This server's uploaded decks and the bundled ones")
    async def deck_list(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz-admin deck list``."""
        here = require_moderator(interaction)
        listing = await self.bot.deck_admin.listing(here)
        await interaction.response.send_message(embed=deck_list_embed(listing), ephemeral=True)

    @deck.command(name="remove", description="Remove a deck uploaded in this server")
    @app_commands.describe(deck="The uploaded deck (learners' history stays in the log)")
    @app_commands.autocomplete(deck=uploaded_deck_autocomplete)
    async def deck_remove(self, interaction: discord.Interaction[Any], deck: str) -> None:
        """``/quiz-admin deck remove``."""
        here = require_moderator(interaction)
        removed = await self.bot.deck_admin.remove(here, deck)
        log.info(
            "deck %s removed in %s by %s",
            removed.deck_id,
            interaction.guild_id,
            interaction.user.id,
        )
        await interaction.response.send_message(
            f"Removed `{removed.deck_id}` ({removed.title[:200]}) from this server. "
            "Learners' answers stay in the review log and on the leaderboard.",
            ephemeral=True,
        )

    @deck.command(name="download", description="An uploaded deck as a YAML file in the deck format")
    @app_commands.describe(deck="The uploaded deck")
    @app_commands.autocomplete(deck=uploaded_deck_autocomplete)
    async def deck_download(self, interaction: discord.Interaction[Any], deck: str) -> None:
        """``/quiz-admin deck download``: a file that ``deck upload`` takes back as is."""
        here = require_moderator(interaction)
        found = await self.bot.deck_admin.download(here, deck)
        await interaction.response.send_message(
            f"`{found.deck_id}` ({found.title[:200]}) in the deck format; upload it again "
            "with `/quiz-admin deck upload replace:true` after editing.",
            file=discord.File(io.BytesIO(found.yaml.encode("utf-8")), filename=found.filename),
            ephemeral=True,
        )

    @app_commands.command(name="progress", description="How the class is doing")
    @app_commands.describe(deck="Only this deck (default: all decks)")
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def progress(
        self, interaction: discord.Interaction[Any], deck: str | None = None
    ) -> None:
        """``/quiz-admin progress``: activity, accuracy, hardest cards, missed concepts."""
        here = require_moderator(interaction)
        if deck is not None and not await self.bot.deck_admin.knows(here, deck):
            raise UserFacingError(f"There is no deck called '{deck[:100]}'.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.bot.reports.class_progress(here, deck)
        await interaction.followup.send(embed=progress_embed(report), ephemeral=True)

    @app_commands.command(name="grading", description="An explain card's latest answers here")
    @app_commands.describe(card="The explain card (deck/card id)")
    @app_commands.autocomplete(card=explain_card_autocomplete)
    async def grading(self, interaction: discord.Interaction[Any], card: str) -> None:
        """``/quiz-admin grading``: the card's last answers here, each graded by the card's
        concepts as loaded now, with the phrase that earned each concept."""
        here = require_moderator(interaction)
        await self.bot.deck_admin.refresh()  # a deck uploaded through another process
        found = find_explain_card(self.bot.catalog, here, card)
        if found is None:
            raise UserFacingError(
                f"There is no explain card '{discord.utils.escape_markdown(card[:100])}'."
                " Pick one from the list."
            )
        deck_id, card_id = found
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.bot.reports.card_answers(here, deck_id, card_id)
        if report is None:  # the deck was reloaded without the card meanwhile
            await interaction.followup.send("That card is no longer in its deck.", ephemeral=True)
            return
        for page in grading_pages(report):
            await interaction.followup.send(
                page, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )

    @app_commands.command(name="export", description="CSV of every learner's results here")
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        """``/quiz-admin export``: one row per learner and deck, streamed from the database."""
        require_moderator(interaction)
        guild = interaction.guild
        assert guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock()
        community = Identity(Platform.DISCORD, str(guild.id))
        names = await member_names(guild, await self.bot.reports.export_learners(community))
        buffer = io.StringIO(newline="")
        rows = await write_csv_async(self.bot.reports.export_rows(community), names, buffer)
        data = buffer.getvalue().encode(CSV_ENCODING)
        filename = f"recall-{guild.id}-{now:%Y-%m-%d}.csv"
        if len(data) > EXPORT_MAX_BYTES:
            # A big class's CSV compresses about tenfold; gzip keeps it under the limit.
            data = await asyncio.to_thread(gzip.compress, data)
            filename += ".gz"
        if len(data) > EXPORT_MAX_BYTES:
            raise UserFacingError(
                f"The export is {len(data) // 1_000_000} MB even compressed, over Discord's "
                "upload limit; ask the bot's host for a copy of the database."
            )
        await interaction.followup.send(
            f"{rows} row{'s' if rows != 1 else ''}: one per learner and deck.",
            file=discord.File(io.BytesIO(data), filename=filename),
            ephemeral=True,
        )

    @app_commands.command(name="reload", description="Reload the decks from disk (bot owner)")
    async def reload(self, interaction: discord.Interaction[Any]) -> None:
        """Re-read the deck folder; a broken deck keeps its last good version.

        The bundled decks serve every server, so only the bot's owner (the
        application's owner or its team, as Discord reports them) may reload them;
        Manage Server in one server is not enough.
        """
        if not await self.bot.is_owner(interaction.user):
            raise UserFacingError(
                "Reloading the decks is for the bot's owner only, as it changes them on "
                "every server."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Parsing is CPU work (a hostile file can take seconds): keep it off the loop.
        report = await asyncio.to_thread(self.bot.decks.reload)
        log.info("decks reloaded by %s: %s", interaction.user.id, report.summary())
        await interaction.followup.send(
            reload_text(report, self.bot.decks.directory), ephemeral=True
        )


def no_questions_text(error: NoQuestions) -> str:
    """Why ``daily set`` found nothing to ask."""
    if error.unknown_deck:
        return f"There is no deck {error.deck_id!r}."
    where = f"deck {error.deck_id!r}" if error.deck_id else "any deck"
    return f"There are no multiple-choice questions in {where}."


def reload_text(report: ReloadReport, directory: Path) -> str:
    """The reply to a reload: what changed and the problems, with paths relative to the folder.

    Problems name the file, line, card and what is wrong, and nothing else of the
    deck's text; where the host keeps the folder stays on the host.
    """
    lines = [f"Decks reloaded: {report.summary()}."]
    if report.kept_broken:
        lines.append(
            "Kept the last good version of: " + ", ".join(f"`{d}`" for d in report.kept_broken)
        )
    if report.problems:
        lines.append("Problems:")
        for problem in report.problems[:PROBLEMS_SHOWN]:
            # A backtick in a message would end the code span early.
            shown = problem.relative_to(directory).replace("`", "'")
            lines.append(f"- `{shown}`")
        if len(report.problems) > PROBLEMS_SHOWN:
            lines.append(f"...and {len(report.problems) - PROBLEMS_SHOWN} more (see the log).")
    return "\n".join(lines)[:2000]


def progress_embed(report: ClassProgress) -> discord.Embed:
    """The class view."""
    title = "Class progress" + (f" · {report.deck_id}" if report.deck_id else "")
    embed = discord.Embed(title=title, colour=discord.Colour.blurple())
    if report.empty:
        embed.description = "Nobody has answered a card in this server yet."
        return embed
    embed.add_field(
        name="Active learners", value=f"{report.active_7d} (7 days) · {report.active_30d} (30 days)"
    )
    embed.add_field(name="Reviews", value=f"{report.reviews_7d} (7 days) · {report.reviews} (all)")
    accuracy = "–" if report.accuracy is None else f"{report.accuracy:.0%}"
    embed.add_field(name="Accuracy", value=accuracy)
    hardest = "\n".join(
        f"**{card.wrong}/{card.attempts}** wrong · {card.excerpt} (`{card.card_id}`)"
        for card in report.hardest
    )
    embed.add_field(
        name="Hardest cards", value=hardest[:1024] or "Not enough answers yet.", inline=False
    )
    missed = "\n".join(
        f"**{c.missed}/{c.attempts}** missed · {c.concept} (`{c.card_id}`)"
        for c in report.missed_concepts
    )
    embed.add_field(
        name="Concepts most often missed", value=missed[:1024] or "None yet.", inline=False
    )
    for deck in report.memory:
        embed.add_field(
            name=f"What the class will remember · {deck.deck_title}"[:256],
            value=memory_text(deck)[:1024],
            inline=False,
        )
    # Discord refuses an embed past 6,000 characters: the last decks give way.
    while len(embed) > EMBED_MAX_CHARS and len(embed.fields) > 5:
        embed.remove_field(-1)
    return embed


def find_explain_card(
    decks: DeckLibrary | DeckCatalog, community: Identity | None, given: str
) -> tuple[str, str] | None:
    """(deck id, card id) of the explain card named ``deck/card``, or by its card id alone
    when one deck has it, among the decks ``community`` sees (bundled and uploaded there);
    None otherwise. The deck id is the plain one learners see."""
    catalog = DeckCatalog.of(decks)
    deck_id, slash, card_id = given.strip().partition("/")
    if slash:
        entry = catalog.resolve(community, deck_id)
        found = entry.deck.card(card_id) if entry is not None else None
        return (deck_id, card_id) if isinstance(found, ExplainCard) else None
    matches = [
        (entry.id, card.id)
        for entry in catalog.visible(community)
        for card in entry.deck.cards_of(CardType.EXPLAIN)
        if card.id == deck_id
    ]
    return matches[0] if len(matches) == 1 else None


REFUSALS: dict[str, str] = {
    Refusal.NEGATED: "negated",
    Refusal.HEDGED: "hedged or asked",
    Refusal.NO_SENTENCE: "not in a sentence",
    Refusal.KEYWORD_LIST: "in a list of keywords",
    Refusal.PROMPT_COPY: "copied from the prompt",
    Refusal.FORBIDDEN: "next to a forbidden word",
    Refusal.REPEATED: "repeated too often",
    Refusal.RULE_UNMET: "the concept's rule not met",
}
"""Why a mention of a concept's keyword earned nothing, in the teacher's words."""

ANSWER_EXCERPT = 300
"""Characters of each answer shown (the whole answer is graded)."""
PHRASE_EXCERPT = 120
MESSAGE_MAX = 2000


def quoted(text: str, limit: int) -> str:
    """A learner's text made inert: cut to ``limit``, markdown escaped, on one line, and
    every ``@`` and ``<#`` followed by a zero-width space, so that no user, role,
    ``@everyone`` or channel mention is left in it, whatever the id (the message pings
    nobody anyway: allowed_mentions is none)."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return discord.utils.escape_markdown(flat).replace("@", "@\u200b").replace("<#", "<\u200b#")


def grading_answer(answer: GradedAnswer) -> str:
    """One answer: who and when, the text, then each concept with the phrase that earned it."""
    grade = answer.grade
    lines = [
        f"**{grade.covered}/{grade.total}** · {_learner(answer.learner)} · "
        f"{relative(answer.answered_at)}",
        f"> {quoted(answer.text, ANSWER_EXCERPT)}",
    ]
    for result in grade.results:
        if result.covered and result.start is not None and result.end is not None:
            phrase = quoted(answer.text[result.start : result.end], PHRASE_EXCERPT)
            keyword = quoted(result.matched_keyword or "", 60)
            lines.append(f"✓ {quoted(result.name, 80)}: “{phrase}” (`{keyword.replace('`', '')}`)")
        elif result.refused:
            why = REFUSALS.get(result.refused, result.refused)
            lines.append(f"✗ {quoted(result.name, 80)}: a keyword is there, {why}")
        else:
            lines.append(f"✗ {quoted(result.name, 80)}")
    return "\n".join(lines)


def grading_pages(report: CardAnswers) -> list[str]:
    """The reply to ``/quiz-admin grading``: a header with how often each concept was
    found, then the answers newest first, packed into messages of at most 2,000 chars."""
    count = len(report.answers)
    header = [
        f"**`{report.card_id}`** ({quoted(report.deck_title, 80)}): {quoted(report.prompt, 200)}",
    ]
    if not count:
        header.append("No answers to this card in this server yet.")
        return ["\n".join(header)]
    header.append(
        f"The last {_plural(count, 'answer')} here, graded by the card's keywords as they are now."
        " Found in: "
        + " · ".join(
            f"{quoted(name, 80)} {report.covered_by(name)}/{count}" for name in report.concepts
        )
    )
    pages = ["\n".join(header)[:MESSAGE_MAX]]
    for answer in report.answers:
        block = grading_answer(answer)[:MESSAGE_MAX]
        if len(pages[-1]) + 2 + len(block) <= MESSAGE_MAX:
            pages[-1] += "\n\n" + block
        else:
            pages.append(block)
    return pages


def _learner(who: Identity) -> str:
    # A mention in an embed shows the member's name and pings nobody.
    if who.platform is Platform.DISCORD and who.external_id.isdigit():
        return f"<@{who.external_id}>"
    return f"`{who.external_id[:40]}`"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def memory_text(deck: DeckMemory) -> str:
    """One deck's memory figures: predicted recall, reviews coming due, who is most overdue."""
    recall = "–" if deck.recall is None else f"{deck.recall:.0%}"
    lines = [
        f"Predicted recall today **{recall}** over {_plural(deck.cards, 'studied card')}",
        f"Due now **{deck.due_now}** · next {FORECAST_DAYS} days **{deck.due_soon}**"
        f" (by UTC day, today first: {', '.join(str(n) for n in deck.due_by_day)})",
    ]
    if deck.at_risk:
        lines.append("Most overdue:")
        for risky in deck.at_risk:
            memory = risky.memory
            shown = "–" if memory.recall is None else f"{memory.recall:.0%}"
            lines.append(
                f"- {_learner(risky.learner)} · recall {shown} · "
                f"{_plural(memory.due_now, 'card')} due · "
                f"{_plural(memory.overdue_days, 'day')} overdue"
            )
    else:
        lines.append("Nobody is overdue.")
    return "\n".join(lines)


async def member_names(guild: discord.Guild, learners: list[Identity]) -> dict[Identity, str]:
    """Display names at export time, fetched a few at a time (Recall has no members intent).

    A learner who left the server keeps an empty name; past ``NAME_LOOKUPS_MAX`` the
    rest stay empty too rather than holding the export for minutes.
    """
    names: dict[Identity, str] = {}
    gate = asyncio.Semaphore(NAME_LOOKUP_CONCURRENCY)

    async def look_up(learner: Identity) -> None:
        if learner.platform is not Platform.DISCORD or not learner.external_id.isdigit():
            return  # not a Discord member: no name to look up here
        user_id = int(learner.external_id)
        cached = guild.get_member(user_id)
        if cached is not None:
            names[learner] = cached.display_name
            return
        async with gate:
            try:
                member = await guild.fetch_member(user_id)
            except discord.HTTPException:
                return
            names[learner] = member.display_name

    await asyncio.gather(*(look_up(who) for who in learners[:NAME_LOOKUPS_MAX]))
    return names


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(QuizAdmin(bot))
