"""The study service: every session flow step by step, on the shipped deck, on both backends.

Every test here also checks, on its way out, that the flow left exactly one review
per answered step (:func:`_one_review_per_answered_step`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.core.clock import FakeClock
from bot.core.errors import (
    CardChanged,
    CardRemoved,
    EmptyAnswer,
    NothingReason,
    NothingToStudy,
    NotYourSession,
    SessionNotFound,
    SessionOver,
    StaleReason,
    StaleStep,
)
from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.core.session import MAX_COUNT, Phase, SessionKind, Status, option_fingerprint
from bot.decks import DeckLibrary, ExplainCard, FlashCard, McqCard
from bot.services.learners import LearnerService
from bot.services.study import StepView, StudyService, Where
from bot.storage import Store, card_states, communities, learners
from bot.storage.script import rows
from tests.conftest import SHIPPED_DECK, START

ALICE = Identity(Platform.DISCORD, "111")
BOB = Identity(Platform.DISCORD, "222")
GUILD = Identity(Platform.DISCORD, "10")
CHANNEL = "20"
OTHER_CHANNEL = "21"
HERE = Where(GUILD, CHANNEL)


async def _reviews(store: Store) -> list[dict[str, Any]]:
    found = await store.read(rows("SELECT * FROM reviews ORDER BY id"))
    return [dict(row) for row in found]


@pytest_asyncio.fixture(autouse=True)
async def _one_review_per_answered_step(store: Store) -> AsyncIterator[None]:
    """After each flow: every review belongs to a session step, no step has two, and
    each session's counters are exactly the sum of its reviews."""
    yield
    logged = await _reviews(store)
    steps = [(r["session_id"], r["step"]) for r in logged]
    assert all(None not in step for step in steps), logged
    assert len(steps) == len(set(steps)), steps
    sessions = await store.read(
        rows("SELECT id, queue, answered, correct, xp FROM quiz_sessions ORDER BY id")
    )
    for session in sessions:
        mine = [r for r in logged if r["session_id"] == session["id"]]
        assert len(mine) == session["answered"], (session["id"], mine)
        assert sum(r["correct"] for r in mine) == session["correct"]
        assert sum(r["xp"] for r in mine) == session["xp"]
        queue = json.loads(session["queue"])
        for review in mine:
            assert [review["deck_id"], review["card_id"]] == queue[review["step"]]


async def _start(
    study: StudyService,
    kind: SessionKind = SessionKind.MIXED,
    count: int = 10,
    *,
    user: Identity = ALICE,
    level: str | None = None,
    channel: str | None = CHANNEL,
) -> StepView:
    return await study.start(
        user,
        Where(GUILD, channel),
        deck_id=SHIPPED_DECK,
        kind=kind,
        count=count,
        level=level,
    )


def _mcq(view: StepView) -> McqCard:
    assert isinstance(view.card, McqCard)
    return view.card


def _wrong(card: McqCard) -> int:
    return (card.answer_index + 1) % len(card.options)


# -- flashcards -----------------------------------------------------------------------


