"""Study sessions: start one, then each click (reveal, grade, answer, next, stop).

Every public call is one transaction script (see :mod:`bot.storage.script`): it
loads the session and the learner, decides with :mod:`bot.core.session`, and
stores the decision, so a click is one trip to SQLite's thread or one PostgreSQL
transaction. The learner's row and then the session's are read ``FOR UPDATE`` on
PostgreSQL, so clicks on one session handled by two processes queue, and the
second finds its step taken; a learner's answers in two sessions at once queue too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core import session as rules
from bot.core.clock import Clock
from bot.core.custom_ids import StartSpec
from bot.core.due import due_cutoff
from bot.core.errors import (
    EmptyAnswer,
    NothingReason,
    NothingToStudy,
    NotYourSession,
    SessionNotFound,
    SessionOpen,
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
    Ending,
    IfOpen,
    Phase,
    QueueItem,
    SessionKind,
    SessionState,
    StepResult,
)
from bot.core.streaks import StreakState
from bot.decks import Card, DeckLibrary, FlashCard
from bot.decks.catalog import CatalogDeck, DeckCatalog, plain_id
from bot.services.decks import CatalogMiss, refresh_catalog, with_fresh_catalog
from bot.storage import card_states, communities, learners, reviews, server_decks, sessions
from bot.storage.errors import Conflict
from bot.storage.script import Script, Statement, execute_together
from bot.storage.store import Store


@dataclass(frozen=True, slots=True)
class MissedCard:
    """A card missed in a session (Again, or a wrong answer), still in its deck."""

    deck_id: str
    card_id: str
    card: Card


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """The end-of-session figures."""

    answered: int
    correct: int
    xp: int
    streak: StreakState
    next_due: datetime | None
    ending: Ending = Ending.COMPLETED
    """How the session ended (completed, stopped, replaced, expired)."""
    total: int = 0
    """Cards in the session's queue (``answered`` can be fewer when it was stopped)."""
    missed: tuple[MissedCard, ...] = ()
    """The cards missed in the session, in queue order (see
    :func:`bot.core.session.missed_items`); Review missed studies these."""


@dataclass(frozen=True, slots=True)
class StepView:
    """Everything a front end needs to show a session as it stands."""

    session: SessionState
    card: Card | None
    deck_title: str | None
    summary: SessionSummary | None = None
    previews: dict[Grade, timedelta] | None = None
    """On a revealed flashcard: the interval each grade would give (nothing written)."""
    at: datetime | None = None
    """When this view was taken (to say "next review in 3d" of the last result)."""
    first_session: bool = False
    """Set on a start: this is the learner's first session (on this platform)."""
    time_zone: str | None = None
    """Set on a start: the learner's time zone (a first session on UTC says how to set it)."""

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


@dataclass(frozen=True, slots=True)
class _Options:
    """What a session made from another one asks for."""

    kind: SessionKind
    deck_id: str | None
    level: str | None


class _CatalogBehind(Exception):
    """Raised inside a start's transaction when the server decks changed (in another
    process) since this process's catalog read them: the start refreshes it and is
    made again (see :meth:`StudyService._write_start`). Never reaches a front end."""


