"""``/quiz game``: a live multiple-choice game in a channel, one round per question.

The rules and the records are the engine's (:mod:`bot.core.game`,
:mod:`bot.services.games`); this extension shows them in Discord:

- Each round is one public message: the question, the ``A · text`` option buttons,
  "N answered" and when the round ends (``<t:…:R>``), and **Stop game**. When the
  round ends the same message shows the right answer, the explanation and who got it
  right; the next round is a new message below it, and after the last one the final
  scoreboard. Names are mentions, which Discord shows as names; nothing pings
  (``allowed_mentions`` is none on every payload).
- A click is confirmed privately (``Answer locked in: B``) once the answer and its
  review are in the database; the public count is refreshed by an
  :class:`~bot.edit_pacer.EditPacer`, at most one edit per second per message
  however many answer, reading the count from the database at edit time (so a 429
  delays the count but loses no answer).
- Rounds end from the database: one task sleeps until the earliest open round's
  deadline and closes what is due (:meth:`Games.tick`). After a restart its first
  tick goes on with the stored deadlines, closes the rounds that came due meanwhile
  and posts their results (a game left more than a minute past its deadline is
  ended with its board; see :data:`bot.core.game.RESUME_GRACE`). The buttons are
  ``DynamicItem`` s, so those of a message posted before the restart still work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.custom_ids import ID_PATTERN
from bot.core.errors import RecallError
from bot.core.game import (
    DEFAULT_COUNT,
    DEFAULT_SECONDS,
    MAX_COUNT,
    MAX_SECONDS,
    MIN_COUNT,
    MIN_SECONDS,
    AnswerRefused,
    CannotStartGame,
    GameElsewhere,
    GameNotFound,
    GameOver,
    GameStatus,
    NotYourGame,
    Refusal,
    StartReason,
)
from bot.core.learner import Identity, Platform
from bot.core.session import option_fingerprint
from bot.edit_pacer import EditPacer
from bot.services.games import GameEnd, Progress, RoundView
from cogs.common.autocomplete import deck_autocomplete
from cogs.common.buttons import CustomId, PersistentButton
from cogs.common.checks import is_moderator
from cogs.common.errors import UserFacingError, report
from cogs.common.fit import fit_embed, fitted
from cogs.common.identity import community, learner
from cogs.common.respond import show, within_deadline
from cogs.common.words import relative
from cogs.quiz.render import LETTERS, option_label

if TYPE_CHECKING:
    from bot.client import RecallBot

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
IDLE_POLL = 5.0
"""Seconds the round loop sleeps at most (a game started by another process)."""
UNSHOWN_AFTER = timedelta(seconds=5)
"""An open round no message shows after this long is posted by the loop (its process
stopped between opening it and posting it)."""
EDIT_INTERVAL = 1.05
"""Seconds between two edits of one round's message (start to start): a little over a
second, so that network jitter never puts two of them inside one second at Discord."""
BOARD_LINES = 20
WINNERS_SHOWN = 40
COLOUR = discord.Colour.blurple()
OVER = discord.Colour.dark_grey()
BOARD = discord.Colour.gold()

REFUSALS: dict[Refusal, str] = {
    Refusal.LATE: "Time was up for this round, so your answer was not counted.",
    Refusal.ALREADY_ANSWERED: "You already answered this round. One answer per round.",
    Refusal.ROUND_OVER: "This round is over. Answer the current round's message.",
    Refusal.GAME_OVER: "This game is over. Start another with /quiz game.",
    Refusal.NOT_AN_OPTION: "That option is not on this question.",
    Refusal.CARD_CHANGED: "This question changed since it was shown, so nothing was recorded.",
    Refusal.WRONG_PLACE: "This game belongs to another server.",
}

ENDINGS: dict[GameStatus, str] = {
    GameStatus.FINISHED: "Final scoreboard",
    GameStatus.STOPPED: "Game stopped · scoreboard",
    GameStatus.INTERRUPTED: "Game ended after a restart · scoreboard",
}


def refusal_text(error: AnswerRefused) -> str:
    """The private reply to an answer that changed nothing."""
    text = REFUSALS[error.reason]
    if error.reason is Refusal.ALREADY_ANSWERED and error.choice is not None:
        return f"You already answered this round: {LETTERS[error.choice]}. One answer per round."
    return text


def start_refusal_text(error: CannotStartGame) -> str:
    """Why ``/quiz game`` did not start."""
    deck = (error.deck_id or "")[:100]
    return {
        StartReason.NO_SUCH_DECK: f"There is no deck called '{deck}'. See /quiz decks.",
        StartReason.NO_QUESTIONS: (
            f"Deck '{deck}' has no multiple-choice questions, so it can't be played as a game."
        ),
        StartReason.BAD_COUNT: f"Count must be between {error.low} and {error.high}.",
        StartReason.BAD_SECONDS: f"Seconds must be between {error.low} and {error.high}.",
        StartReason.ALREADY_RUNNING: (
            "A game is already running in this channel. Play along, or wait for it to end."
        ),
        StartReason.NOT_IN_A_CHANNEL: "Games run in a server channel, not in DMs.",
    }[error.reason]


def name(who: Identity) -> str:
    """A member as a mention: Discord shows their name, and ``NO_PINGS`` keeps it silent."""
    return f"<@{who.external_id}>" if who.platform is Platform.DISCORD else who.external_id


# -- rendering -------------------------------------------------------------------------


def round_title(view: RoundView) -> str:
    """``WSGI vs ASGI in Django · round 2 of 5`` (``… · over`` once closed), the deck's
    title cut so that the whole fits Discord's 256 characters."""
    over = " · over" if view.closed else ""
    return fitted(view.deck_title, f" · round {view.number} of {view.total}{over}")