async def test_flashcard_reveal_then_grade_advances(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.FLASHCARD, count=2)
    sid = view.session.id
    assert isinstance(view.card, FlashCard)
    assert view.card.id == "wsgi-meaning"
    assert (view.number, view.total) == (1, 2)
    assert view.session.phase is Phase.QUESTION
    assert view.deck_title == "WSGI vs ASGI in Django"
    assert not view.finished

    with pytest.raises(StaleStep) as refused:
        await study.grade_flashcard(ALICE, sid, 0, Grade.GOOD)
    assert refused.value.reason is StaleReason.REVEAL_FIRST

    view = await study.reveal(ALICE, sid, 0)
    assert view.session.phase is Phase.REVEALED
    again = await study.reveal(ALICE, sid, 0)  # a second click changes nothing
    assert again.session.phase is Phase.REVEALED
    assert again.session.position == 0

    view = await study.grade_flashcard(ALICE, sid, 0, Grade.GOOD)
    assert view.session.position == 1
    assert view.session.phase is Phase.QUESTION
    assert isinstance(view.card, FlashCard)
    assert view.card.id == "asgi-meaning"
    assert view.result is not None  # feedback on the card just graded
    assert (view.result.grade, view.result.correct, view.result.xp) == (3, True, 10)
    assert view.result.due == START + timedelta(minutes=10)
    assert view.result.streak == 1
    assert (view.session.answered, view.session.correct, view.session.xp) == (1, 1, 10)

    logged = await _reviews(store)
    assert len(logged) == 1
    assert logged[0]["card_id"] == "wsgi-meaning"
    assert (logged[0]["kind"], logged[0]["rating"], logged[0]["step"]) == ("flashcard", 3, 0)
    assert logged[0]["session_id"] == sid
    assert logged[0]["learner_id"] == view.session.learner_id
    assert logged[0]["community_id"] == await store.read(communities.find(GUILD))
    assert logged[0]["community_id"] is not None

    await study.reveal(ALICE, sid, 1)
    view = await study.grade_flashcard(ALICE, sid, 1, Grade.AGAIN)
    assert view.finished
    assert view.card is None
    assert view.session.status is Status.FINISHED
    summary = view.summary
    assert summary is not None
    assert (summary.answered, summary.correct, summary.xp) == (2, 1, 12)
    assert summary.streak.current == 1
    assert summary.next_due == START + timedelta(minutes=1)  # the failed card


async def test_reveal_only_fits_flashcards(study: StudyService) -> None:
    view = await _start(study, SessionKind.MCQ, count=1)
    with pytest.raises(StaleStep) as refused:
        await study.reveal(ALICE, view.session.id, 0)
    assert refused.value.reason is StaleReason.NOT_A_FLASHCARD
    with pytest.raises(StaleStep) as refused:
        await study.grade_flashcard(ALICE, view.session.id, 0, Grade.GOOD)
    assert refused.value.reason is StaleReason.WRONG_BUTTON


# -- multiple choice ----------------------------------------------------------------------


async def test_mcq_right_answer(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.MCQ, count=2)
    card = _mcq(view)
    assert card.id == "async-interface"
    view = await study.answer_mcq(ALICE, view.session.id, 0, card.answer_index, None)
    assert view.session.phase is Phase.ANSWERED
    assert view.session.position == 0  # stays until Next, to show the explanation
    assert view.card == card
    assert view.result is not None
    assert view.result.correct
    assert view.result.choice == card.answer_index
    assert (view.result.grade, view.result.xp) == (int(Grade.GOOD), 10)
    logged = await _reviews(store)
    assert [(r["card_id"], r["correct"], r["rating"]) for r in logged] == [
        ("async-interface", 1, 3)
    ]


async def test_mcq_wrong_answer(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.MCQ, count=2)
    card = _mcq(view)
    view = await study.answer_mcq(ALICE, view.session.id, 0, _wrong(card), None)
    assert view.result is not None
    assert not view.result.correct
    assert (view.result.grade, view.result.xp) == (int(Grade.AGAIN), 2)
    assert view.result.due == START + timedelta(minutes=1)
    assert (view.session.answered, view.session.correct) == (1, 0)
    memory = await store.read(card_states.for_learner(view.session.learner_id))
    assert memory[(SHIPPED_DECK, card.id)].due == START + timedelta(minutes=1)


async def test_mcq_option_out_of_range_records_nothing(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.MCQ, count=1)
    for choice in (-1, 9):
        with pytest.raises(CardChanged) as refused:
            await study.answer_mcq(ALICE, view.session.id, 0, choice, None)
        assert refused.value.reason is StaleReason.CARD_CHANGED
    assert await _reviews(store) == []
    assert (await study.view(view.session.id)).session.phase is Phase.QUESTION


async def test_mcq_button_drawn_for_other_option_text_grades_nothing(
    study: StudyService, store: Store
) -> None:
    view = await _start(study, SessionKind.MCQ, count=1)
    card = view.card
    assert isinstance(card, McqCard)
    # A button drawn before a reload that reordered the options carries the old text.
    stale = option_fingerprint(card.options[1])
    with pytest.raises(CardChanged):
        await study.answer_mcq(ALICE, view.session.id, 0, 0, stale)
    assert await _reviews(store) == []
    fresh = option_fingerprint(card.options[0])
    answered = await study.answer_mcq(ALICE, view.session.id, 0, 0, fresh)
    assert answered.result is not None
    assert answered.result.choice == 0


