"""Quiz sessions: start, reveal, answer, next, finish.

Every transition takes the session id, the acting user and the step the button
was made for. It checks all three inside one ``BEGIN IMMEDIATE`` transaction, so
that a second click, a click on an old message or two concurrent clicks record
exactly one answer; the others get a :class:`SessionError` the front end shows.

Each transition (load, checks, grading, scheduling, the review, the card's memory,
XP and streak, the session's new state and the view's summary) runs as plain
``sqlite3`` code in a single :meth:`Database.run_transaction` job: one trip to the
database thread per click, however many statements it makes.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core.clock import Clock
from bot.core.grading import (
    Grade,
    grade_explain,
    grade_mcq,
    is_correct_explain,
    rating_for_explain,
    rating_for_mcq,
)
from bot.core.scheduling import CardScheduler
from bot.core.selection import Candidate, choose_cards
from bot.core.streaks import StreakState
from bot.decks import Card, DeckLibrary, ExplainCard, FlashCard, McqCard
from bot.progress import Answer, RecordedAnswer, record_answer_sync
from bot.storage import card_states, learners, quiz_sessions
from bot.storage.codec import from_epoch, to_epoch
from bot.storage.database import Database
from bot.storage.quiz_sessions import Phase, QueueItem, SessionRecord, Status

MAX_COUNT = 50
REVIEW_COUNT = 20
"""Cards in a ``/quiz review`` session when many are due: a sitting, not a marathon."""
SESSION_IDLE = timedelta(hours=24)
"""An open session untouched this long is expired (its buttons then say so)."""
SESSION_KEEP = timedelta(days=30)
"""A closed session is deleted this long after it closed (its answers stay in the log)."""
TIDY_BATCH = 500
"""Rows per housekeeping transaction, so that clicks are never held up for long."""


class SessionKind(StrEnum):
    """What a session draws from (SPEC's ``kind`` option, plus review sessions)."""

    FLASHCARD = "flashcard"
    MCQ = "mcq"
    EXPLAIN = "explain"
    MIXED = "mixed"
    REVIEW = "review"


class SessionError(Exception):
    """A transition that cannot happen; ``str(error)`` is a message for the learner."""


class SessionNotFound(SessionError):
    """The session does not exist (or the learner deleted their data)."""

    def __init__(self) -> None:
        super().__init__("This quiz no longer exists. Start a new one with /quiz start.")


class NotYourSession(SessionError):
    """Someone other than the owner pressed a button."""

    def __init__(self) -> None:
        super().__init__("This is not your quiz. Start your own with /quiz start.")


class StaleStep(SessionError):
    """The button belongs to a step that was already answered or left."""

    def __init__(self, message: str = "That card was already answered.") -> None:
        super().__init__(message)


class CardRemoved(StaleStep):
    """The current card was removed from its deck since the session started."""

    def __init__(self) -> None:
        super().__init__("This card was removed from its deck. Press Next to skip it.")


class CardChanged(StaleStep):
    """The card's options changed (a deck reload) since its buttons were drawn."""

    def __init__(self) -> None:
        super().__init__("This question changed since it was shown. Here it is again.")


class SessionOver(SessionError):
    """The session is finished or was replaced by a newer one."""

    def __init__(self, status: Status) -> None:
        if status is Status.FINISHED:
            text = "This quiz is finished. Start another with /quiz start."
        elif status is Status.EXPIRED:
            text = "This quiz expired after a day unused. Start a new one with /quiz start."
        else:
            text = "This quiz was replaced by a newer one."
        super().__init__(text)


class NothingToStudy(SessionError):
    """No card matches what the learner asked for."""


@dataclass(frozen=True)
class AnswerResult:
    """The graded result of the current step, stored with the session for re-rendering."""

    kind: str
    grade: int
    correct: bool
    xp: int
    due: int
    streak: int
    choice: int | None = None
    concepts: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def due_at(self) -> datetime:
        """When this card is due again."""
        return from_epoch(self.due)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``dataclasses.asdict`` gives, without its deep copies:
        this runs on every answer)."""
        return {
            "kind": self.kind,
            "grade": self.grade,
            "correct": self.correct,
            "xp": self.xp,
            "due": self.due,
            "streak": self.streak,
            "choice": self.choice,
            "concepts": [(name, covered) for name, covered in self.concepts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnswerResult:
        """Inverse of :meth:`to_dict`."""
        concepts = [(str(name), bool(covered)) for name, covered in data.get("concepts", [])]
        return cls(**{**data, "concepts": concepts})


@dataclass(frozen=True)
class SessionSummary:
    """The end-of-session figures."""

    answered: int
    correct: int
    xp: int
    streak: StreakState
    next_due: datetime | None


@dataclass(frozen=True)
class StepView:
    """Everything a front end needs to show the session's current state."""

    session: SessionRecord
    card: Card | None
    deck_title: str | None
    result: AnswerResult | None
    summary: SessionSummary | None = None

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
        return self.session.status is not Status.ACTIVE