CATALOG_ATTEMPTS = 3
"""Starts made against a catalog found behind before one is made without the check."""

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
        typed = kind not in (SessionKind.MIXED, SessionKind.REVIEW, SessionKind.MISSED)
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
        if_open: IfOpen = IfOpen.REPLACE,
        replacing: int | None = None,
    ) -> StepView:
        """Start a personal session of up to ``count`` cards (``deck_id`` as learners
        type it: a bundled deck, or one uploaded where the session starts).

        ``if_open`` says what to do when the learner has a session open (see
        :class:`~bot.core.session.IfOpen`): with ``ASK`` an open session raises
        :class:`~bot.core.errors.SessionOpen` and nothing changes. ``replacing``: the
        open session the learner chose to replace (Start new); a session of someone
        else's raises ``NotYourSession`` and nothing changes.
        """
        _check_count(count)
        now = self.clock()

        def make() -> Script[StepView]:
            known: list[Candidate] | None = None
            if where.community is not None:
                # In a community the scope needs no database: refuse before any
                # transaction (after a refresh of the catalog: see _write_start).
                known = self.candidates(
                    deck_id, kind, level, decks=self.decks.visible(where.community)
                )
                if not known:
                    raise NothingToStudy(NothingReason.NO_MATCH, deck_id=deck_id)

            in_scope: dict[tuple[int, ...], list[Candidate]] = {}

            def check(scope: Collection[int]) -> list[Candidate]:
                # In a DM the deck is looked for among the learner's communities' decks:
                # refused (NO_SUCH_DECK, NO_MATCH) before an open session is asked about,
                # so a Start new button only ever carries a deck that exists.
                if known is not None:
                    return known
                key = tuple(sorted(scope))
                if key not in in_scope:
                    found = self.candidates(
                        deck_id, kind, level, decks=self.decks.visible_in(scope)
                    )
                    if not found:
                        raise NothingToStudy(NothingReason.NO_MATCH, deck_id=deck_id)
                    in_scope[key] = found
                return in_scope[key]

            def choose(learner: Learner, scope: Collection[int]) -> Script[list[QueueItem]]:
                return (yield from self._choose(learner, check(scope), kind, count, now))

            return self._create(
                who,
                where,
                deck_id,
                kind,
                choose,
                now,
                level=level,
                if_open=if_open,
                replacing=replacing,
                check=check,
            )

        return await self._write_start(make)

    async def _write_start(self, make: Callable[[], Script[StepView]]) -> StepView:
        """Run a start's transaction ``make()`` with the deck catalog checked inside it.

        Uploaded decks change in other processes too, so a start must see the catalog
        at the database's revision. The check is the transaction's first statement
        rather than a read of its own: one trip to the database per start, not two.
        When the catalog is behind, it is refreshed and the start made again. A start
        refused before its transaction (``make`` raising :class:`NothingToStudy`, a
        deck not in the catalog) is tried again after a refresh that changed anything.
        """
        refreshed = False
        for _ in range(CATALOG_ATTEMPTS):
            try:
                script = make()
            except NothingToStudy:
                if refreshed or not await refresh_catalog(self.store, self.decks):
                    raise
                refreshed = True
                continue
            try:
                return await self.store.write(self._catalog_checked(script))
            except _CatalogBehind:
                await refresh_catalog(self.store, self.decks)
                refreshed = True
        # Decks changing faster than a start can be made: go on with the catalog as
        # the last refresh left it, as any start between two uploads would.
        return await self.store.write(make())

    def _catalog_checked(self, script: Script[StepView]) -> Script[StepView]:
        """``script``, once its transaction has seen no deck change the catalog lacks."""
        latest = yield from server_decks.latest_revision()
        if latest > self.decks.revision:
            script.close()
            raise _CatalogBehind()
        return (yield from script)

    def _choose(
        self,
        learner: Learner,
        candidates: list[Candidate],
        kind: SessionKind,
        count: int,
        now: datetime,
    ) -> Script[list[QueueItem]]:
        decks = {c.deck_id for c in candidates}
        memories = yield from card_states.for_learner(learner.id, decks)
        return choose_cards(
            candidates, memories, now, count, interleave_types=kind is SessionKind.MIXED
        )

    async def start_review(
        self,
        who: Identity,
        where: Where,
        *,
        count: int = REVIEW_COUNT,
        if_open: IfOpen = IfOpen.REPLACE,
        replacing: int | None = None,
    ) -> StepView:
        """Start a session of the learner's due cards (:mod:`bot.core.due`), most overdue
        first, of the decks the place sees (see the class docstring). ``if_open``: as
        for :meth:`start`."""
        _check_count(count)
        now = self.clock()

        def choose(learner: Learner, scope: Collection[int]) -> Script[list[QueueItem]]:
            return (yield from self._choose_due(learner, scope, count, now))

        return await self._write_start(
            lambda: self._create(
                who,
                where,
                None,
                SessionKind.REVIEW,
                choose,
                now,
                if_open=if_open,
                replacing=replacing,
            )
        )

    def _choose_due(
        self, learner: Learner, scope: Collection[int], count: int, now: datetime
    ) -> Script[list[QueueItem]]:
        # Extra rows: cards of decks that were removed, or that this place does not
        # see, are skipped here.
        keys = yield from card_states.due(learner.id, due_cutoff(now), limit=count * 4 + 20)
        queue = [
            QueueItem(d, c)
            for d, c in keys
            if self.decks.serves(d, scope) and self.decks.card(d, c) is not None
        ]
        if not queue:
            upcoming = yield from card_states.next_due(learner.id)
            raise NothingToStudy(NothingReason.NOTHING_DUE, next_due=upcoming)
        return queue[:count]

    async def review_missed(
        self,
        who: Identity,
        where: Where,
        session_id: int,
        *,
        if_open: IfOpen = IfOpen.REPLACE,
        replacing: int | None = None,
    ) -> StepView:
        """Start a session of just the cards missed in session ``session_id`` (its
        owner only; raises ``NothingToStudy(NOTHING_MISSED)`` when none was missed, or
        none is of a deck this place still sees)."""
        now = self.clock()

        def choose(
            learner: Learner, scope: Collection[int], origin: SessionState, _w: _Options
        ) -> Script[list[QueueItem]]:
            answers = yield from reviews.session_answers(origin.id)
            missed = rules.missed_items(origin.queue, answers)
            queue = [
                q
                for q in missed
                if self.decks.serves(q.deck_id, scope)
                and self.decks.card(q.deck_id, q.card_id) is not None
            ]
            if not queue:
                raise NothingToStudy(NothingReason.NOTHING_MISSED)
            return queue

        return await self._write_start(
            lambda: self._create_from(
                who, where, session_id, choose, now, if_open=if_open, replacing=replacing
            )
        )

    async def start_another(
        self,
        who: Identity,
        where: Where,
        session_id: int,
        *,
        if_open: IfOpen = IfOpen.REPLACE,
        replacing: int | None = None,
    ) -> StepView:
        """Start a session like ``session_id`` (its owner only): the same deck, kind,
        level and size, drawn afresh; after a review session, the cards due now; after a
        session of missed cards, a mixed one of its deck. The decks are those the place
        sees: the session's deck is refused (``NO_SUCH_DECK``) where it is not seen."""
        now = self.clock()

        def choose(
            learner: Learner, scope: Collection[int], origin: SessionState, wanted: _Options
        ) -> Script[list[QueueItem]]:
            if wanted.kind is SessionKind.REVIEW:
                return (yield from self._choose_due(learner, scope, REVIEW_COUNT, now))
            # wanted.deck_id is a key (the session's deck); the catalog resolves it to
            # its entry, offered only where that deck serves.
            pool = self.decks.visible_in(scope)
            shown = None
            if wanted.deck_id is not None:
                entry = self.decks.entry(wanted.deck_id)
                shown = plain_id(wanted.deck_id)
                if entry is None or not self.decks.serves(entry.key, scope):
                    raise NothingToStudy(NothingReason.NO_SUCH_DECK, deck_id=shown)
                pool = (entry,)
            candidates = self.candidates(None, wanted.kind, wanted.level, decks=pool)
            if not candidates:
                raise NothingToStudy(NothingReason.NO_MATCH, deck_id=shown)
            size = max(1, min(len(origin.queue), MAX_COUNT))
            return (yield from self._choose(learner, candidates, wanted.kind, size, now))

        return await self._write_start(
            lambda: self._create_from(
                who,
                where,
                session_id,
                choose,
                now,
                if_open=if_open,
                replacing=replacing,
                again=True,
            )
        )

    async def start_spec(
        self,
        who: Identity,
        where: Where,
        spec: StartSpec,
        *,
        if_open: IfOpen = IfOpen.REPLACE,
        replacing: int | None = None,
    ) -> StepView:
        """Start what a Start new button (or a command) asks for: a review, the missed
        cards of a session, another like it, or a new session (:meth:`start`)."""
        if spec.what == "review":
            return await self.start_review(who, where, if_open=if_open, replacing=replacing)
        if spec.what in ("missed", "another"):
            assert spec.origin is not None
            start = self.review_missed if spec.what == "missed" else self.start_another
            return await start(who, where, spec.origin, if_open=if_open, replacing=replacing)
        return await self.start(
            who,
            where,
            deck_id=spec.deck_id,
            kind=spec.kind,
            count=spec.count,
            level=spec.level,
            if_open=if_open,
            replacing=replacing,
        )

    def _create_from(
        self,
        who: Identity,
        where: Where,
        session_id: int,
        choose: Callable[
            [Learner, Collection[int], SessionState, _Options], Script[list[QueueItem]]
        ],
        now: datetime,
        *,
        if_open: IfOpen,
        replacing: int | None,
        again: bool = False,
    ) -> Script[StepView]:
        """:meth:`_create` for a session made from another (its summary's buttons)."""
        origin = yield from sessions.load(session_id)
        if origin is None:
            raise SessionNotFound()
        owner = yield from learners.find(who)
        if owner is None or owner.id != origin.learner_id:
            raise NotYourSession()
        if not again:
            wanted = _Options(SessionKind.MISSED, origin.deck_id, None)
        elif origin.kind is SessionKind.REVIEW:
            wanted = _Options(SessionKind.REVIEW, None, None)
        elif origin.kind is SessionKind.MISSED:
            # Another session after going over missed cards: a mixed one of that deck.
            wanted = _Options(SessionKind.MIXED, self._loaded(origin.deck_id), None)
        else:
            wanted = _Options(origin.kind, self._loaded(origin.deck_id), origin.level)
        return (
            yield from self._create(
                who,
                where,
                wanted.deck_id,
                wanted.kind,
                lambda learner, scope: choose(learner, scope, origin, wanted),
                now,
                level=wanted.level,
                if_open=if_open,
                replacing=replacing,
            )
        )

    def _loaded(self, key: str | None) -> str | None:
        """``key`` if that deck (bundled or uploaded) is still loaded, else None (all
        decks)."""
        return key if key is not None and self.decks.entry(key) is not None else None

    def _create(
        self,
        who: Identity,
        where: Where,
        deck_id: str | None,
        kind: SessionKind,
        choose: Callable[[Learner, Collection[int]], Script[list[QueueItem]]],
        now: datetime,
        *,
        level: str | None = None,
        if_open: IfOpen = IfOpen.REPLACE,
        replacing: int | None = None,
        check: Callable[[Collection[int]], object] | None = None,
    ) -> Script[StepView]:
        # The learner (locked: see below) and the community, one statement on PostgreSQL.
        learner, community_id = yield from learners.ensure_in(who, now, where.community)
        if replacing is not None:
            replaced = yield from sessions.load(replacing)
            if replaced is not None and replaced.learner_id != learner.id:
                raise NotYourSession()
        if community_id is not None:
            scope: Collection[int] = (community_id,)
        else:
            scope = yield from communities.of_learner(learner.id)
        if check is not None:
            check(scope)  # what was asked exists here: refused before asking about an open one
        if if_open is IfOpen.ASK:
            # After the learner's row lock (learners.ensure): two starts of one learner
            # queue here, and the second sees the first one's session.
            found = yield from sessions.find_open(learner.id, now - SESSION_IDLE)
            if found is not None:
                raise SessionOpen(
                    found.id,
                    step=found.position,
                    total=len(found.queue),
                    answered=found.answered,
                    kind=str(found.kind),
                    deck_id=found.deck_id,  # a key: front ends ask the catalog its title
                )
        queue = yield from choose(learner, scope)
        key = deck_id
        if deck_id is not None and queue:
            key = queue[0].deck_id  # one deck: every card carries its key
        if if_open is IfOpen.FINISH:
            close = sessions.finish_statement(learner.id, now)
        else:
            # REPLACE, and ASK's leftovers (a session idle long enough to be expiring).
            close = sessions.abandon_statement(learner.id, where.channel, now)
        # Whether this is their first session is read before the closing and the new
        # row (one statement on PostgreSQL).
        state, had_any = yield from sessions.open_new(
            close=close,
            learner_id=learner.id,
            community_id=community_id,
            channel=where.channel,
            deck_id=key,
            kind=kind,
            queue=queue,
            now=now,
            level=level,
        )
        first = not had_any
        view = yield from self._view(state, learner.streak, at=now)
        return replace(view, first_session=first, time_zone=learner.time_zone)

    async def open_session(self, who: Identity) -> StepView | None:
        """The learner's open session (the most recently used, in any channel), or None.

        A session untouched for :data:`~bot.core.session.SESSION_IDLE` does not count:
        it is about to expire.
        """
        now = self.clock()

        def read(strict: bool) -> Script[StepView | None]:
            learner = yield from learners.find(who)
            if learner is None:
                return None
            found = yield from sessions.find_open(learner.id, now - SESSION_IDLE)
            if found is None:
                return None
            return (yield from self._view(found, learner.streak, strict=strict, at=now))

        return await with_fresh_catalog(
            self.store, self.decks, lambda strict: self.store.read(read(strict))
        )

    async def resume(self, who: Identity, session_id: int) -> StepView:
        """The open session ``session_id`` as it stands, for its owner to go on with
        (Resume). Raises ``NotYourSession`` for anyone else and ``SessionOver`` once it
        has ended; changes nothing (the front end then records the new message with
        :meth:`set_message`)."""
        now = self.clock()

        def read(strict: bool) -> Script[StepView]:
            state = yield from sessions.load(session_id)
            if state is None:
                raise SessionNotFound()
            learner = yield from learners.find(who)
            rules.check_owner(state, -1 if learner is None else learner.id)
            assert learner is not None
            return (yield from self._view(state, learner.streak, strict=strict, at=now))

        return await with_fresh_catalog(
            self.store, self.decks, lambda strict: self.store.read(read(strict))
        )

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
        self,
        state: SessionState,
        streak: StreakState,
        *,
        strict: bool = False,
        at: datetime | None = None,
        saves: Sequence[Statement] = (),
    ) -> Script[StepView]:
        """What to show for ``state``; ``saves`` are the caller's writes still to make
        (none to a card's memory), made together with the view's read where it has one."""
        at = at or self.clock()
        item = state.current
        card = self._card(item, strict)
        deck = self.decks.get(item.deck_id) if item else None
        summary = None
        previews = None
        previewing = (
            not state.finished
            and item is not None
            and isinstance(card, FlashCard)
            and state.phase is Phase.REVEALED
        )
        if not previewing:
            yield from execute_together(saves)
        if state.finished:
            next_due = yield from card_states.next_due(state.learner_id)
            missed: tuple[MissedCard, ...] = ()
            if state.answered > state.correct:
                answers = yield from reviews.session_answers(state.id)
                missed = tuple(
                    MissedCard(q.deck_id, q.card_id, found)
                    for q in rules.missed_items(state.queue, answers)
                    if (found := self.decks.card(q.deck_id, q.card_id)) is not None
                )
            summary = SessionSummary(
                answered=state.answered,
                correct=state.correct,
                xp=state.xp,
                streak=streak,
                next_due=next_due,
                ending=state.ending or Ending.COMPLETED,
                total=len(state.queue),
                missed=missed,
            )
        elif previewing and item is not None:
            # What each grade button would give: the card's memory, previewed, not written.
            memory = yield from card_states.get(
                state.learner_id, item.deck_id, item.card_id, after=saves
            )
            previews = self.scheduler.preview(memory, at)
        return StepView(
            session=state,
            card=card,
            deck_title=deck.title if deck else None,
            summary=summary,
            previews=previews,
            at=at,
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
            loaded = yield from sessions.load_for_click(who, session_id)
            learner, state = loaded.learner, loaded.state
            if state is None:
                raise SessionNotFound()
            rules.check_turn(state, -1 if learner is None else learner.id, step)
            assert learner is not None  # check_turn refused anyone else
            item = state.current
            card = self._card(item, strict)
            memory = None
            if needs_memory and item is not None:
                if loaded.memory_known:  # read by the locking statement (PostgreSQL)
                    memory = loaded.memory
                else:
                    memory = yield from card_states.get(learner.id, item.deck_id, item.card_id)
            decision = decide(state, card, learner, memory)
            streak = learner.streak
            saves: list[Statement] = []
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
                # Saved with the view's read of the card's memory where it has one (a
                # revealed flashcard's grade previews): one round trip on PostgreSQL.
                saves.append(sessions.save_statement(decision, at))
                state = decision
            return (yield from self._view(state, streak, strict=strict, at=at, saves=saves))

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


__all__ = ["MissedCard", "SessionSummary", "SessionsTidied", "StepView", "StudyService", "Where"]