async def test_next_moves_on_and_finishes(study: StudyService) -> None:
    view = await _start(study, SessionKind.MCQ, count=2)
    sid = view.session.id
    with pytest.raises(StaleStep):
        await study.next(ALICE, sid, 0)  # not answered yet
    await study.answer_mcq(ALICE, sid, 0, _mcq(view).answer_index, None)
    view = await study.next(ALICE, sid, 0)
    assert view.session.position == 1
    assert view.session.phase is Phase.QUESTION
    assert _mcq(view).id == "wsgi-request-type"
    await study.answer_mcq(ALICE, sid, 1, _wrong(_mcq(view)), None)
    view = await study.next(ALICE, sid, 1)
    assert view.finished
    assert view.summary is not None
    assert (view.summary.answered, view.summary.correct, view.summary.xp) == (2, 1, 12)
    assert view.summary.streak.current == 1
    assert view.summary.next_due == START + timedelta(minutes=1)


# -- explain --------------------------------------------------------------------------------


async def test_explain_good_answer(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.EXPLAIN, count=2)
    card = view.card
    assert isinstance(card, ExplainCard)
    assert card.id == "explain-differences"

    view = await study.show_hint(ALICE, view.session.id, 0)
    assert view.session.hint_shown

    view = await study.answer_explain(ALICE, view.session.id, 0, card.model_answer)
    assert view.result is not None
    assert view.result.correct
    assert view.result.grade == int(Grade.EASY)
    assert view.result.concepts == tuple((concept.name, True) for concept in card.concepts)
    assert view.result.xp == 12
    logged = await _reviews(store)
    assert len(logged) == 1
    assert json.loads(str(logged[0]["concepts_missed"])) == []

    with pytest.raises(StaleStep) as refused:
        await study.show_hint(ALICE, view.session.id, 0)
    assert refused.value.reason is StaleReason.ALREADY_ANSWERED
    view = await study.next(ALICE, view.session.id, 0)
    assert not view.session.hint_shown  # the next card starts without its hint


@pytest.mark.parametrize("blank", ["", "  \n\t ", "\u200b\u200b"])
async def test_explain_empty_answer_is_refused_and_nothing_recorded(
    study: StudyService, store: Store, blank: str
) -> None:
    # Issue 14, item 7: refused before any write, so the learner can still answer.
    view = await _start(study, SessionKind.EXPLAIN, count=1)
    sid = view.session.id
    before = await store.read(rows("SELECT * FROM quiz_sessions WHERE id = ?", sid))
    with pytest.raises(EmptyAnswer) as refused:
        await study.answer_explain(ALICE, sid, 0, blank)
    assert (refused.value.session_id, refused.value.step) == (sid, 0)
    assert await _reviews(store) == []
    assert [
        dict(r) for r in await store.read(rows("SELECT * FROM quiz_sessions WHERE id = ?", sid))
    ] == [dict(r) for r in before]
    assert await store.read(rows("SELECT * FROM card_states")) == []


async def test_explain_unrelated_answer_is_graded_as_missed(
    study: StudyService, store: Store
) -> None:
    view = await _start(study, SessionKind.EXPLAIN, count=1)
    card = view.card
    assert isinstance(card, ExplainCard)
    view = await study.answer_explain(ALICE, view.session.id, 0, "I don't remember.")
    assert view.result is not None
    assert not view.result.correct
    assert view.result.grade == int(Grade.AGAIN)
    assert view.result.concepts == tuple((concept.name, False) for concept in card.concepts)
    logged = await _reviews(store)
    assert json.loads(str(logged[0]["concepts_missed"])) == [c.name for c in card.concepts]
    assert logged[0]["correct"] == 0


async def test_explain_partial_answer_is_hard(study: StudyService) -> None:
    view = await _start(study, SessionKind.EXPLAIN, count=1)
    view = await study.answer_explain(
        ALICE, view.session.id, 0, "WSGI is synchronous, ASGI is asynchronous and has websockets"
    )
    assert view.result is not None
    assert sum(covered for _, covered in view.result.concepts) == 2
    assert view.result.grade == int(Grade.HARD)
    assert not view.result.correct


