"""One meaning of "due": stats, review, reminders and decks agree (both backends).

The situation of the bug report: right after a session of the whole 12-card deck,
``/quiz stats`` said "Due today 12" while ``/quiz review`` said nothing was due.
Every new card answered sits in an FSRS learning step (1 to 10 minutes), so it is
scheduled later today and due in a few minutes, not now.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.errors import NothingReason, NothingToStudy
from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from bot.decks import DeckLibrary, ExplainCard, FlashCard, McqCard
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.services.study import StudyService, Where
from bot.storage import Store
from bot.storage import reminders as reminder_rows
from tests.conftest import SHIPPED_DECK, START

ALICE = Identity(Platform.DISCORD, "111")
HERE = Where(Identity(Platform.DISCORD, "10"), "20")


async def _whole_deck_session(study: StudyService) -> int:
    """Answer every card of the shipped deck once, as a learner would; how many."""
    view = await study.start(ALICE, HERE, deck_id=SHIPPED_DECK, count=50)
    sid = view.session.id
    while not view.finished:
        step, card = view.session.position, view.card
        if isinstance(card, FlashCard):
            await study.reveal(ALICE, sid, step)
            view = await study.grade_flashcard(ALICE, sid, step, Grade.GOOD)
            continue
        if isinstance(card, McqCard):
            await study.answer_mcq(ALICE, sid, step, card.answer_index, None)
        else:
            assert isinstance(card, ExplainCard)
            await study.answer_explain(ALICE, sid, step, card.model_answer)
        view = await study.next(ALICE, sid, step)
    assert view.summary is not None
    return view.summary.answered


async def _everyones_count(
    study: StudyService, reports: ReportService, store: Store, clock: FakeClock
) -> dict[str, int]:
    """How many cards are due now, as each place that says so counts them."""
    stats = await reports.learner_stats(ALICE)
    decks = await reports.deck_progress(ALICE)
    # due_rows locks the plans it claims (FOR UPDATE), so it needs a write transaction;
    # it changes nothing by itself.
    [reminder] = await store.write(reminder_rows.due_rows(Platform.DISCORD, clock(), 10))
    try:
        review = len((await study.start_review(ALICE, HERE, count=50)).session.queue)
    except NothingToStudy as nothing:
        if nothing.reason is not NothingReason.NOTHING_DUE:
            raise
        review = 0
    return {
        "stats": stats.due_now,
        "review": review,
        "reminder": reminder.due_count,
        "decks": sum(d.due_now for d in decks),
    }


@pytest.fixture
def reports(store: Store, library: DeckLibrary, clock: FakeClock) -> ReportService:
    return ReportService(store, library, clock)


async def test_right_after_a_session_everyone_agrees_nothing_is_due_yet(
    study: StudyService, reports: ReportService, store: Store, clock: FakeClock
) -> None:
    answered = await _whole_deck_session(study)
    assert answered == 12
    # A reminder planned a minute after the session, so that its claim counts too.
    await ReminderService(store, clock).set_time(ALICE, "12:01")
    clock.set(START + timedelta(minutes=1))

    assert await _everyones_count(study, reports, store, clock) == dict.fromkeys(
        ("stats", "review", "reminder", "decks"), 0
    )
    stats = await reports.learner_stats(ALICE)
    # The 10 flashcards and multiple choice answered Good are in their 10-minute
    # learning step: later today (the old "Due today" counted them as due); the two
    # explanations, answered with the model answer, went straight to days.
    assert stats.later_today == 10
    assert stats.due_today == 10  # what the old stats called "due", while review had none

    # Once the learning steps are over, every count has the same 10.
    clock.set(START + timedelta(minutes=30))
    assert await _everyones_count(study, reports, store, clock) == dict.fromkeys(
        ("stats", "review", "reminder", "decks"), 10
    )
