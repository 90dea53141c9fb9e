"""Study sessions: start one, then each click (reveal, grade, answer, next, stop).

Every public call is one transaction script (see :mod:`bot.storage.script`): it
loads the session and the learner, decides with :mod:`bot.core.session`, and
stores the decision, so a click is one trip to SQLite's thread or one PostgreSQL
transaction. The learner's row and then the session's are read ``FOR UPDATE`` on
PostgreSQL, so clicks on one session handled by two processes queue, and the
second finds its step taken; a learner's answers in two sessions at once queue too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import session as rules
from bot.core.clock import Clock
from bot.core.errors import (
    EmptyAnswer,
    NothingReason,
    NothingToStudy,
    SessionNotFound,
    StaleStep,
)
from bot.core.grading import Grade, is_blank_answer
from bot.core.learner import Identity, Learner
from bot.core.scheduling import CardMemory, CardScheduler
from bot.core.selection import Candidate, choose_cards
from bot.core.session import (
    MAX_COUNT,
    REVIEW_COUNT,
    SESSION_IDLE,
    SESSION_KEEP,
    Answered,
    QueueItem,
    SessionKind,
    SessionState,
    StepResult,
)
from bot.core.streaks import StreakState
from bot.decks import Card, DeckLibrary
from bot.decks.catalog import CatalogDeck, DeckCatalog
from bot.services.decks import CatalogMiss, refresh_catalog, with_fresh_catalog
from bot.storage import card_states, communities, learners, reviews, sessions
from bot.storage.errors import Conflict
from bot.storage.script import Script
from bot.storage.store import Store


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """The end-of-session figures."""

    answered: int
    correct: int
    xp: int
    streak: StreakState
    next_due: datetime | None


@dataclass(frozen=True, slots=True)
class StepView:
    """Everything a front end needs to show a session as it stands."""

    session: SessionState
    card: Card | None
    deck_title: str | None
    summary: SessionSummary | None = None

    @property
    def result(self) -> StepResult | None:
        """The last graded answer (of this card once answered, else of the previous one)."""
        return self.session.last_result

    @property
    def number(self) -> int:
        """1-based number of the current card."""
        return self.session.position + 1

    @property
    def total(self) -> int:
        """Cards in the session."""
        return len(self.session.queue)

    @property
    def finished(self) -> bool:
        """True when the session is over and ``summary`` is set."""
        return self.session.finished


@dataclass(frozen=True, slots=True)
class Where:
    """Where a session is started: the community (None in a DM) and the front end's
    own id of the channel."""

    community: Identity | None
    channel: str | None


Decide = Callable[
    [SessionState, Card | None, Learner, CardMemory | None], Answered | SessionState | None
]
"""A transition: the new state (or None for no change), or a graded answer."""


@dataclass(frozen=True, slots=True)
class SessionsTidied:
    """What :meth:`StudyService.tidy_sessions` did."""

    expired: int
    pruned: int


TIDY_BATCH = 500
"""Rows per housekeeping transaction, so that clicks are never held up for long."""


class StudyService:
    """Personal study sessions, for every front end.

    ``decks`` is the process's :class:`~bot.decks.catalog.DeckCatalog` (bundled and
    uploaded decks); a :class:`~bot.decks.DeckLibrary` is taken as a catalog of its
    bundled decks only. Every deck choice is scoped: in a community, the bundled
    decks and that community's; in a DM, those of every community the learner
    studies in.
    """

    def __init__(
        self,
        store: Store,
        decks: DeckLibrary | DeckCatalog,
        scheduler: CardScheduler,
        clock: Clock,
    ) -> None:
        self.store = store
        self.decks = DeckCatalog.of(decks)
        self.scheduler = scheduler
        self.clock = clock

    # -- starting -------------------------------------------------------------------

    def candidates(
        self,
        deck_id: str | None,
        kind: SessionKind,
        level: str | None,
        *,
        decks: Iterable[CatalogDeck] | None = None,
    ) -> list[Candidate]:
        """Cards of one deck (or all ``decks``) matching the kind and level filters.

        ``deck_id`` is the id learners type, looked for among ``decks`` (default: the
        bundled decks); each candidate carries its deck's key.
        """
        pool = tuple(decks) if decks is not None else self.decks.visible(None)
        if deck_id is not None:
            pool = tuple(entry for entry in pool if entry.id == deck_id)[:1]
            if not pool:
                raise NothingToStudy(NothingReason.NO_SUCH_DECK, deck_id=deck_id)
        found: list[Candidate] = []
        typed = kind not in (SessionKind.MIXED, SessionKind.REVIEW)
        for entry in pool:
            for card in entry.deck.cards:
                if typed and str(card.type) != str(kind):
                    continue
                if level is not None and card.level != level:
                    continue
                found.append(Candidate(entry.key, card))
        return found

    async def start(
        self,
        who: Identity,
        where: Where,
        *,
        deck_id: str | None = None,
        kind: SessionKind = SessionKind.MIXED,
        count: int = 10,
        level: str | None = None,
    ) -> StepView:
        """Start a personal session of up to ``count`` cards (``deck_id`` as learners
        type it: a bundled deck, or one uploaded where the session starts)."""
        _check_count(count)
        await refresh_catalog(self.store, self.decks)
        now = self.clock()
        known: list[Candidate] | None = None
        if where.community is not None:
            # In a community the scope needs no database: refuse before any transaction.
            known = self.candidates(deck_id, kind, level, decks=self.decks.visible(where.community))
            if not known:
                raise NothingToStudy(NothingReason.NO_MATCH, deck_id=deck_id)

        def choose(learner: Learner, scope: Collection[int]) -> Script[list[QueueItem]]:
            candidates = known
            if candidates is None:
                candidates = self.candidates(
                    deck_id, kind, level, decks=self.decks.visible_in(scope)
                )
                if not candidates:
                    raise NothingToStudy(NothingReason.NO_MATCH, deck_id=deck_id)
            decks = {c.deck_id for c in candidates}
            memories = yield from card_states.for_learner(learner.id, decks)
            return choose_cards(
                candidates, memories, now, count, interleave_types=kind is SessionKind.MIXED
            )

        return await self.store.write(self._create(who, where, deck_id, kind, choose, now))

    async def start_review(
        self, who: Identity, where: Where, *, count: int = REVIEW_COUNT
    ) -> StepView:
        """Start a session of the learner's due cards, most overdue first (of the decks
        the place sees: see the class docstring)."""
        _check_count(count)
        await refresh_catalog(self.store, self.decks)
        now = self.clock()

        def choose(learner: Learner, scope: Collection[int]) -> Script[list[QueueItem]]:
            # Extra rows: cards of decks that were removed, or that this place does
            # not see, are skipped here.
            keys = yield from card_states.due(learner.id, now, limit=count * 4 + 20)
            queue = [
                QueueItem(d, c)
                for d, c in keys
                if self.decks.serves(d, scope) and self.decks.card(d, c) is not None
            ]
            if not queue:
                upcoming = yield from card_states.next_due(learner.id)
                raise NothingToStudy(NothingReason.NOTHING_DUE, next_due=upcoming)
            return queue[:count]

        return await self.store.write(
            self._create(who, where, None, SessionKind.REVIEW, choose, now)
        )

    def _create(
        self,
        who: Identity,
        where: Where,
        deck_id: str | None,
        kind: SessionKind,
        choose: Callable[[Learner, Collection[int]], Script[list[QueueItem]]],
        now: datetime,
    ) -> Script[StepView]:
        learner = yield from learners.ensure(who, now)
        community_id = None
        if where.community is not None:
            community_id = yield from communities.ensure(where.community)
            scope: Collection[int] = (community_id,)
        else:
            scope = yield from communities.of_learner(learner.id)
        queue = yield from choose(learner, scope)
        key = deck_id
        if deck_id is not None and queue:
            key = queue[0].deck_id  # one deck: every card carries its key
        yield from sessions.abandon_active(learner.id, where.channel, now)
        state = yield from sessions.create(
            learner_id=learner.id,
            community_id=community_id,
            channel=where.channel,
            deck_id=key,
            kind=kind,
            queue=queue,
            now=now,
        )
        return (yield from self._view(state, learner.streak))

    # -- housekeeping ---------------------------------------------------------------

    async def tidy_sessions(
        self,
        now: datetime | None = None,
        *,
        idle: timedelta = SESSION_IDLE,
        keep: timedelta = SESSION_KEEP,
        batch: int = TIDY_BATCH,
    ) -> SessionsTidied:
        """Expire sessions left open for ``idle``, then delete sessions closed more than
        ``keep`` ago, ``batch`` rows per transaction (each batch its own transaction, so
        clicks queue behind one short one at most).
        """
        now = now or self.clock()
        expired = pruned = 0
        while True:
            n = await self.store.write(sessions.expire_idle(now - idle, now, limit=batch))
            expired += n
            if n < batch:
                break
        while True:
            n = await self.store.write(sessions.prune_closed(now - keep, limit=batch))
            pruned += n
            if n < batch:
                break
        return SessionsTidied(expired=expired, pruned=pruned)

    # -- reading --------------------------------------------------------------------

    async def view(self, session_id: int) -> StepView:
        """The session as it stands."""

        def read(strict: bool) -> Script[StepView]:
            state = yield from sessions.load(session_id)
            if state is None:
                raise SessionNotFound()
            streak = StreakState()
            if state.finished:
                learner = yield from learners.get(state.learner_id)
                streak = learner.streak if learner else streak
            return (yield from self._view(state, streak, strict=strict))

        return await with_fresh_catalog(
            self.store, self.decks, lambda strict: self.store.read(read(strict))
        )

    async def check_step(self, who: Identity, session_id: int, step: int) -> StepView:
        """The checks every click makes, changing nothing (before opening a modal, which
        must be the click's first response)."""

        def read(strict: bool) -> Script[StepView]:
            state = yield from sessions.load(session_id)
            if state is None:
                raise SessionNotFound()
            learner = yield from learners.find(who)
            rules.check_turn(state, -1 if learner is None else learner.id, step)
            streak = learner.streak if learner else StreakState()
            return (yield from self._view(state, streak, strict=strict))

        return await with_fresh_catalog(
            self.store, self.decks, lambda strict: self.store.read(read(strict))
        )

    def _card(self, item: QueueItem | None, strict: bool) -> Card | None:
        """The card of a queue item; with ``strict``, a :class:`CatalogMiss` for an
        uploaded deck this process has not loaded yet (the caller refreshes, retries)."""
        if item is None:
            return None
        if strict and not self.decks.knows(item.deck_id):
            raise CatalogMiss(item.deck_id)
        return self.decks.card(item.deck_id, item.card_id)

    def _view(
        self, state: SessionState, streak: StreakState, *, strict: bool = False
    ) -> Script[StepView]:
        item = state.current
        card = self._card(item, strict)
        deck = self.decks.get(item.deck_id) if item else None
        summary = None
        if state.finished:
            next_due = yield from card_states.next_due(state.learner_id)
            summary = SessionSummary(
                answered=state.answered,
                correct=state.correct,
                xp=state.xp,
                streak=streak,
                next_due=next_due,
            )
        return StepView(
            session=state,
            card=card,
            deck_title=deck.title if deck else None,
            summary=summary,
        )

    # -- clicks ---------------------------------------------------------------------

    async def reveal(self, who: Identity, session_id: int, step: int) -> StepView:
        """Show a flashcard's back."""
        return await self._click(
            who, session_id, step, lambda state, card, _l, _m: rules.reveal(state, card)
        )

    async def show_hint(self, who: Identity, session_id: int, step: int) -> StepView:
        """Show the explain card's hint."""
        return await self._click(
            who, session_id, step, lambda state, card, _l, _m: rules.show_hint(state, card)
        )

    async def next(self, who: Identity, session_id: int, step: int) -> StepView:
        """Move past an answered card (or skip one that was removed from its deck)."""
        return await self._click(
            who, session_id, step, lambda state, card, _l, _m: rules.advance(state, card)
        )

    async def stop(self, who: Identity, session_id: int, step: int) -> StepView:
        """End the session now, with its summary; the answers so far stay recorded."""
        return await self._click(who, session_id, step, lambda state, _c, _l, _m: rules.stop(state))

    async def grade_flashcard(
        self, who: Identity, session_id: int, step: int, grade: Grade
    ) -> StepView:
        """Record the learner's own grade of a revealed flashcard and move on."""
        return await self._answer(who, session_id, step, rules.grade_flashcard, grade)

    async def answer_mcq(
        self, who: Identity, session_id: int, step: int, choice: int, fingerprint: str | None
    ) -> StepView:
        """Grade the option the learner picked (see :func:`bot.core.session.answer_mcq`)."""
        return await self._answer(who, session_id, step, rules.answer_mcq, choice, fingerprint)

    async def answer_explain(
        self, who: Identity, session_id: int, step: int, text: str
    ) -> StepView:
        """Grade a written explanation concept by concept.

        Raises :class:`~bot.core.errors.EmptyAnswer` for an answer with no word in it,
        before the session is even read: nothing is recorded.
        """
        if is_blank_answer(text):
            raise EmptyAnswer(session_id, step)
        return await self._answer(who, session_id, step, rules.answer_explain, text)

    async def _answer(
        self,
        who: Identity,
        session_id: int,
        step: int,
        rule: Callable[..., Answered],
        *given: Any,
    ) -> StepView:
        """A click that grades: ``rule(state, card, *given, learner=, memory=, ...)``."""
        now = self.clock()

        def decide(
            state: SessionState, card: Card | None, learner: Learner, memory: CardMemory | None
        ) -> Answered:
            return rule(
                state,
                card,
                *given,
                learner=learner,
                memory=memory,
                scheduler=self.scheduler,
                now=now,
            )

        return await self._click(who, session_id, step, decide, now=now, needs_memory=True)

    async def set_message(self, session_id: int, message: str) -> None:
        """Remember which message shows the session."""
        await self.store.write(sessions.set_message(session_id, message))

    async def _click(
        self,
        who: Identity,
        session_id: int,
        step: int,
        decide: Decide,
        *,
        now: datetime | None = None,
        needs_memory: bool = False,
    ) -> StepView:
        """Load, check the turn, decide, store: one transaction."""
        at = now or self.clock()

        def click(strict: bool) -> Script[StepView]:
            # The learner's row first, then the session's (one statement, locking in
            # that order: sessions.load_for_click): starting a session locks them in
            # that order too (learners.ensure, then abandon_active), and one order
            # means no deadlock on PostgreSQL. The learner's lock also queues their
            # answers in other sessions, which read and write the same streak and
            # card memories.
            learner, state = yield from sessions.load_for_click(who, session_id)
            if state is None:
                raise SessionNotFound()
            rules.check_turn(state, -1 if learner is None else learner.id, step)
            assert learner is not None  # check_turn refused anyone else
            item = state.current
            card = self._card(item, strict)
            memory = None
            if needs_memory and item is not None:
                memory = yield from card_states.get(learner.id, item.deck_id, item.card_id)
            decision = decide(state, card, learner, memory)
            streak = learner.streak
            if isinstance(decision, Answered):
                # The answer's writes and the session's new state: none reads another's
                # row, so on PostgreSQL they go in one round trip.
                moved = decision.session
                yield from reviews.record(
                    decision.outcome,
                    and_then=[sessions.save_statement(moved, at)] if moved != state else [],
                )
                streak = decision.outcome.streak.state
                state = moved
            elif decision is not None and decision != state:
                yield from sessions.save(decision, at)
                state = decision
            return (yield from self._view(state, streak, strict=strict))

        try:
            return await with_fresh_catalog(
                self.store, self.decks, lambda strict: self.store.write(click(strict))
            )
        except Conflict as exc:
            # The unique (session, step) review exists: a concurrent duplicate that got
            # past the lock (another process on SQLite's BEGIN IMMEDIATE cannot).
            raise StaleStep() from exc


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_COUNT:
        raise NothingToStudy(NothingReason.BAD_COUNT, limit=MAX_COUNT)


__all__ = ["SessionSummary", "SessionsTidied", "StepView", "StudyService", "Where"]