# -- guards ---------------------------------------------------------------------------------


async def test_not_your_session_changes_nothing(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.MCQ, count=2)
    sid = view.session.id
    with pytest.raises(NotYourSession):
        await study.answer_mcq(BOB, sid, 0, 0, None)
    with pytest.raises(NotYourSession):
        await study.check_step(BOB, sid, 0)
    assert await _reviews(store) == []
    assert await store.read(learners.find(BOB)) is None  # a stranger's click creates nobody
    assert (await study.view(sid)).session.phase is Phase.QUESTION


async def test_stale_and_future_steps_are_refused(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.MCQ, count=3)
    sid = view.session.id
    await study.answer_mcq(ALICE, sid, 0, 0, None)
    await study.next(ALICE, sid, 0)
    with pytest.raises(StaleStep) as refused:
        await study.answer_mcq(ALICE, sid, 0, 0, None)  # a button on an old message
    assert refused.value.reason is StaleReason.ALREADY_ANSWERED
    with pytest.raises(StaleStep) as refused:
        await study.answer_mcq(ALICE, sid, 2, 0, None)
    assert refused.value.reason is StaleReason.OUT_OF_DATE
    with pytest.raises(StaleStep) as refused:
        await study.next(ALICE, sid, 0)
    assert refused.value.reason is StaleReason.ALREADY_ANSWERED
    assert len(await _reviews(store)) == 1
    assert (await study.check_step(ALICE, sid, 1)).session.position == 1


async def test_double_answer_records_one_review(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.MCQ, count=2)
    sid = view.session.id
    right = _mcq(view).answer_index
    first = await study.answer_mcq(ALICE, sid, 0, right, None)
    with pytest.raises(StaleStep) as refused:
        await study.answer_mcq(ALICE, sid, 0, _wrong(_mcq(view)), None)
    assert refused.value.reason is StaleReason.ALREADY_ANSWERED
    logged = await _reviews(store)
    assert len(logged) == 1
    assert logged[0]["correct"] == 1
    after = await study.view(sid)
    assert after.session == first.session  # the second click changed nothing
    learner = await store.read(learners.find(ALICE))
    assert learner is not None
    assert learner.xp == 10


async def test_double_flashcard_grade_records_one_review(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.FLASHCARD, count=2)
    sid = view.session.id
    await study.reveal(ALICE, sid, 0)
    await study.grade_flashcard(ALICE, sid, 0, Grade.EASY)
    with pytest.raises(StaleStep):
        await study.grade_flashcard(ALICE, sid, 0, Grade.AGAIN)
    assert [r["rating"] for r in await _reviews(store)] == [4]


async def _twice(first: Awaitable[StepView], second: Awaitable[StepView]) -> StepView:
    """The same click twice at once, as a double tap sends it; the one that won.
    The other is refused (its step is taken, or the session just finished) or, for a
    reveal, changes nothing."""
    outcomes = await asyncio.gather(first, second, return_exceptions=True)
    won = [o for o in outcomes if isinstance(o, StepView)]
    lost = [o for o in outcomes if not isinstance(o, StepView)]
    assert len(won) >= 1, outcomes
    assert all(isinstance(o, StaleStep | SessionOver) for o in lost), lost
    return won[-1]


async def test_every_kind_of_step_double_clicked_logs_one_review_per_step(
    study: StudyService, store: Store
) -> None:
    view = await _start(study, SessionKind.MIXED, count=6)
    sid = view.session.id
    answered: list[tuple[int, str]] = []
    while not view.finished:
        step, card = view.session.position, view.card
        assert card is not None
        if isinstance(card, FlashCard):
            await _twice(study.reveal(ALICE, sid, step), study.reveal(ALICE, sid, step))
            view = await _twice(
                study.grade_flashcard(ALICE, sid, step, Grade.GOOD),
                study.grade_flashcard(ALICE, sid, step, Grade.GOOD),
            )
        else:
            if isinstance(card, McqCard):
                await _twice(
                    study.answer_mcq(ALICE, sid, step, card.answer_index, None),
                    study.answer_mcq(ALICE, sid, step, card.answer_index, None),
                )
            else:
                assert isinstance(card, ExplainCard)
                await _twice(
                    study.answer_explain(ALICE, sid, step, card.model_answer),
                    study.answer_explain(ALICE, sid, step, card.model_answer),
                )
            view = await _twice(study.next(ALICE, sid, step), study.next(ALICE, sid, step))
        answered.append((step, card.id))
    assert view.summary is not None
    assert view.summary.answered == len(answered) == 6
    logged = await _reviews(store)
    assert [(r["session_id"], r["step"], r["card_id"]) for r in logged] == [
        (sid, step, card_id) for step, card_id in answered
    ]
    assert sum(r["xp"] for r in logged) == view.summary.xp


