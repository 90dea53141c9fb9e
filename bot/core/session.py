"""Quiz sessions as pure state: what a click does to a session, decided without I/O.

A session is a queue of cards, a position and the phase of the current card. Each
button carries the session id and the step (position) it was drawn for; every
transition below first checks, with :func:`check_turn`, that the clicker owns the
session, that it is still running and that the step is the current one. That is
what makes a second click, a click on an old message or a forged click change
nothing: the service runs the check and the transition in one transaction on the
freshly loaded state, and storage's unique (session, step) review is the last
line of defence against two processes racing.

The transitions return new values and never mutate their input. Answering ones
return an :class:`Answered`: the new session state and the
:class:`~bot.core.review.ReviewOutcome` to store with it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core.errors import (
    CardChanged,
    CardRemoved,
    EmptyAnswer,
    NotYourSession,
    SessionOver,
    StaleReason,
    StaleStep,
)
from bot.core.grading import (
    MAX_ANSWER_CHARS,
    Grade,
    grade_explain,
    grade_mcq,
    is_blank_answer,
    is_correct_explain,
    rating_for_explain,
    rating_for_mcq,
)
from bot.core.learner import Learner
from bot.core.review import ReviewOutcome, review_answer
from bot.core.scheduling import CardMemory, CardScheduler
from bot.decks import Card, ExplainCard, FlashCard, McqCard

MAX_COUNT = 50
"""Most cards in one session (SPEC: ``count`` 1-50)."""
REVIEW_COUNT = 20
"""Cards in a ``review`` session when many are due: a sitting, not a marathon."""
SESSION_IDLE = timedelta(hours=24)
"""An open session untouched this long is expired (its buttons then say so)."""
SESSION_KEEP = timedelta(days=30)
"""A closed session is deleted this long after it closed (its answers stay in the log)."""


class SessionKind(StrEnum):
    """What a session draws from (SPEC's ``kind`` option, plus review sessions)."""

    FLASHCARD = "flashcard"
    MCQ = "mcq"
    EXPLAIN = "explain"
    MIXED = "mixed"
    REVIEW = "review"
    MISSED = "missed"
    """The cards missed in an earlier session (its summary's Review missed)."""


class IfOpen(StrEnum):
    """What starting a session does when the learner already has one open.

    ``REPLACE`` is the first release's behaviour (the open session in the same channel
    is marked abandoned, silently); ``ASK`` refuses with
    :class:`~bot.core.errors.SessionOpen`, which carries the open session, so the front
    end can offer Resume and Start new; ``FINISH`` (the learner chose Start new) ends
    every open session of the learner, its answers kept, then starts the new one.
    """

    REPLACE = "replace"
    ASK = "ask"
    FINISH = "finish"


class Ending(StrEnum):
    """How a closed session ended (what its summary should say)."""

    COMPLETED = "completed"
    """Every card of the queue was answered or skipped."""
    STOPPED = "stopped"
    """The learner pressed Stop (or chose Start new) before the end."""
    REPLACED = "replaced"
    """A newer session replaced it."""
    EXPIRED = "expired"
    """Left untouched for a day."""


class Phase(StrEnum):
    """Where the current card is."""

    QUESTION = "question"
    REVEALED = "revealed"
    ANSWERED = "answered"


class Status(StrEnum):
    """Whether the session goes on."""

    ACTIVE = "active"
    FINISHED = "finished"
    ABANDONED = "abandoned"
    EXPIRED = "expired"
    """Left open and untouched for a day (see :data:`SESSION_IDLE`)."""


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One card in a session's queue."""

    deck_id: str
    card_id: str


@dataclass(frozen=True, slots=True)
class StepResult:
    """The graded result of the current card, kept with the session so that any
    front end can show it again (after a restart, on another device)."""

    kind: str
    grade: Grade
    correct: bool
    xp: int
    due: datetime
    """When the card is due again."""
    streak: int
    """The learner's streak after this answer."""
    choice: int | None = None
    """The option picked (multiple choice)."""
    concepts: tuple[tuple[str, bool], ...] = ()
    """Each concept and whether it was covered (explain)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (instants as unix seconds)."""
        return {
            "kind": self.kind,
            "grade": int(self.grade),
            "correct": self.correct,
            "xp": self.xp,
            "due": int(self.due.timestamp()),
            "streak": self.streak,
            "choice": self.choice,
            "concepts": [[name, covered] for name, covered in self.concepts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            kind=str(data["kind"]),
            grade=Grade(int(data["grade"])),
            correct=bool(data["correct"]),
            xp=int(data["xp"]),
            due=datetime.fromtimestamp(int(data["due"]), UTC),
            streak=int(data["streak"]),
            choice=None if data.get("choice") is None else int(data["choice"]),
            concepts=tuple((str(n), bool(c)) for n, c in data.get("concepts", ())),
        )


@dataclass(frozen=True, slots=True)
class SessionState:
    """A quiz session as stored. ``channel`` and ``message`` are the front end's own
    opaque ids of where the session is shown."""

    id: int
    learner_id: int
    community_id: int | None
    channel: str | None
    deck_id: str | None
    kind: SessionKind
    queue: tuple[QueueItem, ...]
    position: int = 0
    phase: Phase = Phase.QUESTION
    status: Status = Status.ACTIVE
    message: str | None = None
    answered: int = 0
    correct: int = 0
    xp: int = 0
    last_result: StepResult | None = None
    hint_shown: bool = False
    level: str | None = None
    """The level asked for when it started (None: any), for Start another."""

    def __post_init__(self) -> None:
        if not 0 <= self.position <= len(self.queue):
            raise ValueError(f"position {self.position} outside a queue of {len(self.queue)}")

    @property
    def current(self) -> QueueItem | None:
        """The card at the current position, None past the end."""
        return self.queue[self.position] if self.position < len(self.queue) else None

    @property
    def finished(self) -> bool:
        """True once the session no longer takes answers."""
        return self.status is not Status.ACTIVE

    @property
    def ending(self) -> Ending | None:
        """How the session ended; None while it runs."""
        if self.status is Status.ACTIVE:
            return None
        if self.status is Status.ABANDONED:
            return Ending.REPLACED
        if self.status is Status.EXPIRED:
            return Ending.EXPIRED
        return Ending.COMPLETED if self.position >= len(self.queue) else Ending.STOPPED


@dataclass(frozen=True, slots=True)
class Answered:
    """A graded answer: the session after it, and what to store for the review."""

    session: SessionState
    outcome: ReviewOutcome
    result: StepResult


def option_fingerprint(option: str) -> str:
    """A short, stable fingerprint of an option's text, carried in its button's id."""
    return f"{zlib.crc32(option.encode('utf-8')) & 0xFFFF:04x}"


def missed_items(
    queue: tuple[QueueItem, ...], answers: list[tuple[int, bool]] | tuple[tuple[int, bool], ...]
) -> tuple[QueueItem, ...]:
    """The cards missed in a session: those whose answer (``(step, correct)`` pairs, as
    logged) was wrong, that is Again on a flashcard, a wrong option, or an explanation
    that did not cover enough concepts. In queue order, each card once."""
    wrong = {step for step, correct in answers if not correct and 0 <= step < len(queue)}
    seen: set[QueueItem] = set()
    missed: list[QueueItem] = []
    for step in sorted(wrong):
        item = queue[step]
        if item not in seen:
            seen.add(item)
            missed.append(item)
    return tuple(missed)


# -- checks -------------------------------------------------------------------------


def check_turn(state: SessionState, learner_id: int, step: int) -> None:
    """Refuse a click by anyone but the owner, on a session that is over, or for
    another step than the current one."""
    if state.learner_id != learner_id:
        raise NotYourSession()
    if state.status is not Status.ACTIVE:
        raise SessionOver(str(state.status))
    if step != state.position:
        raise StaleStep(
            StaleReason.ALREADY_ANSWERED if step < state.position else StaleReason.OUT_OF_DATE
        )


def check_owner(state: SessionState, learner_id: int) -> None:
    """Refuse anyone but the owner, and a session that is over (Resume)."""
    if state.learner_id != learner_id:
        raise NotYourSession()
    if state.status is not Status.ACTIVE:
        raise SessionOver(str(state.status))


def _require_phase(state: SessionState, *allowed: Phase) -> None:
    if state.phase in allowed:
        return
    if state.phase is Phase.ANSWERED:
        raise StaleStep(StaleReason.ALREADY_ANSWERED)
    if Phase.REVEALED in allowed:
        raise StaleStep(StaleReason.REVEAL_FIRST)
    raise StaleStep(StaleReason.ANSWER_FIRST)


def _require_card(card: Card | None) -> Card:
    if card is None:
        raise CardRemoved()
    return card


# -- transitions --------------------------------------------------------------------


def reveal(state: SessionState, card: Card | None) -> SessionState | None:
    """Show a flashcard's back; None when it is already shown (a second click)."""
    card = _require_card(card)
    if not isinstance(card, FlashCard):
        raise StaleStep(StaleReason.NOT_A_FLASHCARD)
    if state.phase is Phase.REVEALED:
        return None
    _require_phase(state, Phase.QUESTION)
    return replace(state, phase=Phase.REVEALED)


def show_hint(state: SessionState, card: Card | None) -> SessionState:
    """Mark the explain card's hint as shown."""
    card = _require_card(card)
    if not isinstance(card, ExplainCard) or not card.hint:
        raise StaleStep(StaleReason.NO_HINT)
    _require_phase(state, Phase.QUESTION)
    return replace(state, hint_shown=True)


def advance(state: SessionState, card: Card | None) -> SessionState:
    """Move past an answered card, or skip one that was removed from its deck."""
    if card is not None:
        _require_phase(state, Phase.ANSWERED)
    return _advanced(state)


def _advanced(state: SessionState) -> SessionState:
    position = state.position + 1
    # last_result stays: the next card shows it as feedback on the previous one.
    return replace(
        state,
        position=position,
        phase=Phase.QUESTION,
        status=Status.FINISHED if position >= len(state.queue) else Status.ACTIVE,
        hint_shown=False,
    )


def stop(state: SessionState) -> SessionState:
    """End the session now; the answers given so far stay recorded."""
    return replace(state, status=Status.FINISHED, phase=Phase.QUESTION)


def grade_flashcard(
    state: SessionState,
    card: Card | None,
    grade: Grade,
    *,
    learner: Learner,
    memory: CardMemory | None,
    scheduler: CardScheduler,
    now: datetime,
) -> Answered:
    """The learner's own grade of a revealed flashcard; moves on to the next card."""
    card = _require_card(card)
    if not isinstance(card, FlashCard):
        raise StaleStep(StaleReason.WRONG_BUTTON)
    _require_phase(state, Phase.REVEALED)
    # Hard still means "I remembered it" (FSRS counts it as a pass).
    remembered = grade >= Grade.HARD
    return _answered(state, card, grade, remembered, learner, memory, scheduler, now, advance=True)


def answer_mcq(
    state: SessionState,
    card: Card | None,
    choice: int,
    fingerprint: str | None,
    *,
    learner: Learner,
    memory: CardMemory | None,
    scheduler: CardScheduler,
    now: datetime,
) -> Answered:
    """Grade the option picked.

    ``fingerprint`` is :func:`option_fingerprint` of the option text the button
    showed: if a deck reload changed or reordered the options since, nothing is
    graded and :class:`~bot.core.errors.CardChanged` asks for a redraw.
    """
    card = _require_card(card)
    if not isinstance(card, McqCard):
        raise StaleStep(StaleReason.WRONG_BUTTON)
    _require_phase(state, Phase.QUESTION)
    if not 0 <= choice < len(card.options) or (
        fingerprint is not None and option_fingerprint(card.options[choice]) != fingerprint
    ):
        raise CardChanged()
    graded = grade_mcq(card.options, card.answer, choice)
    grade = rating_for_mcq(graded.correct)
    return _answered(
        state, card, grade, graded.correct, learner, memory, scheduler, now, choice=choice
    )


def answer_explain(
    state: SessionState,
    card: Card | None,
    text: str,
    *,
    learner: Learner,
    memory: CardMemory | None,
    scheduler: CardScheduler,
    now: datetime,
) -> Answered:
    """Grade a written explanation concept by concept (copies of the prompt earn nothing).

    Raises :class:`~bot.core.errors.EmptyAnswer` for an answer with no word in it.
    """
    card = _require_card(card)
    if not isinstance(card, ExplainCard):
        raise StaleStep(StaleReason.WRONG_BUTTON)
    _require_phase(state, Phase.QUESTION)
    if is_blank_answer(text):
        raise EmptyAnswer(state.id, state.position)
    graded = grade_explain(text, card.concepts, prompt=card.prompt, hint=card.hint or "")
    concepts = tuple((r.name, r.covered) for r in graded.results)
    missed = tuple(name for name, covered in concepts if not covered)
    return _answered(
        state,
        card,
        rating_for_explain(graded),
        is_correct_explain(graded),
        learner,
        memory,
        scheduler,
        now,
        concepts=concepts,
        missed=missed,
        answer=text[:MAX_ANSWER_CHARS],
    )


def _answered(
    state: SessionState,
    card: Card,
    grade: Grade,
    correct: bool,
    learner: Learner,
    memory: CardMemory | None,
    scheduler: CardScheduler,
    now: datetime,
    *,
    advance: bool = False,
    choice: int | None = None,
    concepts: tuple[tuple[str, bool], ...] = (),
    missed: tuple[str, ...] | None = None,
    answer: str | None = None,
) -> Answered:
    item = state.current
    assert item is not None  # check_turn and _require_card passed
    outcome = review_answer(
        scheduler,
        learner_id=state.learner_id,
        community_id=state.community_id,
        deck_id=item.deck_id,
        card_id=item.card_id,
        kind=str(card.type),
        grade=grade,
        correct=correct,
        time_zone=learner.time_zone,
        streak=learner.streak,
        memory=memory,
        now=now,
        session_id=state.id,
        step=state.position,
        concepts_missed=missed,
        answer=answer,
    )
    result = StepResult(
        kind=str(card.type),
        grade=grade,
        correct=correct,
        xp=outcome.xp,
        due=outcome.memory.due,
        streak=outcome.streak.state.current,
        choice=choice,
        concepts=concepts,
    )
    answered = replace(
        state,
        phase=Phase.ANSWERED,
        answered=state.answered + 1,
        correct=state.correct + int(correct),
        xp=state.xp + outcome.xp,
        last_result=result,
    )
    if advance:
        answered = _advanced(answered)
    return Answered(session=answered, outcome=outcome, result=result)


__all__ = [
    "MAX_COUNT",
    "REVIEW_COUNT",
    "SESSION_IDLE",
    "SESSION_KEEP",
    "Answered",
    "Ending",
    "IfOpen",
    "Phase",
    "QueueItem",
    "SessionKind",
    "SessionState",
    "Status",
    "StepResult",
    "advance",
    "answer_explain",
    "answer_mcq",
    "check_owner",
    "check_turn",
    "grade_flashcard",
    "missed_items",
    "option_fingerprint",
    "reveal",
    "show_hint",
    "stop",
]