def answered_text(count: int) -> str:
    """``3 answered``"""
    return f"{count} answered"


def round_embed(view: RoundView) -> discord.Embed:
    """The round's public message: the question while open, the results once closed,
    within Discord's limits (6,000 characters in all: the question, already shown
    whole while the round was open, gives way to the results)."""
    return fit_embed(_round_embed(view))


def _round_embed(view: RoundView) -> discord.Embed:
    card = view.card
    question = card.question if card else "This question was removed from its deck."
    if not view.closed:
        embed = discord.Embed(title=round_title(view), description=question, colour=COLOUR)
        embed.add_field(name="Answers", value=answered_text(view.answered))
        embed.add_field(name="Time left", value=f"ends {relative(view.deadline)}")
        embed.set_footer(text="One answer each; it stays private until the round ends.")
        return embed
    embed = discord.Embed(title=round_title(view), description=question, colour=OVER)
    right = view.question.answer_index
    if card is not None:
        embed.add_field(
            name="Answer", value=f"**{option_label(right, card.answer)}**", inline=False
        )
        embed.add_field(name="Why", value=card.explanation[:1024], inline=False)
    shown = [name(who) for who in view.winners[:WINNERS_SHOWN]]
    if len(view.winners) > WINNERS_SHOWN:
        shown.append(f"and {len(view.winners) - WINNERS_SHOWN} more")
    embed.add_field(
        name=f"Right: {len(view.winners)} of {view.answered}",
        value=(", ".join(shown) or "Nobody this time.")[:1024],
        inline=False,
    )
    return embed


def round_view(view: RoundView) -> discord.ui.View:
    """The option buttons (and Stop game) of an open round; the options greyed out,
    the right one green, once it is closed."""
    buttons = discord.ui.View(timeout=None)
    # A card removed from its deck has no options to show, but the game can still be
    # stopped (its round ends at its deadline, and the next round skips the card).
    options = view.card.options if view.card is not None else ()
    for index, option in enumerate(options):
        button = GameOptionButton(view.game_id, view.number, index, option)
        if view.closed:
            button.item.disabled = True
            if index == view.question.answer_index:
                button.item.style = discord.ButtonStyle.success
        buttons.add_item(button)
    if not view.closed and view.game_status is GameStatus.RUNNING:
        buttons.add_item(StopGameButton(view.game_id))
    return buttons


def board_embed(end: GameEnd) -> discord.Embed:
    """The final scoreboard: place, member, points."""
    played = f"{end.rounds_played} of {end.total} rounds played."
    embed = discord.Embed(title=ENDINGS[end.status], colour=BOARD)
    if not end.board:
        embed.description = f"Nobody answered. {played}"
        return embed
    lines = []
    for line in end.board[:BOARD_LINES]:
        points = "point" if line.points == 1 else "points"
        lines.append(f"**{line.place}.** {name(line.who)} · {line.points} {points}")
    if len(end.board) > BOARD_LINES:
        lines.append(f"…and {len(end.board) - BOARD_LINES} more players.")
    lines.append("")
    lines.append(f"{played} Missed questions are waiting in your /quiz review.")
    embed.description = "\n".join(lines)[:4096]
    return embed


# -- buttons -------------------------------------------------------------------------