async def test_one_learners_answers_in_two_sessions_at_once_all_count(
    study: StudyService, store: Store
) -> None:
    # Two devices (two channels), the same card, answered in the same instant: each
    # answer must build on the other's card memory, not overwrite it. (On PostgreSQL
    # the second used to read the memory before the first committed: one review lost.)
    for round_ in range(5):
        views = [
            await _start(study, SessionKind.MCQ, count=1, channel=f"{round_}-{device}")
            for device in ("phone", "laptop")
        ]
        assert views[0].session.queue == views[1].session.queue
        await asyncio.gather(
            *(study.answer_mcq(ALICE, v.session.id, 0, _mcq(v).answer_index, None) for v in views)
        )
    memory = await store.read(
        rows(
            "SELECT s.card_id, s.reps, COUNT(r.id) AS reviews FROM card_states s"
            " JOIN reviews r ON r.card_id = s.card_id AND r.learner_id = s.learner_id"
            " GROUP BY s.card_id, s.reps ORDER BY s.card_id"
        )
    )
    assert memory
    assert all(row["reps"] == row["reviews"] for row in memory), [dict(r) for r in memory]
    assert sum(row["reviews"] for row in memory) == 10
    learner = await store.read(learners.find(ALICE))
    assert learner is not None
    assert learner.xp == sum(r["xp"] for r in await _reviews(store))


async def test_a_click_and_a_new_session_in_its_channel_at_once(study: StudyService) -> None:
    # A start locks the learner and then the channel's old session; a click locked them
    # the other way round and PostgreSQL aborted one of the two as a deadlock.
    for round_ in range(10):
        old = await _start(study, SessionKind.MCQ, count=2, channel=f"room-{round_}")
        answer, new = await asyncio.gather(
            study.answer_mcq(ALICE, old.session.id, 0, _mcq(old).answer_index, None),
            _start(study, SessionKind.MCQ, count=2, channel=f"room-{round_}"),
            return_exceptions=True,
        )
        assert isinstance(new, StepView), new
        if not isinstance(answer, StepView):
            assert isinstance(answer, SessionOver), answer  # the start came first
            assert answer.status == Status.ABANDONED
        with pytest.raises(SessionOver):
            await study.answer_mcq(ALICE, old.session.id, 1, 0, None)  # replaced now
        assert (await study.view(new.session.id)).session.status is Status.ACTIVE


async def test_answer_after_finish(study: StudyService, store: Store) -> None:
    view = await _start(study, SessionKind.MCQ, count=1)
    sid = view.session.id
    await study.answer_mcq(ALICE, sid, 0, 0, None)
    view = await study.next(ALICE, sid, 0)
    assert view.finished
    with pytest.raises(SessionOver) as over:
        await study.answer_mcq(ALICE, sid, 0, 0, None)
    assert over.value.status == Status.FINISHED
    with pytest.raises(SessionOver):
        await study.next(ALICE, sid, 1)
    assert len(await _reviews(store)) == 1
    # Viewing a finished session still gives its summary.
    again = await study.view(sid)
    assert again.summary is not None
    assert again.summary.answered == 1


async def test_new_session_replaces_the_old_one_in_the_channel(study: StudyService) -> None:
    first = await _start(study, SessionKind.MCQ, count=2)
    elsewhere = await _start(study, SessionKind.MCQ, count=2, channel=OTHER_CHANNEL)
    second = await _start(study, SessionKind.MCQ, count=2)
    with pytest.raises(SessionOver) as over:
        await study.answer_mcq(ALICE, first.session.id, 0, 0, None)
    assert over.value.status == Status.ABANDONED  # replaced by the newer one
    await study.answer_mcq(ALICE, second.session.id, 0, 0, None)
    await study.answer_mcq(ALICE, elsewhere.session.id, 0, 0, None)  # other channel: untouched


