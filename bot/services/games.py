"""Channel games: start one, answer, close rounds as their deadlines come, stop.

Each public call is one store transaction (see :mod:`bot.storage.script`). The
rules are :mod:`bot.core.game`; the tables :mod:`bot.storage.games`. The front end
posts and edits the messages and calls :meth:`GameService.close_due` from its loop:
the database holds every open round's deadline, so a restarted process goes on
where the last one stopped (or ends a game it left too long, see
:data:`bot.core.game.RESUME_GRACE`), and of several processes exactly one closes
each round (the game's row is locked while it is closed).

**An answer is a review**: :func:`bot.core.review.review_answer` decides it (FSRS,
XP, streak) and :func:`bot.storage.reviews.record` stores it, in the transaction
that stores the one answer per member per round, as the study session and the
daily question do.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core import game as rules
from bot.core.clock import Clock
from bot.core.due import due_cutoff
from bot.core.game import (
    DEFAULT_COUNT,
    DEFAULT_SECONDS,
    AnswerRefused,
    CannotStartGame,
    GameElsewhere,
    GameNotFound,
    GameStatus,
    Question,
    Refusal,
    Round,
    StartReason,
)
from bot.core.grading import rating_for_mcq
from bot.core.learner import Identity, Platform
from bot.core.review import review_answer
from bot.core.scheduling import CardScheduler
from bot.core.session import option_fingerprint
from bot.decks import DeckLibrary
from bot.decks.catalog import DeckCatalog, plain_id
from bot.decks.models import CardType, McqCard
from bot.services.decks import refresh_catalog
from bot.storage import card_states, communities, learners, reviews
from bot.storage import games as table
from bot.storage.errors import Conflict
from bot.storage.games import DueRound, GameRecord
from bot.storage.script import Script
from bot.storage.store import Store

PREVIOUS_PLAYERS = 50
"""How many of the channel's last game's players count as "the players" when the
questions are chosen (their due cards come first)."""
DUE_BATCH = 50
"""Rounds closed per :meth:`GameService.close_due` call at most."""


@dataclass(frozen=True, slots=True)
class RoundView:
    """One round as the front end shows it (open: the question and the count; closed:
    the right answer and who gave it)."""

    game_id: int
    number: int
    total: int
    community: Identity
    channel: str
    deck_title: str
    card: McqCard | None
    """None when the deck lost the card since the round opened."""
    question: Question
    started_at: datetime
    deadline: datetime
    closed: bool
    answered: int
    winners: tuple[Identity, ...]
    """Who answered right, in the order they answered (empty while open)."""
    message: str | None
    game_status: GameStatus


@dataclass(frozen=True, slots=True)
class BoardLine:
    """One line of the final board."""

    place: int
    who: Identity
    points: int
    answered: int


@dataclass(frozen=True, slots=True)
class GameEnd:
    """A game that ended: how, and its board."""

    game_id: int
    status: GameStatus
    community: Identity
    channel: str
    rounds_played: int
    total: int
    board: tuple[BoardLine, ...]


@dataclass(frozen=True, slots=True)
class Progress:
    """What closing a round (or stopping the game) did: the closed round with its
    results, then either the round that opened or the game's end."""

    closed: RoundView | None
    """None when the game was stopped between rounds (no round was open)."""
    opened: RoundView | None
    ended: GameEnd | None


@dataclass(frozen=True, slots=True)
class AnswerReceipt:
    """An answer that was locked in."""

    game_id: int
    number: int
    choice: int
    correct: bool
    """Told to the player only when the round ends."""


