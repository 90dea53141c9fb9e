"""Session control on the study service, both backends: Stop, a start that asks when a
session is open, Resume, Start new, Review missed, Start another, interval previews
and the summary's missed cards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.custom_ids import StartSpec
from bot.core.errors import (
    NothingReason,
    NothingToStudy,
    NotYourSession,
    SessionOpen,
    SessionOver,
)
from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.core.session import SESSION_IDLE, Ending, IfOpen, QueueItem, SessionKind, Status
from bot.decks import FlashCard, McqCard
from bot.services.study import StepView, StudyService, Where
from bot.storage import Store, card_states
from bot.storage.script import rows, value
from tests.conftest import SHIPPED_DECK

ALICE = Identity(Platform.DISCORD, "111")
BOB = Identity(Platform.DISCORD, "222")
GUILD = Identity(Platform.DISCORD, "10")
HERE = Where(GUILD, "20")
ELSEWHERE = Where(GUILD, "21")


async def _statuses(store: Store) -> dict[int, str]:
    found = await store.read(rows("SELECT id, status FROM quiz_sessions ORDER BY id"))
    return {int(r["id"]): str(r["status"]) for r in found}


async def _reviews(store: Store) -> int:
    return int(await store.read(value("SELECT COUNT(*) FROM reviews")) or 0)


async def _mcq_session(study: StudyService, count: int = 3, **kw: object) -> StepView:
    return await study.start(
        ALICE,
        HERE,
        deck_id=SHIPPED_DECK,
        kind=SessionKind.MCQ,
        count=count,
        **kw,  # type: ignore[arg-type]
    )


async def _answer(study: StudyService, view: StepView, right: bool) -> StepView:
    card = view.card
    assert isinstance(card, McqCard)
    choice = card.answer_index if right else (card.answer_index + 1) % len(card.options)
    step = view.session.position
    await study.answer_mcq(ALICE, view.session.id, step, choice, None)
    return await study.next(ALICE, view.session.id, step)


# -- Stop -------------------------------------------------------------------------------


async def test_stop_ends_with_a_summary_and_keeps_the_answers(
    study: StudyService, store: Store
) -> None:
    view = await _mcq_session(study, count=3)
    view = await _answer(study, view, right=False)
    stopped = await study.stop(ALICE, view.session.id, view.session.position)
    assert stopped.finished and stopped.summary is not None
    summary = stopped.summary
    assert summary.ending is Ending.STOPPED
    assert (summary.answered, summary.correct, summary.total) == (1, 0, 3)
    assert [m.card_id for m in summary.missed] == [view.session.queue[0].card_id]
    assert await _reviews(store) == 1
    with pytest.raises(SessionOver):
        await study.stop(ALICE, view.session.id, view.session.position)


# -- a start while a session is open ------------------------------------------------------


async def test_asking_start_reports_the_open_session_and_changes_nothing(
    study: StudyService, store: Store
) -> None:
    open_ = await _mcq_session(study, count=3)
    open_ = await _answer(study, open_, right=True)
    before = await _statuses(store)
    # Any channel: the learner has one session open, wherever it was started.
    for where in (HERE, ELSEWHERE):
        with pytest.raises(SessionOpen) as asked:
            await study.start(ALICE, where, kind=SessionKind.FLASHCARD, if_open=IfOpen.ASK)
        found = asked.value
        assert (found.session_id, found.step, found.total, found.answered) == (
            open_.session.id,
            1,
            3,
            1,
        )
        assert (found.kind, found.deck_id) == ("mcq", SHIPPED_DECK)
        with pytest.raises(SessionOpen):
            await study.start_review(ALICE, where, if_open=IfOpen.ASK)
    assert await _statuses(store) == before


async def test_asking_start_without_an_open_session_starts(study: StudyService) -> None:
    view = await study.start(ALICE, HERE, kind=SessionKind.FLASHCARD, if_open=IfOpen.ASK)
    assert not view.finished
    assert (await study.open_session(ALICE)) is not None


async def test_start_new_finishes_every_open_session_then_starts(
    study: StudyService, store: Store
) -> None:
    first = await _mcq_session(study, count=3)
    await _answer(study, first, right=True)
    other = await study.start(ALICE, ELSEWHERE, kind=SessionKind.FLASHCARD)
    new = await study.start(
        ALICE,
        HERE,
        kind=SessionKind.FLASHCARD,
        count=2,
        if_open=IfOpen.FINISH,
        replacing=first.session.id,
    )
    statuses = await _statuses(store)
    assert statuses[first.session.id] == "finished"  # finished, not "replaced"
    assert statuses[other.session.id] == "finished"
    assert statuses[new.session.id] == "active"
    assert await _reviews(store) == 1  # the answer given stays
    old = await study.view(first.session.id)
    assert old.summary is not None and old.summary.ending is Ending.STOPPED
    assert old.summary.answered == 1


async def test_start_new_on_someone_elses_session_is_refused(
    study: StudyService, store: Store
) -> None:
    alices = await _mcq_session(study)
    before = await _statuses(store)
    with pytest.raises(NotYourSession):
        await study.start(BOB, HERE, if_open=IfOpen.FINISH, replacing=alices.session.id)
    assert await _statuses(store) == before


async def test_replace_stays_the_default(study: StudyService, store: Store) -> None:
    first = await _mcq_session(study)
    second = await _mcq_session(study)
    statuses = await _statuses(store)
    assert (statuses[first.session.id], statuses[second.session.id]) == ("abandoned", "active")
    replaced = await study.view(first.session.id)
    assert replaced.summary is not None and replaced.summary.ending is Ending.REPLACED


async def test_a_session_idle_for_a_day_is_not_open(study: StudyService, clock: FakeClock) -> None:
    await _mcq_session(study)
    clock.advance(SESSION_IDLE + timedelta(minutes=1))
    assert await study.open_session(ALICE) is None
    fresh = await study.start(ALICE, HERE, kind=SessionKind.FLASHCARD, if_open=IfOpen.ASK)
    assert not fresh.finished


# -- Resume -------------------------------------------------------------------------------


async def test_resume_shows_the_session_as_it_stands_to_its_owner_only(
    study: StudyService, store: Store
) -> None:
    view = await _mcq_session(study, count=3)
    view = await _answer(study, view, right=True)
    resumed = await study.resume(ALICE, view.session.id)
    assert resumed.session == view.session
    assert resumed.card == view.card
    with pytest.raises(NotYourSession):
        await study.resume(BOB, view.session.id)
    await study.stop(ALICE, view.session.id, view.session.position)
    with pytest.raises(SessionOver):
        await study.resume(ALICE, view.session.id)


# -- Review missed, Start another ------------------------------------------------------


async def test_review_missed_is_a_session_of_just_the_missed_cards(
    study: StudyService, store: Store
) -> None:
    view = await _mcq_session(study, count=4)
    queue = view.session.queue
    for right in (False, True, False, True):
        view = await _answer(study, view, right=right)
    assert view.summary is not None
    assert [m.card_id for m in view.summary.missed] == [queue[0].card_id, queue[2].card_id]
    missed = await study.review_missed(ALICE, HERE, view.session.id)
    assert missed.session.kind is SessionKind.MISSED
    assert missed.session.queue == (queue[0], queue[2])
    with pytest.raises(NotYourSession):
        await study.review_missed(BOB, HERE, view.session.id)


async def test_review_missed_with_nothing_missed_says_so(study: StudyService) -> None:
    view = await _mcq_session(study, count=2)
    view = await _answer(study, view, right=True)
    view = await _answer(study, view, right=True)
    assert view.summary is not None and view.summary.missed == ()
    with pytest.raises(NothingToStudy) as refused:
        await study.review_missed(ALICE, HERE, view.session.id)
    assert refused.value.reason is NothingReason.NOTHING_MISSED


async def test_start_another_repeats_deck_kind_level_and_size(
    study: StudyService, store: Store
) -> None:
    view = await study.start(
        ALICE, HERE, deck_id=SHIPPED_DECK, kind=SessionKind.MCQ, count=2, level="beginner"
    )
    view = await _answer(study, view, right=True)
    view = await _answer(study, view, right=True)
    again = await study.start_another(ALICE, HERE, view.session.id)
    state = again.session
    assert (state.kind, state.deck_id, state.level, len(state.queue)) == (
        SessionKind.MCQ,
        SHIPPED_DECK,
        "beginner",
        2,
    )
    assert all(isinstance(study.decks.card(q.deck_id, q.card_id), McqCard) for q in state.queue)
    assert all(
        study.decks.card(q.deck_id, q.card_id).level == "beginner"  # type: ignore[union-attr]
        for q in state.queue
    )
    with pytest.raises(NotYourSession):
        await study.start_another(BOB, HERE, view.session.id)


async def test_summary_buttons_ask_too_when_another_session_is_open(study: StudyService) -> None:
    view = await _mcq_session(study, count=1)
    view = await _answer(study, view, right=False)
    await study.start(ALICE, ELSEWHERE, kind=SessionKind.FLASHCARD)
    with pytest.raises(SessionOpen):
        await study.review_missed(ALICE, HERE, view.session.id, if_open=IfOpen.ASK)
    with pytest.raises(SessionOpen):
        await study.start_another(ALICE, HERE, view.session.id, if_open=IfOpen.ASK)


# -- feedback ---------------------------------------------------------------------------


async def test_revealed_flashcard_carries_previews_that_the_grade_then_gives(
    study: StudyService, store: Store, scheduler: CardScheduler, clock: FakeClock
) -> None:
    view = await study.start(ALICE, HERE, deck_id=SHIPPED_DECK, kind=SessionKind.FLASHCARD)
    assert view.previews is None  # nothing to preview before the answer is shown
    sid = view.session.id
    revealed = await study.reveal(ALICE, sid, 0)
    assert revealed.previews == scheduler.preview(None, clock())
    assert await store.read(value("SELECT COUNT(*) FROM card_states")) == 0  # nothing written
    graded = await study.grade_flashcard(ALICE, sid, 0, Grade.GOOD)
    assert graded.result is not None
    assert graded.result.due - clock() == revealed.previews[Grade.GOOD]
    # The second card's previews come from that card's own memory (none yet).
    item = graded.session.current
    assert item is not None
    assert isinstance(study.decks.card(item.deck_id, item.card_id), FlashCard)
    learner_id = graded.session.learner_id
    memory = await store.read(card_states.get(learner_id, item.deck_id, item.card_id))
    assert memory is None


async def test_a_first_session_says_so_with_the_zone(study: StudyService) -> None:
    first = await study.start(ALICE, HERE, kind=SessionKind.FLASHCARD)
    assert (first.first_session, first.time_zone) == (True, "UTC")
    second = await study.start(ALICE, HERE, kind=SessionKind.FLASHCARD)
    assert second.first_session is False


async def test_summary_lists_each_missed_card_with_its_text(study: StudyService) -> None:
    view = await _mcq_session(study, count=2)
    view = await _answer(study, view, right=False)
    view = await _answer(study, view, right=False)
    assert view.summary is not None
    assert len(view.summary.missed) == 2
    assert all(isinstance(m.card, McqCard) for m in view.summary.missed)
    assert QueueItem(SHIPPED_DECK, view.summary.missed[0].card_id) in view.session.queue
    assert view.session.status is Status.FINISHED


async def test_start_another_after_missed_or_review_sessions(
    study: StudyService, clock: FakeClock
) -> None:
    view = await _mcq_session(study, count=1)
    view = await _answer(study, view, right=False)
    missed = await study.review_missed(ALICE, HERE, view.session.id)
    missed = await _answer(study, missed, right=True)
    after_missed = await study.start_another(ALICE, HERE, missed.session.id)
    assert (after_missed.session.kind, after_missed.session.deck_id) == (
        SessionKind.MIXED,
        SHIPPED_DECK,
    )
    assert len(after_missed.session.queue) == 1  # the size of the session it follows
    clock.advance(timedelta(days=30))  # everything studied so far is due by now
    review = await study.start_review(ALICE, HERE)
    after_review = await study.start_another(ALICE, HERE, review.session.id)
    assert after_review.session.kind is SessionKind.REVIEW
    assert set(after_review.session.queue) == set(review.session.queue)


async def test_start_spec_starts_what_each_spec_asks(study: StudyService) -> None:
    fresh = await study.start_spec(
        ALICE,
        HERE,
        StartSpec("start", kind=SessionKind.MCQ, count=2, deck_id=SHIPPED_DECK),
    )
    assert fresh.session.kind is SessionKind.MCQ and fresh.total == 2
    view = fresh
    for _ in range(2):
        view = await _answer(study, view, right=False)
    missed = await study.start_spec(ALICE, HERE, StartSpec("missed", origin=fresh.session.id))
    assert missed.session.kind is SessionKind.MISSED and missed.total == 2
    # A session is open: with ASK the service asks instead of starting another.
    with pytest.raises(SessionOpen):
        await study.start_spec(
            ALICE, HERE, StartSpec("another", origin=fresh.session.id), if_open=IfOpen.ASK
        )
    again = await study.start_spec(ALICE, HERE, StartSpec("another", origin=fresh.session.id))
    assert again.session.kind is SessionKind.MCQ and again.total == 2
    # Nothing is due yet (the missed cards come back later): a review says so.
    with pytest.raises(NothingToStudy) as nothing:
        await study.start_spec(ALICE, HERE, StartSpec("review"))
    assert nothing.value.reason is NothingReason.NOTHING_DUE