async def test_unknown_session(study: StudyService) -> None:
    with pytest.raises(SessionNotFound):
        await study.view(999)
    with pytest.raises(SessionNotFound):
        await study.answer_mcq(ALICE, 999, 0, 0, None)


async def test_state_survives_a_new_service(
    study: StudyService, store: Store, library: DeckLibrary, clock: FakeClock
) -> None:
    view = await _start(study, SessionKind.FLASHCARD, count=2)
    await study.reveal(ALICE, view.session.id, 0)
    restarted = StudyService(store, library, CardScheduler(fuzz=False), clock)
    view = await restarted.view(view.session.id)
    assert view.session.phase is Phase.REVEALED
    view = await restarted.grade_flashcard(ALICE, view.session.id, 0, Grade.GOOD)
    assert view.session.position == 1


# -- filters and bounds ---------------------------------------------------------------------


async def test_kind_and_level_filters(study: StudyService) -> None:
    view = await _start(study, SessionKind.MCQ, count=MAX_COUNT, level="intermediate")
    assert [item.card_id for item in view.session.queue] == [
        "asgi-benefit",
        "realtime-chat-interface",
    ]
    view = await _start(study, SessionKind.FLASHCARD, count=MAX_COUNT, level="beginner")
    assert [item.card_id for item in view.session.queue] == [
        "wsgi-meaning",
        "asgi-meaning",
        "wsgi-websockets",
    ]
    view = await _start(study, SessionKind.EXPLAIN, count=MAX_COUNT)
    assert {study.decks.card(i.deck_id, i.card_id).type for i in view.session.queue} == {  # type: ignore[union-attr]
        "explain"
    }
    with pytest.raises(NothingToStudy) as nothing:
        await _start(study, SessionKind.MCQ, level="advanced")
    assert nothing.value.reason is NothingReason.NO_MATCH


async def test_mixed_session_interleaves_types(study: StudyService) -> None:
    view = await _start(study, SessionKind.MIXED, count=MAX_COUNT)
    kinds = [study.decks.card(i.deck_id, i.card_id).type for i in view.session.queue]  # type: ignore[union-attr]
    assert kinds[:3] == ["flashcard", "mcq", "explain"]
    assert len(kinds) == 12
    assert view.session.kind == "mixed"


async def test_all_decks_and_unknown_deck(study: StudyService) -> None:
    view = await study.start(ALICE, Where(None, None), count=3)
    assert view.session.deck_id is None
    assert len(view.session.queue) == 3
    with pytest.raises(NothingToStudy) as nothing:
        await study.start(ALICE, Where(None, None), deck_id="nope")
    assert (nothing.value.reason, nothing.value.deck_id) == (NothingReason.NO_SUCH_DECK, "nope")


@pytest.mark.parametrize("count", [0, -1, MAX_COUNT + 1])
async def test_count_out_of_bounds(study: StudyService, store: Store, count: int) -> None:
    with pytest.raises(NothingToStudy) as nothing:
        await _start(study, count=count)
    assert (nothing.value.reason, nothing.value.limit) == (NothingReason.BAD_COUNT, 50)
    assert await store.read(rows("SELECT id FROM quiz_sessions")) == []
    assert await store.read(learners.find(ALICE)) is None


@pytest.mark.parametrize(("count", "expected"), [(1, 1), (5, 5), (MAX_COUNT, 12)])
async def test_count_in_bounds(study: StudyService, count: int, expected: int) -> None:
    view = await _start(study, count=count)
    assert view.total == expected


# -- review sessions ------------------------------------------------------------------------


