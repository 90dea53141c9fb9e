"""The pure session rules (``bot.core.session``): every transition decided without a database.

The cards are built in code, the learner and the memories are plain values, and
time is one fixed UTC instant: what a click does is a function of what was loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import (
    CardChanged,
    CardRemoved,
    EmptyAnswer,
    NotYourSession,
    SessionOver,
    StaleReason,
    StaleStep,
)
from bot.core.grading import Grade
from bot.core.learner import Identity, Learner, Platform
from bot.core.scheduling import CardMemory, CardScheduler
from bot.core.session import (
    Answered,
    Phase,
    QueueItem,
    SessionKind,
    SessionState,
    Status,
    StepResult,
    advance,
    answer_explain,
    answer_mcq,
    check_turn,
    grade_flashcard,
    option_fingerprint,
    reveal,
    show_hint,
    stop,
)
from bot.core.streaks import StreakState
from bot.core.xp import BASE_XP, CRAM_DIVISOR, DUE_REVIEW_BONUS
from bot.decks import Concept, ExplainCard, FlashCard, McqCard

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
"""Every decision here is taken at this instant (a Monday, noon UTC)."""
TODAY = date(2026, 3, 2)

FLASH = FlashCard(id="f1", type="flashcard", level="beginner", front="WSGI?", back="A spec.")
MCQ = McqCard(
    id="m1",
    type="mcq",
    level="beginner",
    question="Which is async?",
    options=("WSGI", "ASGI", "CGI"),
    answer="ASGI",
    explanation="ASGI is the asynchronous one.",
)
EXPLAIN = ExplainCard(
    id="e1",
    type="explain",
    level="intermediate",
    prompt="WSGI against ASGI?",
    hint="Think of the event loop.",
    concepts=(
        Concept(name="blocking", keywords=("blocking",)),
        Concept(name="event loop", keywords=("loop",)),
        Concept(name="websockets", keywords=("websocket",)),
    ),
    model_answer="WSGI is blocking; ASGI runs on an event loop and carries websocket traffic.",
)
NO_HINT = EXPLAIN.model_copy(update={"id": "e2", "hint": None})

OWNER = 1
STRANGER = 2
SCHEDULER = CardScheduler(fuzz=False)
LEARNER = Learner(
    id=OWNER,
    identity=Identity(Platform.DISCORD, "111"),
    time_zone="UTC",
    reminder_time=None,
    reminders_off_reason=None,
    xp=0,
    streak=StreakState(),
)


def _session(*card_ids: str, **changes: object) -> SessionState:
    state = SessionState(
        id=7,
        learner_id=OWNER,
        community_id=3,
        channel="20",
        deck_id="d",
        kind=SessionKind.MIXED,
        queue=tuple(QueueItem("d", card_id) for card_id in card_ids or ("f1", "m1", "e1")),
    )
    return replace(state, **changes)  # type: ignore[arg-type]


@contextmanager
def _refused(reason: StaleReason) -> Iterator[None]:
    """Expect the block to raise :class:`StaleStep` for ``reason``."""
    with pytest.raises(StaleStep) as refused:
        yield
    assert refused.value.reason is reason


def _grade(
    state: SessionState,
    grade: Grade,
    *,
    learner: Learner = LEARNER,
    memory: CardMemory | None = None,
    now: datetime = NOW,
) -> Answered:
    return grade_flashcard(
        state, FLASH, grade, learner=learner, memory=memory, scheduler=SCHEDULER, now=now
    )


def _mcq(state: SessionState, choice: int, fingerprint: str | None = None) -> Answered:
    return answer_mcq(
        state, MCQ, choice, fingerprint, learner=LEARNER, memory=None, scheduler=SCHEDULER, now=NOW
    )


def _explain(state: SessionState, text: str, card: ExplainCard = EXPLAIN) -> Answered:
    return answer_explain(
        state, card, text, learner=LEARNER, memory=None, scheduler=SCHEDULER, now=NOW
    )


# -- check_turn -------------------------------------------------------------------------


def test_check_turn_lets_the_owner_act_on_the_current_step() -> None:
    check_turn(_session(), OWNER, 0)
    check_turn(_session(position=2), OWNER, 2)


def test_check_turn_refuses_anyone_but_the_owner() -> None:
    with pytest.raises(NotYourSession):
        check_turn(_session(), STRANGER, 0)
    # Before anything else: a stranger learns nothing about the session's state.
    with pytest.raises(NotYourSession):
        check_turn(_session(status=Status.FINISHED, position=3), STRANGER, 0)


@pytest.mark.parametrize("status", [Status.FINISHED, Status.ABANDONED, Status.EXPIRED])
def test_check_turn_refuses_a_session_that_is_over(status: Status) -> None:
    with pytest.raises(SessionOver) as over:
        check_turn(_session(status=status), OWNER, 0)
    assert over.value.status == status


def test_check_turn_refuses_other_steps() -> None:
    state = _session(position=1)
    with _refused(StaleReason.ALREADY_ANSWERED):
        check_turn(state, OWNER, 0)  # a button on an old message
    with _refused(StaleReason.OUT_OF_DATE):
        check_turn(state, OWNER, 2)  # a step not reached (a forged id)


# -- flashcards -------------------------------------------------------------------------


def test_reveal_then_reveal_again_changes_nothing() -> None:
    state = _session()
    revealed = reveal(state, FLASH)
    assert revealed is not None
    assert revealed.phase is Phase.REVEALED
    assert state.phase is Phase.QUESTION  # the input is never changed
    assert reveal(revealed, FLASH) is None  # the second click: nothing to store


def test_reveal_fits_flashcards_only_and_needs_the_card() -> None:
    with _refused(StaleReason.NOT_A_FLASHCARD):
        reveal(_session("m1"), MCQ)
    with pytest.raises(CardRemoved):
        reveal(_session(), None)


def test_grade_before_reveal_is_refused() -> None:
    with _refused(StaleReason.REVEAL_FIRST):
        _grade(_session(), Grade.GOOD)
    with _refused(StaleReason.WRONG_BUTTON):
        grade_flashcard(
            _session("m1"),
            MCQ,
            Grade.GOOD,
            learner=LEARNER,
            memory=None,
            scheduler=SCHEDULER,
            now=NOW,
        )


def test_grading_a_revealed_flashcard_moves_on() -> None:
    revealed = reveal(_session(), FLASH)
    assert revealed is not None
    answered = _grade(revealed, Grade.GOOD)
    after = answered.session
    assert (after.position, after.phase, after.status) == (1, Phase.QUESTION, Status.ACTIVE)
    assert (after.answered, after.correct, after.xp) == (1, 1, BASE_XP[Grade.GOOD])
    assert after.last_result == answered.result  # shown as feedback on the next card
    assert answered.result.kind == "flashcard"
    assert answered.result.due == NOW + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("grade", "remembered"),
    [(Grade.AGAIN, False), (Grade.HARD, True), (Grade.GOOD, True), (Grade.EASY, True)],
)
def test_hard_still_counts_as_remembered(grade: Grade, remembered: bool) -> None:
    revealed = reveal(_session(), FLASH)
    assert revealed is not None
    answered = _grade(revealed, grade)
    assert answered.result.correct is remembered
    assert answered.outcome.review.correct is remembered
    assert answered.session.correct == int(remembered)


# -- multiple choice --------------------------------------------------------------------


def test_option_fingerprint_is_short_and_stable() -> None:
    assert option_fingerprint("ASGI") == option_fingerprint("ASGI")
    assert option_fingerprint("ASGI") != option_fingerprint("WSGI")
    assert len(option_fingerprint("ASGI")) == 4
    int(option_fingerprint("é" * 500), 16)  # hex, whatever the text


def test_mcq_right_answer_stays_on_the_card() -> None:
    state = _session("m1", "f1")
    answered = _mcq(state, MCQ.answer_index, option_fingerprint("ASGI"))
    after = answered.session
    assert (after.position, after.phase) == (0, Phase.ANSWERED)  # until Next
    assert (answered.result.choice, answered.result.correct) == (1, True)
    assert answered.result.grade is Grade.GOOD
    with _refused(StaleReason.ALREADY_ANSWERED):
        _mcq(after, 0)  # a second pick


def test_mcq_wrong_answer() -> None:
    answered = _mcq(_session("m1"), 0)
    assert (answered.result.choice, answered.result.correct) == (0, False)
    assert answered.result.grade is Grade.AGAIN
    assert answered.result.xp == BASE_XP[Grade.AGAIN]
    assert answered.result.due == NOW + timedelta(minutes=1)


def test_mcq_fingerprint_of_other_text_is_card_changed() -> None:
    # The button was drawn before a reload moved "WSGI" to where "ASGI" is now.
    with pytest.raises(CardChanged) as changed:
        _mcq(_session("m1"), 1, option_fingerprint("WSGI"))
    assert changed.value.reason is StaleReason.CARD_CHANGED


@pytest.mark.parametrize("choice", [-1, 3, 99])
def test_mcq_choice_outside_the_options_is_card_changed(choice: int) -> None:
    with pytest.raises(CardChanged):
        _mcq(_session("m1"), choice)


def test_mcq_buttons_fit_mcq_cards_only() -> None:
    with _refused(StaleReason.WRONG_BUTTON):
        answer_mcq(
            _session(), FLASH, 0, None, learner=LEARNER, memory=None, scheduler=SCHEDULER, now=NOW
        )
    with pytest.raises(CardRemoved):
        answer_mcq(
            _session("m1"),
            None,
            0,
            None,
            learner=LEARNER,
            memory=None,
            scheduler=SCHEDULER,
            now=NOW,
        )


# -- explain ----------------------------------------------------------------------------


def test_explain_full_answer_covers_every_concept() -> None:
    answered = _explain(_session("e1"), EXPLAIN.model_answer)
    assert answered.result.concepts == (
        ("blocking", True),
        ("event loop", True),
        ("websockets", True),
    )
    assert (answered.result.grade, answered.result.correct) == (Grade.EASY, True)
    assert answered.outcome.review.concepts_missed == ()
    assert answered.session.phase is Phase.ANSWERED


def test_explain_partial_answer_lists_what_was_missed() -> None:
    answered = _explain(_session("e1"), "WSGI is blocking, ASGI has an event loop")
    assert answered.result.concepts == (
        ("blocking", True),
        ("event loop", True),
        ("websockets", False),
    )
    assert (answered.result.grade, answered.result.correct) == (Grade.GOOD, True)
    assert answered.outcome.review.concepts_missed == ("websockets",)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t\u3000", "\u200b", "?!", "<@123>"])
def test_explain_empty_answer_is_refused(blank: str) -> None:
    # Issue 14, item 7: an empty answer is refused, not graded as a lapse.
    with pytest.raises(EmptyAnswer) as refused:
        _explain(_session("e1"), blank)
    assert (refused.value.session_id, refused.value.step) == (_session("e1").id, 0)


def test_explain_unrelated_answer_misses_everything() -> None:
    answered = _explain(_session("e1"), "I have no idea.")
    assert answered.outcome.review.concepts_missed == ("blocking", "event loop", "websockets")
    assert (answered.result.grade, answered.result.correct) == (Grade.AGAIN, False)
    assert answered.session.correct == 0


def test_hint_before_the_answer_only() -> None:
    state = _session("e1", "e2")
    hinted = show_hint(state, EXPLAIN)
    assert hinted.hint_shown
    assert not state.hint_shown
    answered = _explain(hinted, "I forgot.")
    with _refused(StaleReason.ALREADY_ANSWERED):
        show_hint(answered.session, EXPLAIN)
    nxt = advance(answered.session, EXPLAIN)
    assert not nxt.hint_shown  # the next card starts without its hint
    with _refused(StaleReason.NO_HINT):
        show_hint(nxt, NO_HINT)
    with _refused(StaleReason.NO_HINT):
        show_hint(_session("m1"), MCQ)


def test_explain_answers_fit_explain_cards_only() -> None:
    with _refused(StaleReason.WRONG_BUTTON):
        answer_explain(
            _session("m1"), MCQ, "x", learner=LEARNER, memory=None, scheduler=SCHEDULER, now=NOW
        )


# -- advancing and stopping -------------------------------------------------------------


def test_next_needs_an_answer_first() -> None:
    with _refused(StaleReason.ANSWER_FIRST):
        advance(_session("m1", "e1"), MCQ)
    revealed = reveal(_session(), FLASH)
    assert revealed is not None
    with _refused(StaleReason.ANSWER_FIRST):
        advance(revealed, FLASH)


def test_next_after_the_last_card_finishes() -> None:
    state = _session("m1", "e1")
    first = _mcq(state, 1).session
    second = advance(first, MCQ)
    assert (second.position, second.phase, second.status) == (1, Phase.QUESTION, Status.ACTIVE)
    assert second.last_result == first.last_result  # feedback on the previous card
    last = _explain(second, EXPLAIN.model_answer).session
    done = advance(last, EXPLAIN)
    assert (done.position, done.status, done.finished) == (2, Status.FINISHED, True)
    assert done.current is None
    assert (done.answered, done.correct) == (2, 2)
    with pytest.raises(SessionOver):
        check_turn(done, OWNER, 2)


def test_next_skips_a_removed_card_without_an_answer() -> None:
    state = _session("gone", "m1")
    skipped = advance(state, None)
    assert (skipped.position, skipped.phase, skipped.answered) == (1, Phase.QUESTION, 0)


def test_grading_the_last_flashcard_finishes() -> None:
    revealed = reveal(_session("f1"), FLASH)
    assert revealed is not None
    after = _grade(revealed, Grade.EASY).session
    assert (after.position, after.status) == (1, Status.FINISHED)


def test_stop_finishes_and_keeps_the_counts() -> None:
    answered = _mcq(_session("m1", "f1", "e1"), 1).session
    stopped = stop(answered)
    assert stopped.status is Status.FINISHED
    assert (stopped.position, stopped.answered, stopped.correct, stopped.xp) == (
        answered.position,
        1,
        1,
        answered.xp,
    )
    assert stopped.phase is Phase.QUESTION


# -- what an answer records -------------------------------------------------------------


def test_the_review_names_the_session_step_and_card() -> None:
    state = _session("f1", "m1", "e1", position=1)
    answered = _mcq(state, 1)
    review = answered.outcome.review
    assert (review.learner_id, review.community_id) == (OWNER, 3)
    assert (review.deck_id, review.card_id, review.kind) == ("d", "m1", "mcq")
    assert (review.session_id, review.step) == (7, 1)
    assert (review.grade, review.correct, review.xp) == (Grade.GOOD, True, 10)
    assert review.reviewed_at == NOW
    assert review.was_due is False  # a new card
    assert review.concepts_missed is None  # only explain cards list concepts
    assert answered.outcome.memory.due == answered.result.due == NOW + timedelta(minutes=10)
    assert answered.outcome.xp == answered.result.xp == answered.session.xp


def _memory_reviewed_at(at: datetime) -> CardMemory:
    return SCHEDULER.review(None, Grade.GOOD, at)


def test_xp_for_a_new_a_due_and_a_crammed_card() -> None:
    revealed = reveal(_session(), FLASH)
    assert revealed is not None
    new = _grade(revealed, Grade.GOOD)
    assert (new.result.xp, new.outcome.review.was_due) == (BASE_XP[Grade.GOOD], False)

    due = _memory_reviewed_at(NOW - timedelta(days=1))  # due 10 minutes after that
    assert due.due <= NOW
    answered = _grade(revealed, Grade.GOOD, memory=due)
    assert answered.outcome.review.was_due is True
    assert answered.result.xp == BASE_XP[Grade.GOOD] + DUE_REVIEW_BONUS

    crammed = _memory_reviewed_at(NOW - timedelta(minutes=1))  # due at 12:09
    assert crammed.due > NOW
    answered = _grade(revealed, Grade.GOOD, memory=crammed)
    assert answered.outcome.review.was_due is False
    assert answered.result.xp == BASE_XP[Grade.GOOD] // CRAM_DIVISOR
    assert answered.outcome.memory.reps == crammed.reps + 1  # still scheduled


def test_streak_extends_on_the_learners_local_day() -> None:
    yesterday = StreakState(current=3, best=5, freezes=1, last_active=TODAY - timedelta(days=1))
    learner = replace(LEARNER, streak=yesterday)
    revealed = reveal(_session(), FLASH)
    assert revealed is not None
    answered = _grade(revealed, Grade.GOOD, learner=learner)
    update = answered.outcome.streak
    assert update.extended
    assert update.state == StreakState(current=4, best=5, freezes=1, last_active=TODAY)
    assert answered.result.streak == 4
    assert answered.outcome.alive_until == TODAY + timedelta(days=2)  # 1 freeze + the next day

    # The same instant is already tomorrow at UTC+14 (02:00 there): a new local day.
    ahead = replace(
        learner, time_zone="Pacific/Kiritimati", streak=replace(yesterday, last_active=TODAY)
    )
    answered = _grade(revealed, Grade.GOOD, learner=ahead)
    assert answered.outcome.streak.state.last_active == TODAY + timedelta(days=1)
    assert answered.result.streak == 4

    # A second answer on the same local day changes nothing.
    same_day = replace(ahead, streak=answered.outcome.streak.state)
    again = _grade(revealed, Grade.GOOD, learner=same_day)
    assert again.outcome.streak.state == same_day.streak
    assert not again.outcome.streak.extended


def test_a_first_answer_starts_a_streak() -> None:
    revealed = reveal(_session(), FLASH)
    assert revealed is not None
    answered = _grade(revealed, Grade.AGAIN)  # even a wrong answer counts as showing up
    assert answered.outcome.streak.state == StreakState(current=1, best=1, last_active=TODAY)
    assert answered.outcome.alive_until == TODAY + timedelta(days=1)


def test_transitions_never_change_their_input() -> None:
    state = _session("m1", "f1")
    before = replace(state)
    answered = _mcq(state, 1)
    advance(answered.session, MCQ)
    stop(state)
    assert state == before
    assert answered.session != state


# -- stored forms and invariants --------------------------------------------------------


def test_step_result_round_trips_through_json() -> None:
    results = [
        _mcq(_session("m1"), 0).result,
        _explain(_session("e1"), "WSGI is blocking.").result,  # stated, not a bare word
    ]
    revealed = reveal(_session(), FLASH)
    assert revealed is not None
    results.append(_grade(revealed, Grade.HARD).result)
    for result in results:
        stored = json.dumps(result.to_dict())
        assert StepResult.from_dict(json.loads(stored)) == result
    assert results[0].to_dict()["due"] == int((NOW + timedelta(minutes=1)).timestamp())
    assert results[1].to_dict()["concepts"] == [
        ["blocking", True],
        ["event loop", False],
        ["websockets", False],
    ]


@given(
    grade=st.sampled_from(list(Grade)),
    correct=st.booleans(),
    xp=st.integers(0, 100),
    seconds=st.integers(0, 4_000_000_000),
    streak=st.integers(0, 10_000),
    choice=st.none() | st.integers(0, 4),
    concepts=st.lists(st.tuples(st.text(min_size=1, max_size=20), st.booleans()), max_size=8),
)
def test_step_result_round_trip_any_values(
    grade: Grade,
    correct: bool,
    xp: int,
    seconds: int,
    streak: int,
    choice: int | None,
    concepts: list[tuple[str, bool]],
) -> None:
    result = StepResult(
        kind="explain",
        grade=grade,
        correct=correct,
        xp=xp,
        due=datetime.fromtimestamp(seconds, UTC),  # stored to the second
        streak=streak,
        choice=choice,
        concepts=tuple(concepts),
    )
    assert StepResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_position_stays_within_the_queue() -> None:
    assert _session("m1", "f1", position=2).current is None  # past the end: finished
    assert _session("m1", "f1", position=1).current == QueueItem("d", "f1")
    for position in (-1, 3):
        with pytest.raises(ValueError, match="outside a queue of 2"):
            _session("m1", "f1", position=position)
    with pytest.raises(ValueError, match="outside a queue of 0"):
        SessionState(
            id=1,
            learner_id=1,
            community_id=None,
            channel=None,
            deck_id=None,
            kind=SessionKind.REVIEW,
            queue=(),
            position=1,
        )