class GameService:
    """Channel games, for every front end."""

    def __init__(
        self,
        store: Store,
        decks: DeckLibrary | DeckCatalog,
        scheduler: CardScheduler,
        clock: Clock,
    ) -> None:
        self.store = store
        # Bundled and uploaded decks; a DeckLibrary serves as a catalog of its own.
        self.decks = DeckCatalog.of(decks)
        self.scheduler = scheduler
        self.clock = clock

    def _now(self) -> datetime:
        # Instants are stored in whole seconds: deciding in whole seconds keeps a
        # reloaded round's deadline the one the rules computed.
        return self.clock().replace(microsecond=0)

    def candidates(self, deck_id: str, community: Identity | None = None) -> list[rules.CardKey]:
        """The multiple-choice cards of ``deck_id`` as learners type it in ``community``
        (a bundled deck, or one uploaded there), by the deck's key."""
        entry = self.decks.resolve(community, deck_id)
        if entry is None:
            raise CannotStartGame(StartReason.NO_SUCH_DECK, deck_id=deck_id)
        return [(entry.key, card.id) for card in entry.deck.cards_of(CardType.MCQ)]

    def _question(self, key: rules.CardKey) -> Question | None:
        card = self.decks.card(*key)
        if not isinstance(card, McqCard):
            return None
        return Question(key[0], key[1], answer_index=card.answer_index, options=len(card.options))

    # -- starting -------------------------------------------------------------------

    async def start(
        self,
        who: Identity,
        community: Identity | None,
        channel: str | None,
        deck_id: str,
        *,
        count: int = DEFAULT_COUNT,
        seconds: int = DEFAULT_SECONDS,
    ) -> RoundView:
        """Start a game in ``channel`` of ``community``; its first round is open.

        Raises :class:`CannotStartGame`: outside a server channel, a bad count or
        round length, an unknown deck or one without multiple-choice cards, or a game
        already running in the channel.
        """
        if community is None or channel is None:
            raise CannotStartGame(StartReason.NOT_IN_A_CHANNEL)
        rules.check_settings(count, seconds)
        await refresh_catalog(self.store, self.decks)
        candidates = self.candidates(deck_id, community)
        if not candidates:
            raise CannotStartGame(StartReason.NO_QUESTIONS, deck_id=deck_id)
        key = candidates[0][0]  # the deck's key: what its cards' memories are stored by
        now = self._now()

        def script() -> Script[RoundView]:
            starter = yield from learners.ensure(who, now)
            community_id = yield from communities.ensure(community)
            if (yield from table.running_in(community_id, channel)) is not None:
                raise CannotStartGame(StartReason.ALREADY_RUNNING, deck_id=deck_id)
            players = yield from table.previous_players(community_id, channel, PREVIOUS_PLAYERS)
            due = yield from table.due_counts({starter.id, *players}, key, due_cutoff(now))
            seed = zlib.crc32(f"{community_id}:{channel}:{now.isoformat()}".encode())
            plan = rules.choose_questions(candidates, due, count, seed, deck_id=deck_id)
            first = self._question(plan.keys[0])
            assert first is not None  # a candidate of a loaded deck
            game_id = yield from table.insert_game(
                community_id, channel, starter.id, key, seconds, plan.keys, now
            )
            if game_id is None:  # another start won the channel since the check
                raise CannotStartGame(StartReason.ALREADY_RUNNING, deck_id=deck_id)
            game = rules.start(game_id, starter.id, plan.keys, first, seconds, now)
            yield from table.insert_round(game_id, game.rounds[0])
            record = yield from table.get(game_id)
            assert record is not None
            return (yield from self._round_view(record, game.rounds[0], None))

        try:
            return await self.store.write(script())
        except Conflict as exc:
            # The unique index saw a concurrent start (PostgreSQL, past the check).
            raise CannotStartGame(StartReason.ALREADY_RUNNING, deck_id=deck_id) from exc

    # -- reading --------------------------------------------------------------------

    async def round(self, game_id: int, number: int) -> RoundView:
        """A round as it stands (for the front end's edits)."""

        await refresh_catalog(self.store, self.decks)  # the game's deck may be new here

        def script() -> Script[RoundView]:
            record = yield from table.get(game_id)
            found = yield from table.get_round(game_id, number)
            if record is None or found is None:
                raise GameNotFound()
            round_, message = found
            if round_.closed:
                loaded = yield from table.load(game_id)
                assert loaded is not None
                round_ = loaded[1].rounds[number - 1]
            return (yield from self._round_view(record, round_, message))

        return await self.store.read(script())

    def _round_view(
        self, record: GameRecord, round_: Round, message: str | None
    ) -> Script[RoundView]:
        answered = len(round_.answers)
        if not round_.closed:
            answered = yield from table.answer_count(record.id, round_.number)
        names = yield from table.identities(round_.winners)
        deck = self.decks.get(round_.question.deck_id)
        card = self.decks.card(*round_.question.key)
        if not isinstance(card, McqCard) or len(card.options) != round_.question.options:
            card = None
        return RoundView(
            game_id=record.id,
            number=round_.number,
            total=len(record.plan),
            community=record.community,
            channel=record.channel,
            deck_title=deck.title if deck else plain_id(record.deck_id),
            card=card,
            question=round_.question,
            started_at=round_.started_at,
            deadline=round_.deadline,
            closed=round_.closed,
            answered=answered,
            winners=tuple(names[p] for p in round_.winners if p in names),
            message=message,
            game_status=record.status,
        )

    async def set_round_message(self, game_id: int, number: int, message: str) -> None:
        """Remember which message shows the round."""
        await self.store.write(table.set_round_message(game_id, number, message))

    async def set_board_message(self, game_id: int, message: str) -> None:
        """Remember which message shows the final board."""
        await self.store.write(table.set_board_message(game_id, message))

    # -- answering ------------------------------------------------------------------

    async def answer(
        self,
        who: Identity,
        game_id: int,
        number: int,
        choice: int,
        *,
        community: Identity | None,
        fingerprint: str | None = None,
    ) -> AnswerReceipt:
        """Lock in ``who``'s answer ``choice`` (0-based) to round ``number``, as a review.

        ``community`` is where the click came from; ``fingerprint`` the option's
        :func:`~bot.core.session.option_fingerprint` its button carries. Raises
        :class:`AnswerRefused` (late, second answer, round or game over, another
        server, the card changed...) having recorded nothing, or :class:`GameNotFound`.
        """
        now = self.clock()
        # A game started in another process may use a deck uploaded since this one
        # last looked: one small read, and the deck's load the first time only.
        await refresh_catalog(self.store, self.decks)

        def script() -> Script[AnswerReceipt]:
            # Four statements on PostgreSQL: the round with the member's earlier answer,
            # the learner (created and locked), their memory of the card, then the
            # answer with its review in one round trip.
            context = yield from table.for_answer(game_id, number, who)
            if context is None:
                raise GameNotFound()
            if community != context.community:
                raise AnswerRefused(Refusal.WRONG_PLACE)
            round_ = context.round
            earlier = context.earlier
            if earlier is not None:
                round_ = replace(round_, answers=(earlier,))
            learner = yield from learners.ensure(who, now)
            verdict = rules.judge_answer(context.status, round_, learner.id, choice, now)
            if isinstance(verdict, Refusal):
                raise AnswerRefused(verdict, choice=None if earlier is None else earlier.choice)
            card = self.decks.card(*round_.question.key)
            if (
                not isinstance(card, McqCard)
                or len(card.options) != round_.question.options
                or card.answer_index != round_.question.answer_index
                or (
                    fingerprint is not None
                    and option_fingerprint(card.options[choice]) != fingerprint
                )
            ):
                # A deck reload changed the card since its buttons were drawn.
                raise AnswerRefused(Refusal.CARD_CHANGED)
            given = verdict.answer
            community_id = context.community_id
            memory = yield from card_states.get(learner.id, *round_.question.key)
            outcome = review_answer(
                self.scheduler,
                learner_id=learner.id,
                community_id=community_id,
                deck_id=round_.question.deck_id,
                card_id=round_.question.card_id,
                kind=CardType.MCQ.value,
                grade=rating_for_mcq(given.correct),
                correct=given.correct,
                time_zone=learner.time_zone,
                streak=learner.streak,
                memory=memory,
                now=now,
            )
            yield from reviews.record(
                outcome, and_then=[table.insert_answer_statement(game_id, number, given)]
            )
            return AnswerReceipt(game_id, number, choice, given.correct)

        try:
            return await self.store.write(script())
        except Conflict as exc:
            # The unique (game, round, learner) saw a concurrent duplicate.
            raise AnswerRefused(Refusal.ALREADY_ANSWERED) from exc

    # -- rounds ending --------------------------------------------------------------

    async def due_rounds(self, platform: Platform, *, limit: int = DUE_BATCH) -> list[DueRound]:
        """Open rounds of ``platform`` whose deadline has come."""
        return await self.store.read(table.due_rounds(platform, self._now(), limit))

    async def unshown_rounds(self, platform: Platform, *, limit: int = DUE_BATCH) -> list[DueRound]:
        """Open rounds of ``platform`` that no message shows (after a crash)."""
        return await self.store.read(table.unshown_rounds(platform, limit))

    async def next_deadline(self, platform: Platform) -> datetime | None:
        """When the next open round of ``platform`` is due, if any is open."""
        return await self.store.read(table.next_deadline(platform))

    async def close_round(self, game_id: int, number: int) -> Progress | None:
        """Close round ``number`` if it is still open and due, and open the next one
        (or end the game). None when there is nothing to do: another process closed
        it, or its deadline has not come."""
        now = self._now()
        # Before deciding that a card the catalog lacks was removed (and skipping it).
        await refresh_catalog(self.store, self.decks)

        def script() -> Script[Progress | None]:
            loaded = yield from table.load(game_id, lock=True)
            if loaded is None:
                return None
            record, game = loaded
            current = game.current
            if current is None or current.number != number or not current.due(now):
                return None
            key = game.next_key
            question = None
            # A card the deck lost since the start is skipped, not asked.
            while key is not None and (question := self._question(key)) is None:
                game = replace(game, plan=_without(game.plan, key))
                key = game.next_key
            if game.plan != record.plan:
                yield from table.set_plan(game_id, game.plan)
                record = replace(record, plan=game.plan)
            moved = rules.finish_round(game, now, question)
            return (yield from self._store_progress(record, moved, number))

        return await self.store.write(script())

    async def stop(
        self, who: Identity, game_id: int, *, community: Identity | None, moderator: bool
    ) -> Progress:
        """End the game now (``who`` started it, or ``moderator`` says they moderate
        its server). ``community`` is where the click came from: ``moderator`` speaks
        of that server only, so a click from elsewhere changes nothing. Raises
        :class:`~bot.core.game.GameElsewhere`, :class:`~bot.core.game.NotYourGame`,
        :class:`~bot.core.game.GameOver` or :class:`GameNotFound`."""
        now = self._now()
        await refresh_catalog(self.store, self.decks)

        def script() -> Script[Progress]:
            loaded = yield from table.load(game_id, lock=True)
            if loaded is None:
                raise GameNotFound()
            record, game = loaded
            if community != record.community:
                raise GameElsewhere()
            learner = yield from learners.find(who)
            open_number = game.current.number if game.current else None
            moved = rules.stop(
                game, None if learner is None else learner.id, now, moderator=moderator
            )
            return (yield from self._store_progress(record, moved, open_number))

        return await self.store.write(script())

    def _store_progress(
        self, record: GameRecord, game: rules.Game, closed_number: int | None
    ) -> Script[Progress]:
        closed_view = None
        if closed_number is not None:
            closed = game.rounds[closed_number - 1]
            assert closed.closed_at is not None
            yield from table.close_round(record.id, closed_number, closed.closed_at)
        opened_view = None
        if game.current is not None and game.current.number != closed_number:
            yield from table.insert_round(record.id, game.current)
        ended = None
        if not game.running:
            assert game.ended_at is not None
            yield from table.end(record.id, game.status, game.ended_at)
        shown = replace(record, status=game.status)
        if closed_number is not None:
            found = yield from table.get_round(record.id, closed_number)
            message = None if found is None else found[1]
            closed_view = yield from self._round_view(
                shown, game.rounds[closed_number - 1], message
            )
        if game.current is not None and game.current.number != closed_number:
            opened_view = yield from self._round_view(shown, game.current, None)
        if not game.running:
            board = rules.scoreboard(game.rounds)
            names = yield from table.identities(p.player for p in board)
            ended = GameEnd(
                game_id=record.id,
                status=game.status,
                community=record.community,
                channel=record.channel,
                rounds_played=len(game.rounds),
                total=game.total,
                board=tuple(
                    BoardLine(p.place, names[p.player], p.points, p.answered)
                    for p in board
                    if p.player in names
                ),
            )
        return Progress(closed=closed_view, opened=opened_view, ended=ended)


def _without(plan: tuple[rules.CardKey, ...], key: rules.CardKey) -> tuple[rules.CardKey, ...]:
    index = plan.index(key)
    return plan[:index] + plan[index + 1 :]


__all__ = [
    "AnswerReceipt",
    "BoardLine",
    "GameEnd",
    "GameService",
    "Progress",
    "RoundView",
]