@dataclass(frozen=True)
class SessionsTidied:
    """What :meth:`StudyEngine.tidy_sessions` did."""

    expired: int
    pruned: int


class StudyEngine:
    """The learning engine behind every front end (Discord, the terminal)."""

    def __init__(
        self, db: Database, decks: DeckLibrary, scheduler: CardScheduler, clock: Clock
    ) -> None:
        self.db = db
        self.decks = decks
        self.scheduler = scheduler
        self.clock = clock

    # -- starting ---------------------------------------------------------------

    def candidates(
        self, deck_id: str | None, kind: SessionKind, level: str | None
    ) -> list[Candidate]:
        """Cards of one deck (or all decks) matching the kind and level filters."""
        if deck_id is not None and deck_id not in self.decks:
            raise NothingToStudy(f"There is no deck called '{deck_id}'. See /quiz decks.")
        decks = [self.decks.get(deck_id)] if deck_id else self.decks.all()
        found: list[Candidate] = []
        for deck in decks:
            if deck is None:
                continue
            for card in deck.cards:
                if kind not in (SessionKind.MIXED, SessionKind.REVIEW) and str(card.type) != str(
                    kind
                ):
                    continue
                if level is not None and card.level != level:
                    continue
                found.append(Candidate(deck.id, card))
        return found

    async def start(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        deck_id: str | None = None,
        kind: SessionKind = SessionKind.MIXED,
        count: int = 10,
        level: str | None = None,
    ) -> StepView:
        """Start a personal session of up to ``count`` cards."""
        if not 1 <= count <= MAX_COUNT:
            raise NothingToStudy(f"Count must be between 1 and {MAX_COUNT}.")
        now = self.clock()
        candidates = self.candidates(deck_id, kind, level)
        if not candidates:
            raise NothingToStudy("No cards match that deck, kind and level.")
        decks = {c.deck_id for c in candidates}

        def choose(conn: sqlite3.Connection) -> list[QueueItem]:
            # Read and choose inside the creating transaction: one trip to the database.
            memories = card_states.for_learner_sync(conn, user_id, decks)
            return choose_cards(
                candidates, memories, now, count, interleave_types=kind is SessionKind.MIXED
            )

        return await self._create(user_id, guild_id, channel_id, deck_id, kind, choose, now)

    async def start_review(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        count: int = REVIEW_COUNT,
    ) -> StepView:
        """Start a session of the learner's due cards, most overdue first."""
        if not 1 <= count <= MAX_COUNT:
            raise NothingToStudy(f"Count must be between 1 and {MAX_COUNT}.")
        now = self.clock()
        # Ask for extra rows: cards of decks that were removed are skipped here.
        keys = await card_states.due(self.db, user_id, now, limit=count * 4 + 20)
        queue = [QueueItem(d, c) for d, c in keys if self.decks.card(d, c) is not None][:count]
        if not queue:
            upcoming = await self.next_due(user_id)
            when = f" The next one is due <t:{to_epoch(upcoming)}:R>." if upcoming else ""
            raise NothingToStudy(f"Nothing is due right now.{when} Try /quiz start.")
        return await self._create(
            user_id, guild_id, channel_id, None, SessionKind.REVIEW, lambda _conn: queue, now
        )

    async def _create(
        self,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        deck_id: str | None,
        kind: SessionKind,
        choose: Callable[[sqlite3.Connection], list[QueueItem]],
        now: datetime,
    ) -> StepView:
        def create(conn: sqlite3.Connection) -> StepView:
            queue = choose(conn)
            learners.ensure_sync(conn, user_id, now)
            quiz_sessions.abandon_active_sync(conn, user_id, channel_id, now)
            session_id = quiz_sessions.create_sync(
                conn,
                user_id=user_id,
                guild_id=guild_id,
                channel_id=channel_id,
                deck_id=deck_id,
                kind=str(kind),
                queue=queue,
                now=now,
            )
            record = quiz_sessions.load_sync(conn, session_id)
            assert record is not None
            return self._view_sync(conn, record)

        return await self.db.run_transaction(create)

    # -- housekeeping -----------------------------------------------------------

    async def tidy_sessions(
        self,
        now: datetime | None = None,
        *,
        idle: timedelta = SESSION_IDLE,
        keep: timedelta = SESSION_KEEP,
        batch: int = TIDY_BATCH,
    ) -> SessionsTidied:
        """Expire sessions left open for ``idle``, then delete sessions closed more than
        ``keep`` ago, ``batch`` rows per transaction.

        Nothing the summary or the statistics need is lost: answers live in the review
        log, and a session's own figures are shown only while its buttons can be used.
        """
        now = now or self.clock()
        expired = pruned = 0
        while True:
            n = await quiz_sessions.expire_idle(self.db, now - idle, now, limit=batch)
            expired += n
            if n < batch:
                break
        while True:
            n = await quiz_sessions.prune_closed(self.db, now - keep, limit=batch)
            pruned += n
            if n < batch:
                break
        return SessionsTidied(expired=expired, pruned=pruned)

    # -- reading ----------------------------------------------------------------

    async def view(self, session_id: int) -> StepView:
        """The session's current state."""

        def read(conn: sqlite3.Connection) -> StepView:
            record = quiz_sessions.load_sync(conn, session_id)
            if record is None:
                raise SessionNotFound()
            return self._view_sync(conn, record)

        return await self.db.run_read(read)

    def _view_sync(self, conn: sqlite3.Connection, record: SessionRecord) -> StepView:
        """The view of ``record``, reading the summary's figures in the same job."""
        item = record.current
        card = self.decks.card(item.deck_id, item.card_id) if item else None
        deck = self.decks.get(item.deck_id) if item else None
        result = AnswerResult.from_dict(record.last_result) if record.last_result else None
        summary = None
        if record.status is not Status.ACTIVE:
            learner = learners.get_sync(conn, record.user_id)
            summary = _summary(record, learner, card_states.next_due_sync(conn, record.user_id))
        return StepView(
            session=record,
            card=card,
            deck_title=deck.title if deck else None,
            result=result,
            summary=summary,
        )

    async def summary(self, record: SessionRecord) -> SessionSummary:
        """Score, XP, streak and the next due review for a session."""
        learner = await learners.get(self.db, record.user_id)
        return _summary(record, learner, await self.next_due(record.user_id))

    async def next_due(self, user_id: int) -> datetime | None:
        """The learner's earliest scheduled review."""
        return await card_states.next_due(self.db, user_id)

    async def check_step(self, session_id: int, user_id: int, step: int) -> StepView:
        """The same checks a transition makes, without changing anything.

        Used before opening the explain modal, which must be the click's first response.
        """
        view = await self.view(session_id)
        _check(view.session, user_id, step)
        return view

    # -- transitions ------------------------------------------------------------

    async def _transition(
        self,
        session_id: int,
        user_id: int,
        step: int,
        change: Callable[[sqlite3.Connection, SessionRecord, datetime], SessionRecord | None],
    ) -> StepView:
        """Load, check ownership and step, apply ``change``, all in one transaction.

        The whole transaction, and the view of its result, is one job in the
        database thread (see the module docstring): ``change`` is plain code that
        returns the session as its UPDATE left it, or None when it changed nothing.
        """
        now = self.clock()

        def transition(conn: sqlite3.Connection) -> StepView:
            record = quiz_sessions.load_sync(conn, session_id)
            if record is None:
                raise SessionNotFound()
            _check(record, user_id, step)
            updated = change(conn, record, now) or record
            return self._view_sync(conn, updated)

        try:
            return await self.db.run_transaction(transition)
        except sqlite3.IntegrityError as exc:
            # The unique (session, step) review already exists: a concurrent duplicate.
            raise StaleStep() from exc

    def _card(self, record: SessionRecord) -> Card:
        item = record.current
        card = self.decks.card(item.deck_id, item.card_id) if item else None
        if card is None:
            raise CardRemoved()
        return card

    @staticmethod
    def _require_phase(record: SessionRecord, *allowed: Phase) -> None:
        if record.phase in allowed:
            return
        if record.phase is Phase.ANSWERED:
            raise StaleStep("That card was already answered.")
        if Phase.REVEALED in allowed:
            raise StaleStep("Reveal the answer first.")
        raise StaleStep("Answer this card first.")

    async def reveal(self, session_id: int, user_id: int, step: int) -> StepView:
        """Show a flashcard's back."""

        def change(
            conn: sqlite3.Connection, record: SessionRecord, now: datetime
        ) -> SessionRecord | None:
            card = self._card(record)
            if not isinstance(card, FlashCard):
                raise StaleStep("Only flashcards have an answer to reveal.")
            if record.phase is Phase.REVEALED:
                return None  # a second Reveal click changes nothing
            self._require_phase(record, Phase.QUESTION)
            return quiz_sessions.update_sync(conn, record.id, now, phase=Phase.REVEALED)

        return await self._transition(session_id, user_id, step, change)

    async def show_hint(self, session_id: int, user_id: int, step: int) -> StepView:
        """Mark the explain card's hint as shown."""

        def change(
            conn: sqlite3.Connection, record: SessionRecord, now: datetime
        ) -> SessionRecord | None:
            card = self._card(record)
            if not isinstance(card, ExplainCard) or not card.hint:
                raise StaleStep("This card has no hint.")
            self._require_phase(record, Phase.QUESTION)
            return quiz_sessions.update_sync(conn, record.id, now, hint_shown=1)

        return await self._transition(session_id, user_id, step, change)

    async def grade_flashcard(
        self, session_id: int, user_id: int, step: int, grade: Grade
    ) -> StepView:
        """Record the learner's own grade of a revealed flashcard and move on."""

        def change(
            conn: sqlite3.Connection, record: SessionRecord, now: datetime
        ) -> SessionRecord | None:
            card = self._card(record)
            if not isinstance(card, FlashCard):
                raise StaleStep("That button does not fit this card.")
            self._require_phase(record, Phase.REVEALED)
            # Hard still means "I remembered it" (FSRS counts it as a pass).
            remembered = grade >= Grade.HARD
            recorded = self._record(conn, record, card, grade, remembered, now)
            result = _result(card, grade, remembered, recorded)
            return self._after_answer(conn, record, result, now, advance=True)

        return await self._transition(session_id, user_id, step, change)

    async def answer_mcq(
        self,
        session_id: int,
        user_id: int,
        step: int,
        choice: int,
        fingerprint: str | None = None,
    ) -> StepView:
        """Grade the option the learner picked.

        ``fingerprint`` is :func:`option_fingerprint` of the option text the button
        showed: if a deck reload changed or reordered the options since, nothing is
        graded and :class:`CardChanged` asks the front end to redraw the card.
        """

        def change(
            conn: sqlite3.Connection, record: SessionRecord, now: datetime
        ) -> SessionRecord | None:
            card = self._card(record)
            if not isinstance(card, McqCard):
                raise StaleStep("That button does not fit this card.")
            self._require_phase(record, Phase.QUESTION)
            if not 0 <= choice < len(card.options) or (
                fingerprint is not None and option_fingerprint(card.options[choice]) != fingerprint
            ):
                raise CardChanged()
            graded = grade_mcq(card.options, card.answer, choice)
            grade = rating_for_mcq(graded.correct)
            recorded = self._record(conn, record, card, grade, graded.correct, now)
            result = _result(card, grade, graded.correct, recorded, choice=choice)
            return self._after_answer(conn, record, result, now, advance=False)

        return await self._transition(session_id, user_id, step, change)

    async def answer_explain(self, session_id: int, user_id: int, step: int, text: str) -> StepView:
        """Grade a written explanation concept by concept."""

        def change(
            conn: sqlite3.Connection, record: SessionRecord, now: datetime
        ) -> SessionRecord | None:
            card = self._card(record)
            if not isinstance(card, ExplainCard):
                raise StaleStep("That button does not fit this card.")
            self._require_phase(record, Phase.QUESTION)
            graded = grade_explain(text, card.concepts)
            grade = rating_for_explain(graded)
            correct = is_correct_explain(graded)
            missed = tuple(r.name for r in graded.results if not r.covered)
            recorded = self._record(conn, record, card, grade, correct, now, missed)
            concepts = [(r.name, r.covered) for r in graded.results]
            result = _result(card, grade, correct, recorded, concepts=concepts)
            return self._after_answer(conn, record, result, now, advance=False)

        return await self._transition(session_id, user_id, step, change)

    async def next(self, session_id: int, user_id: int, step: int) -> StepView:
        """Move past an answered card (or skip one that was removed from its deck)."""

        def change(
            conn: sqlite3.Connection, record: SessionRecord, now: datetime
        ) -> SessionRecord | None:
            item = record.current
            gone = item is None or self.decks.card(item.deck_id, item.card_id) is None
            if not gone:
                self._require_phase(record, Phase.ANSWERED)
            return self._advance(conn, record, now)

        return await self._transition(session_id, user_id, step, change)

    async def set_message(self, session_id: int, message_id: int) -> None:
        """Remember which message shows the session."""
        now = self.clock()
        await self.db.run_transaction(
            lambda conn: quiz_sessions.update_sync(conn, session_id, now, message_id=message_id)
        )

    # -- helpers ----------------------------------------------------------------

    def _record(
        self,
        conn: sqlite3.Connection,
        record: SessionRecord,
        card: Card,
        grade: Grade,
        correct: bool,
        now: datetime,
        missed: tuple[str, ...] | None = None,
    ) -> RecordedAnswer:
        item = record.current
        assert item is not None
        return record_answer_sync(
            conn,
            self.scheduler,
            Answer(
                user_id=record.user_id,
                guild_id=record.guild_id,
                deck_id=item.deck_id,
                card_id=item.card_id,
                kind=card.type,
                grade=grade,
                correct=correct,
                concepts_missed=missed,
                session_id=record.id,
                step=record.position,
            ),
            now,
        )

    def _after_answer(
        self,
        conn: sqlite3.Connection,
        record: SessionRecord,
        result: AnswerResult,
        now: datetime,
        *,
        advance: bool,
    ) -> SessionRecord | None:
        fields: dict[str, Any] = {
            "phase": Phase.ANSWERED,
            "answered": record.answered + 1,
            "correct": record.correct + int(result.correct),
            "xp": record.xp + result.xp,
            "last_result": result.to_dict(),
        }
        if advance:
            # Answer and advance in one UPDATE.
            fields.update(_advanced(record))
        return quiz_sessions.update_sync(conn, record.id, now, **fields)

    @staticmethod
    def _advance(
        conn: sqlite3.Connection, record: SessionRecord, now: datetime
    ) -> SessionRecord | None:
        return quiz_sessions.update_sync(conn, record.id, now, **_advanced(record))