async def test_start_review_nothing_due(
    study: StudyService, store: Store, clock: FakeClock
) -> None:
    with pytest.raises(NothingToStudy) as nothing:
        await study.start_review(ALICE, HERE)
    assert (nothing.value.reason, nothing.value.next_due) == (NothingReason.NOTHING_DUE, None)
    assert await store.read(learners.find(ALICE)) is None  # the refusal rolled back
    view = await _start(study, SessionKind.MCQ, count=1)
    await study.answer_mcq(ALICE, view.session.id, 0, _wrong(_mcq(view)), None)
    with pytest.raises(NothingToStudy) as nothing:
        await study.start_review(ALICE, HERE)
    assert nothing.value.reason is NothingReason.NOTHING_DUE
    assert nothing.value.next_due == START + timedelta(minutes=1)  # tells when
    clock.advance(timedelta(minutes=1))
    view = await study.start_review(ALICE, HERE)
    assert [item.card_id for item in view.session.queue] == ["async-interface"]


async def test_start_review_most_overdue_first(
    study: StudyService, store: Store, clock: FakeClock
) -> None:
    view = await _start(study, SessionKind.MCQ, count=3)
    sid = view.session.id
    # async-interface wrong at 12:00 (due 12:01), wsgi-request-type wrong at 12:05
    # (due 12:06), asgi-benefit right at 12:05 (due 12:15).
    await study.answer_mcq(ALICE, sid, 0, _wrong(_mcq(view)), None)
    view = await study.next(ALICE, sid, 0)
    clock.advance(timedelta(minutes=5))
    await study.answer_mcq(ALICE, sid, 1, _wrong(_mcq(view)), None)
    view = await study.next(ALICE, sid, 1)
    await study.answer_mcq(ALICE, sid, 2, _mcq(view).answer_index, None)
    await study.next(ALICE, sid, 2)

    clock.set(START + timedelta(minutes=8))
    view = await study.start_review(ALICE, HERE)
    assert view.session.kind == "review"
    assert [item.card_id for item in view.session.queue] == [
        "async-interface",
        "wsgi-request-type",
    ]
    # A due review earns the due bonus: Good 10 + 5.
    view = await study.answer_mcq(ALICE, view.session.id, 0, _mcq(view).answer_index, None)
    assert view.result is not None
    assert view.result.xp == 15
    logged = await _reviews(store)
    assert logged[-1]["was_due"] == 1

    clock.set(START + timedelta(hours=1))
    view = await study.start_review(ALICE, HERE, count=1)
    assert view.total == 1


@pytest.mark.parametrize("count", [0, -1, MAX_COUNT + 1])
async def test_start_review_count_out_of_bounds(study: StudyService, count: int) -> None:
    view = await _start(study, SessionKind.MCQ, count=2)
    await study.answer_mcq(ALICE, view.session.id, 0, _wrong(_mcq(view)), None)
    with pytest.raises(NothingToStudy) as nothing:
        await study.start_review(ALICE, Where(GUILD, OTHER_CHANNEL), count=count)
    assert (nothing.value.reason, nothing.value.limit) == (NothingReason.BAD_COUNT, MAX_COUNT)


# -- cards removed from their deck ----------------------------------------------------------

SMALL_DECK = """\
id: small
title: Small deck
cards:
{cards}
"""
CARDS = {
    "first": """\
  - id: first
    type: mcq
    level: beginner
    question: One?
    options: [yes, no]
    answer: yes
    explanation: Yes.
""",
    "second": """\
  - id: second
    type: mcq
    level: beginner
    question: Two?
    options: [yes, no]
    answer: no
    explanation: No.
""",
    "third": """\
  - id: third
    type: flashcard
    level: beginner
    front: Three?
    back: Three.
""",
}


def _write_deck(folder: Path, *card_ids: str) -> None:
    body = "".join(CARDS[card_id] for card_id in card_ids).rstrip("\n")
    (folder / "small.yaml").write_text(SMALL_DECK.format(cards=body), encoding="utf-8")


@pytest.fixture
def small(tmp_path: Path, store: Store, clock: FakeClock) -> tuple[StudyService, Path]:
    folder = tmp_path / "decks"
    folder.mkdir()
    _write_deck(folder, "first", "second", "third")
    library, problems = DeckLibrary.load(folder)
    assert problems == ()
    return StudyService(store, library, CardScheduler(fuzz=False), clock), folder