def _games(interaction: discord.Interaction[Any]) -> Games | None:
    """The games cog, or None while the bot shuts down (the state is in the database)."""
    cog = interaction.client.get_cog("Games")
    return cog if isinstance(cog, Games) else None


class GameOptionButton(
    PersistentButton,
    template=(
        rf"recall:game:(?P<game>{ID_PATTERN}):(?P<round>[0-9]{{1,2}})"
        r":o(?P<index>[0-4])(?P<fp>[0-9a-f]{4})"
    ),
):
    """An option of a game's round: anyone in the channel may answer once."""

    def __init__(self, game_id: int, number: int, index: int, option: str) -> None:
        self.game_id = game_id
        self.number = number
        self.index = index
        self.fingerprint = option_fingerprint(option)
        super().__init__(
            label=option_label(index, option),
            style=discord.ButtonStyle.secondary,
            custom_id=f"recall:game:{game_id}:{number}:o{index}{self.fingerprint}",
            row=0,  # up to five options: one row
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> GameOptionButton:
        """The button of the custom id (the label is not needed to answer)."""
        button = cls(found.id("game"), int(found["round"]), int(found["index"]), "")
        button.fingerprint = found["fp"]
        return button

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Lock the answer in (and its review), confirm it privately, refresh the count."""
        bot: RecallBot = interaction.client
        try:
            receipt = await within_deadline(
                interaction,
                bot.games.answer(
                    learner(interaction.user),
                    self.game_id,
                    self.number,
                    self.index,
                    community=community(interaction.guild_id),
                    fingerprint=self.fingerprint,
                ),
            )
        except AnswerRefused as exc:
            await report(interaction, UserFacingError(refusal_text(exc)))
            return
        except GameNotFound:
            await report(interaction, UserFacingError("This game no longer exists."))
            return
        except Exception as exc:
            await report(interaction, exc)
            return
        # The answer is stored: ask for the public count's refresh (paced) before
        # replying, so that it is pending whatever happens to the reply.
        cog = _games(interaction)
        if cog is not None:
            message = interaction.message
            where = None if message is None else (message.channel.id, message.id)
            cog.answered(self.game_id, self.number, where)
        text = f"Answer locked in: {LETTERS[receipt.choice]}"
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


class StopGameButton(PersistentButton, template=rf"recall:game:(?P<game>{ID_PATTERN}):stop"):
    """Ends the game: for the member who started it and for moderators."""

    def __init__(self, game_id: int) -> None:
        self.game_id = game_id
        super().__init__(
            label="Stop game",
            style=discord.ButtonStyle.danger,
            custom_id=f"recall:game:{game_id}:stop",
            row=1,
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> StopGameButton:
        """The button of the custom id."""
        return cls(found.id("game"))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Stop the game if the clicker may (checked again here, on every click)."""
        bot: RecallBot = interaction.client
        try:
            progress = await bot.games.stop(
                learner(interaction.user),
                self.game_id,
                community=community(interaction.guild_id),
                moderator=is_moderator(interaction),
            )
        except GameElsewhere:
            # A moderator here is nobody there: only the game's own server may end it.
            await report(interaction, UserFacingError(REFUSALS[Refusal.WRONG_PLACE]))
            return
        except NotYourGame:
            await report(
                interaction,
                UserFacingError(
                    "Only the member who started this game, or a moderator, can stop it."
                ),
            )
            return
        except GameOver:
            await report(interaction, UserFacingError("This game is already over."))
            return
        except (GameNotFound, RecallError):
            await report(interaction, UserFacingError("This game no longer exists."))
            return
        except Exception as exc:
            await report(interaction, exc)
            return
        cog = _games(interaction)
        if cog is not None:
            cog.later(cog.show_progress(progress))
        await interaction.response.send_message(
            "You stopped the game.", ephemeral=True, allowed_mentions=NO_PINGS
        )


# -- the command ---------------------------------------------------------------------


@app_commands.describe(
    deck="Deck to play (its multiple-choice questions)",
    count=f"How many questions, {MIN_COUNT} to {MAX_COUNT} (default {DEFAULT_COUNT})",
    seconds=f"Seconds per question, {MIN_SECONDS} to {MAX_SECONDS} (default {DEFAULT_SECONDS})",
)
@app_commands.autocomplete(deck=deck_autocomplete)
async def game_command(
    interaction: discord.Interaction[Any],
    deck: str,
    count: app_commands.Range[int, 1, 20] = DEFAULT_COUNT,
    seconds: app_commands.Range[int, 10, 120] = DEFAULT_SECONDS,
) -> None:
    """``/quiz game``."""
    cog = _games(interaction)
    if cog is None:
        raise UserFacingError("Recall is restarting; try again in a moment.")
    await cog.start_game(interaction, deck, count, seconds)


class Games(commands.Cog):
    """Channel games: the command, the buttons, the round loop and the paced edits."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot: RecallBot = bot  # type: ignore[assignment]
        self.command: app_commands.Command[Any, Any, None] = app_commands.Command(
            name="game",
            description="Play a multiple-choice game with everyone in this channel",
            callback=game_command,
        )
        self.pacer: EditPacer[tuple[int, int]] = EditPacer(self._refresh, interval=EDIT_INTERVAL)
        self._messages: dict[tuple[int, int], tuple[int, int]] = {}
        """(game, round) → (channel, message), as posted or clicked in this process."""
        self._wake = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._later: set[asyncio.Task[None]] = set()

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` after the click's reply (posting a board must not hold the
        click past Discord's 3 seconds); :meth:`drain` waits for it."""

        async def guarded() -> None:
            try:
                await work
            except Exception:
                # The game's state is in the database; the channel just missed a post.
                log.exception("game: showing a stopped game failed")

        task = asyncio.get_running_loop().create_task(guarded())
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def drain(self) -> None:
        """Wait for the posts and paced edits pending now (tests, benches)."""
        while self._later or self.pacer.busy:
            await asyncio.gather(*list(self._later), return_exceptions=True)
            await self.pacer.drain()

    async def cog_load(self) -> None:
        """Add ``/quiz game``, register the buttons, start the round loop."""
        quiz = self.bot.tree.get_command("quiz")
        if not isinstance(quiz, app_commands.Group):
            raise RuntimeError("load cogs.quiz before cogs.games")
        quiz.add_command(self.command)
        self.bot.add_dynamic_items(GameOptionButton, StopGameButton)
        if self.bot.background_jobs:
            self._loop = asyncio.get_running_loop().create_task(self._run())

    async def cog_unload(self) -> None:
        """Stop the loop and the pending edits (the state is in the database)."""
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
        await asyncio.gather(*list(self._later), return_exceptions=True)
        await self.pacer.close()
        self.bot.remove_dynamic_items(GameOptionButton, StopGameButton)
        quiz = self.bot.tree.get_command("quiz")
        if isinstance(quiz, app_commands.Group):
            quiz.remove_command(self.command.name)

    # -- starting ---------------------------------------------------------------

    def _resolve_deck(self, interaction: discord.Interaction[Any], text: str) -> str:
        """The id of the deck typed (by id or title) among those this server sees; any
        other text goes on as an id, for the service to refuse after refreshing."""
        return self.bot.catalog.typed(community(interaction.guild_id), text) or text

    async def start_game(
        self, interaction: discord.Interaction[Any], deck: str, count: int, seconds: int
    ) -> None:
        """Start a game in the interaction's channel; the reply is its first round."""
        if interaction.guild_id is None or interaction.channel_id is None:
            raise UserFacingError(start_refusal_text(CannotStartGame(StartReason.NOT_IN_A_CHANNEL)))
        deck_id = self._resolve_deck(interaction, deck)
        try:
            view = await within_deadline(
                interaction,
                self.bot.games.start(
                    learner(interaction.user),
                    community(interaction.guild_id),
                    str(interaction.channel_id),
                    deck_id,
                    count=count,
                    seconds=seconds,
                ),
                ephemeral=False,
                update=False,
            )
        except CannotStartGame as exc:
            raise UserFacingError(start_refusal_text(exc)) from None
        try:
            message_id = await show(
                interaction,
                update=False,
                ephemeral=False,
                embed=round_embed(view),
                view=round_view(view),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException as exc:
            # Nobody can play a game whose question is not shown: end it, or it would
            # hold the channel until its rounds time out unseen.
            log.warning("game %s: could not show the first round: %s", view.game_id, exc)
            with contextlib.suppress(RecallError):
                await self.bot.games.stop(
                    learner(interaction.user),
                    view.game_id,
                    community=community(interaction.guild_id),
                    moderator=False,
                )
            raise UserFacingError(
                "Discord refused to show this game's first question, so the game was ended "
                "and the channel is free. Try another deck, or try again in a moment."
            ) from None
        if message_id is None:  # Discord did not say: ask for it
            message_id = (await interaction.original_response()).id
        await self._remember(view, interaction.channel_id, message_id)
        self._wake.set()

    async def _remember(self, view: RoundView, channel_id: int, message_id: int) -> None:
        self._messages[(view.game_id, view.number)] = (channel_id, message_id)
        await self.bot.games.set_round_message(view.game_id, view.number, str(message_id))

    # -- answers and edits --------------------------------------------------------

    def answered(self, game_id: int, number: int, where: tuple[int, int] | None) -> None:
        """An answer was stored: refresh the round's public count (paced)."""
        if where is not None:
            self._messages.setdefault((game_id, number), where)
        self.pacer.poke((game_id, number))

    async def _refresh(self, key: tuple[int, int]) -> None:
        """Redraw the round's message from the database (the pacer calls this)."""
        view = await self.bot.games.round(*key)
        where = self._messages.get(key)
        if where is None and view.message is not None:
            where = (int(view.channel), int(view.message))
        if where is None:
            return  # not posted yet: the post will show the state
        channel = self.bot.get_partial_messageable(where[0])
        try:
            await channel.get_partial_message(where[1]).edit(
                embed=round_embed(view), view=round_view(view), allowed_mentions=NO_PINGS
            )
        except (discord.NotFound, discord.Forbidden) as exc:
            # Deleted, or Recall may no longer post there: nothing to retry.
            log.info("game %s round %s: message gone (%s)", key[0], key[1], exc.status)
        except discord.HTTPException as exc:
            if exc.status != 400:
                raise  # a 5xx, or a 429 past discord.py's retries: the pacer tries again
            # Discord refused the message itself: the same edit would be refused again.
            log.warning("game %s round %s: Discord refused the edit: %s", key[0], key[1], exc)
        if view.closed:
            self._messages.pop(key, None)

    # -- rounds ending ------------------------------------------------------------

    def _mine(self, place: Identity) -> bool:
        """Whether this process runs the shard of ``place``'s server."""
        count, ids = self.bot.shard_count, getattr(self.bot, "shard_ids", None)
        if not count or ids is None or not place.external_id.isdigit():
            return True
        return (int(place.external_id) >> 22) % count in ids

    async def tick(self) -> int:
        """Post rounds no message shows, then close every round whose deadline came and
        show what followed. Returns how many rounds were closed."""
        games = self.bot.games
        cutoff = self.bot.clock() - UNSHOWN_AFTER
        for unshown in await games.unshown_rounds(Platform.DISCORD):
            if self._mine(unshown.community) and unshown.started_at <= cutoff:
                await self._post_round(await games.round(unshown.game_id, unshown.number))
        closed = 0
        for due in await games.due_rounds(Platform.DISCORD):
            if not self._mine(due.community):
                continue
            progress = await games.close_round(due.game_id, due.number)
            if progress is not None:
                closed += 1
                await self.show_progress(progress)
        return closed

    async def show_progress(self, progress: Progress) -> None:
        """Show a closed round's results, then the next round or the final board."""
        if progress.closed is not None:
            self.pacer.poke((progress.closed.game_id, progress.closed.number))
        if progress.opened is not None:
            await self._post_round(progress.opened)
        if progress.ended is not None:
            await self._post_board(progress.ended)

    async def _post_round(self, view: RoundView) -> None:
        channel = self.bot.get_partial_messageable(int(view.channel))
        try:
            message = await channel.send(
                embed=round_embed(view), view=round_view(view), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as exc:
            # The round stays unshown in the database: the next tick tries again.
            log.warning("game %s: could not post round %s: %s", view.game_id, view.number, exc)
            return
        await self._remember(view, channel.id, message.id)

    async def _post_board(self, end: GameEnd) -> None:
        channel = self.bot.get_partial_messageable(int(end.channel))
        try:
            message = await channel.send(embed=board_embed(end), allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            log.warning("game %s: could not post the board: %s", end.game_id, exc)
            return
        await self.bot.games.set_board_message(end.game_id, str(message.id))

    async def _run(self) -> None:
        """Sleep until the next deadline (at most ``IDLE_POLL``), close what is due."""
        while True:
            delay = IDLE_POLL
            try:
                await self.tick()
                upcoming = await self.bot.games.next_deadline(Platform.DISCORD)
                if upcoming is not None:
                    left = (upcoming - self.bot.clock()).total_seconds()
                    delay = min(max(left, 0.05), IDLE_POLL)
            except Exception:
                log.exception("game loop tick failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Games(bot))