def _summary(
    record: SessionRecord, learner: learners.Learner | None, next_due: datetime | None
) -> SessionSummary:
    return SessionSummary(
        answered=record.answered,
        correct=record.correct,
        xp=record.xp,
        streak=learner.streak if learner else StreakState(),
        next_due=next_due,
    )


def _advanced(record: SessionRecord) -> dict[str, Any]:
    """The columns that move a session past its current card."""
    position = record.position + 1
    return {
        "position": position,
        "phase": Phase.QUESTION,
        "status": Status.FINISHED if position >= len(record.queue) else Status.ACTIVE,
        "hint_shown": 0,
    }  # last_result stays: the next card shows it as feedback on the previous one


def _check(record: SessionRecord, user_id: int, step: int) -> None:
    if record.user_id != user_id:
        raise NotYourSession()
    if record.status is not Status.ACTIVE:
        raise SessionOver(record.status)
    if step != record.position:
        raise StaleStep(
            "That card was already answered."
            if step < record.position
            else "That button is out of date."
        )


def _result(
    card: Card,
    grade: Grade,
    correct: bool,
    recorded: RecordedAnswer,
    *,
    choice: int | None = None,
    concepts: list[tuple[str, bool]] | None = None,
) -> AnswerResult:
    return AnswerResult(
        kind=card.type,
        grade=int(grade),
        correct=correct,
        xp=recorded.xp,
        due=to_epoch(recorded.memory.due),
        streak=recorded.streak.state.current,
        choice=choice,
        concepts=concepts or [],
    )


def option_fingerprint(option: str) -> str:
    """A short, stable fingerprint of an option's text, carried in its button's id."""
    return f"{zlib.crc32(option.encode('utf-8')) & 0xFFFF:04x}"


def describe_interval(now: datetime, due: datetime) -> str:
    """A short human interval like 'in 10 minutes' or 'in 3 days'."""
    seconds = max(0, int((due - now).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"in {n} {unit}{'s' if n != 1 else ''}"
    return "now" if seconds < 30 else "in 1 minute"


__all__ = [
    "MAX_COUNT",
    "REVIEW_COUNT",
    "AnswerResult",
    "CardChanged",
    "CardRemoved",
    "NotYourSession",
    "NothingToStudy",
    "SessionError",
    "SessionKind",
    "SessionNotFound",
    "SessionOver",
    "SessionSummary",
    "SessionsTidied",
    "StaleStep",
    "StepView",
    "StudyEngine",
    "describe_interval",
    "option_fingerprint",
]