async def test_removed_card_is_skipped(small: tuple[StudyService, Path], store: Store) -> None:
    study, folder = small
    view = await study.start(ALICE, Where(None, None), deck_id="small")
    sid = view.session.id
    assert [i.card_id for i in view.session.queue] == ["first", "third", "second"]  # interleaved
    await study.answer_mcq(ALICE, sid, 0, 0, None)
    view = await study.next(ALICE, sid, 0)
    assert isinstance(view.card, FlashCard)

    _write_deck(folder, "first", "second")
    report = study.decks.reload()
    assert report.updated == ("small",)

    view = await study.view(sid)
    assert view.card is None
    assert not view.finished
    with pytest.raises(CardRemoved) as refused:
        await study.reveal(ALICE, sid, 1)
    assert refused.value.reason is StaleReason.CARD_REMOVED
    view = await study.next(ALICE, sid, 1)
    assert view.session.position == 2
    assert _mcq(view).id == "second"
    await study.answer_mcq(ALICE, sid, 2, 1, None)
    view = await study.next(ALICE, sid, 2)
    assert view.finished
    assert view.summary is not None
    assert (view.summary.answered, view.summary.correct) == (2, 2)
    assert [r["card_id"] for r in await _reviews(store)] == ["first", "second"]


async def test_review_skips_cards_that_no_longer_exist(
    small: tuple[StudyService, Path], clock: FakeClock
) -> None:
    study, folder = small
    view = await study.start(ALICE, Where(None, None), deck_id="small", kind=SessionKind.MCQ)
    sid = view.session.id
    await study.answer_mcq(ALICE, sid, 0, 1, None)  # wrong
    await study.next(ALICE, sid, 0)
    await study.answer_mcq(ALICE, sid, 1, 0, None)  # wrong
    _write_deck(folder, "second", "third")
    study.decks.reload()
    clock.advance(timedelta(minutes=5))
    view = await study.start_review(ALICE, Where(None, None))
    assert [i.card_id for i in view.session.queue] == ["second"]


# -- streaks through the service ------------------------------------------------------------


async def _answer_one(study: StudyService, user: Identity = ALICE) -> StepView:
    view = await _start(study, SessionKind.MCQ, count=1, user=user)
    return await study.answer_mcq(user, view.session.id, 0, _mcq(view).answer_index, None)


async def test_streak_grows_on_consecutive_local_days(
    study: StudyService, store: Store, clock: FakeClock
) -> None:
    await LearnerService(store, clock).set_time_zone(ALICE, "America/Sao_Paulo")  # UTC-3
    for day in range(3):
        # 22:00 in São Paulo is 01:00 UTC the next day.
        clock.set(datetime(2026, 3, 2 + day, 1, 0, tzinfo=UTC) + timedelta(days=1))
        view = await _answer_one(study)
        assert view.result is not None
        assert view.result.streak == day + 1
    learner = await store.read(learners.find(ALICE))
    assert learner is not None
    assert learner.streak.current == 3
    assert learner.streak.best == 3
    assert str(learner.streak.last_active) == "2026-03-04"  # local date, not UTC's 03-05

    clock.advance(timedelta(days=3))  # two local days missed, no freezes held
    view = await _answer_one(study)
    assert view.result is not None
    assert view.result.streak == 1


async def test_late_evening_and_just_after_midnight_are_two_days(
    study: StudyService, store: Store, clock: FakeClock
) -> None:
    await LearnerService(store, clock).set_time_zone(ALICE, "Asia/Tokyo")  # UTC+9
    # 23:30 and 00:30 in Tokyo: one UTC date (14:30 and 15:30 UTC), two local dates.
    clock.set(datetime(2026, 3, 2, 14, 30, tzinfo=UTC))
    await _answer_one(study, ALICE)
    await _answer_one(study, BOB)  # Bob stays on UTC
    clock.set(datetime(2026, 3, 2, 15, 30, tzinfo=UTC))
    alice_view = await _answer_one(study, ALICE)
    bob_view = await _answer_one(study, BOB)
    assert alice_view.result is not None
    assert bob_view.result is not None
    assert alice_view.result.streak == 2
    assert bob_view.result.streak == 1


async def test_many_answers_in_one_day_count_once(study: StudyService, clock: FakeClock) -> None:
    for _ in range(3):
        view = await _answer_one(study)
        clock.advance(timedelta(hours=2))
    assert view.result is not None
    assert view.result.streak == 1
