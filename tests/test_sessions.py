"""The StudyEngine: every session flow step by step, on the shipped deck and real SQLite."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.grading import Grade
from bot.core.scheduling import CardScheduler
from bot.decks import DeckLibrary, ExplainCard, FlashCard, McqCard
from bot.sessions import (
    MAX_COUNT,
    CardChanged,
    NothingToStudy,
    NotYourSession,
    SessionKind,
    SessionNotFound,
    SessionOver,
    StaleStep,
    StepView,
    StudyEngine,
    describe_interval,
    option_fingerprint,
)
from bot.storage import Database, card_states, learners
from bot.storage.quiz_sessions import Phase, Status
from tests.conftest import SHIPPED_DECK, START

ALICE = 111
BOB = 222
GUILD = 10
CHANNEL = 20


async def _reviews(db: Database) -> list[dict[str, object]]:
    rows = await db.fetchall("SELECT * FROM reviews ORDER BY id")
    return [dict(row) for row in rows]


async def _start(
    engine: StudyEngine,
    kind: SessionKind = SessionKind.MIXED,
    count: int = 10,
    *,
    user: int = ALICE,
    level: str | None = None,
    channel: int | None = CHANNEL,
) -> StepView:
    return await engine.start(
        user_id=user,
        guild_id=GUILD,
        channel_id=channel,
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


async def test_flashcard_reveal_then_grade_advances(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.FLASHCARD, count=2)
    sid = view.session.id
    assert isinstance(view.card, FlashCard)
    assert view.card.id == "wsgi-meaning"
    assert (view.number, view.total) == (1, 2)
    assert view.session.phase is Phase.QUESTION
    assert view.deck_title == "WSGI vs ASGI in Django"
    assert not view.finished

    with pytest.raises(StaleStep, match="Reveal the answer first"):
        await engine.grade_flashcard(sid, ALICE, 0, Grade.GOOD)

    view = await engine.reveal(sid, ALICE, 0)
    assert view.session.phase is Phase.REVEALED
    again = await engine.reveal(sid, ALICE, 0)  # a second click changes nothing
    assert again.session.phase is Phase.REVEALED
    assert again.session.position == 0

    view = await engine.grade_flashcard(sid, ALICE, 0, Grade.GOOD)
    assert view.session.position == 1
    assert view.session.phase is Phase.QUESTION
    assert isinstance(view.card, FlashCard)
    assert view.card.id == "asgi-meaning"
    assert view.result is not None  # feedback on the card just graded
    assert (view.result.grade, view.result.correct, view.result.xp) == (3, True, 10)
    assert view.result.due_at == START + timedelta(minutes=10)
    assert view.result.streak == 1
    assert (view.session.answered, view.session.correct, view.session.xp) == (1, 1, 10)

    rows = await _reviews(db)
    assert len(rows) == 1
    assert rows[0]["card_id"] == "wsgi-meaning"
    assert (rows[0]["kind"], rows[0]["rating"], rows[0]["step"]) == ("flashcard", 3, 0)
    assert rows[0]["session_id"] == sid
    assert rows[0]["guild_id"] == GUILD

    await engine.reveal(sid, ALICE, 1)
    view = await engine.grade_flashcard(sid, ALICE, 1, Grade.AGAIN)
    assert view.finished
    assert view.card is None
    assert view.session.status is Status.FINISHED
    summary = view.summary
    assert summary is not None
    assert (summary.answered, summary.correct, summary.xp) == (2, 1, 12)
    assert summary.streak.current == 1
    assert summary.next_due == START + timedelta(minutes=1)  # the failed card


async def test_reveal_only_fits_flashcards(engine: StudyEngine) -> None:
    view = await _start(engine, SessionKind.MCQ, count=1)
    with pytest.raises(StaleStep, match="Only flashcards"):
        await engine.reveal(view.session.id, ALICE, 0)
    with pytest.raises(StaleStep):
        await engine.grade_flashcard(view.session.id, ALICE, 0, Grade.GOOD)


# -- multiple choice ----------------------------------------------------------------------


async def test_mcq_right_answer(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.MCQ, count=2)
    card = _mcq(view)
    assert card.id == "async-interface"
    view = await engine.answer_mcq(view.session.id, ALICE, 0, card.answer_index)
    assert view.session.phase is Phase.ANSWERED
    assert view.session.position == 0  # stays until Next, to show the explanation
    assert view.card == card
    assert view.result is not None
    assert view.result.correct
    assert view.result.choice == card.answer_index
    assert (view.result.grade, view.result.xp) == (int(Grade.GOOD), 10)
    rows = await _reviews(db)
    assert [(r["card_id"], r["correct"], r["rating"]) for r in rows] == [("async-interface", 1, 3)]


async def test_mcq_wrong_answer(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.MCQ, count=2)
    card = _mcq(view)
    view = await engine.answer_mcq(view.session.id, ALICE, 0, _wrong(card))
    assert view.result is not None
    assert not view.result.correct
    assert (view.result.grade, view.result.xp) == (int(Grade.AGAIN), 2)
    assert view.result.due_at == START + timedelta(minutes=1)
    assert (view.session.answered, view.session.correct) == (1, 0)
    memory = await card_states.for_learner(db, ALICE)
    assert memory[(SHIPPED_DECK, card.id)].due == START + timedelta(minutes=1)


async def test_mcq_option_out_of_range_records_nothing(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.MCQ, count=1)
    for choice in (-1, 9):
        with pytest.raises(CardChanged, match="changed"):
            await engine.answer_mcq(view.session.id, ALICE, 0, choice)
    assert await _reviews(db) == []
    assert (await engine.view(view.session.id)).session.phase is Phase.QUESTION


async def test_mcq_button_drawn_for_other_option_text_grades_nothing(
    engine: StudyEngine, db: Database
) -> None:
    view = await _start(engine, SessionKind.MCQ, count=1)
    card = view.card
    assert isinstance(card, McqCard)
    # A button drawn before a reload that reordered the options carries the old text.
    stale = option_fingerprint(card.options[1])
    with pytest.raises(CardChanged):
        await engine.answer_mcq(view.session.id, ALICE, 0, 0, stale)
    assert await _reviews(db) == []
    fresh = option_fingerprint(card.options[0])
    answered = await engine.answer_mcq(view.session.id, ALICE, 0, 0, fresh)
    assert answered.result is not None
    assert answered.result.choice == 0


async def test_next_moves_on_and_finishes(engine: StudyEngine) -> None:
    view = await _start(engine, SessionKind.MCQ, count=2)
    sid = view.session.id
    with pytest.raises(StaleStep):
        await engine.next(sid, ALICE, 0)  # not answered yet
    await engine.answer_mcq(sid, ALICE, 0, _mcq(view).answer_index)
    view = await engine.next(sid, ALICE, 0)
    assert view.session.position == 1
    assert view.session.phase is Phase.QUESTION
    assert _mcq(view).id == "wsgi-request-type"
    await engine.answer_mcq(sid, ALICE, 1, _wrong(_mcq(view)))
    view = await engine.next(sid, ALICE, 1)
    assert view.finished
    assert view.summary is not None
    assert (view.summary.answered, view.summary.correct, view.summary.xp) == (2, 1, 12)
    assert view.summary.streak.current == 1
    assert view.summary.next_due == START + timedelta(minutes=1)


# -- explain --------------------------------------------------------------------------------


async def test_explain_good_answer(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.EXPLAIN, count=2)
    card = view.card
    assert isinstance(card, ExplainCard)
    assert card.id == "explain-differences"

    view = await engine.show_hint(view.session.id, ALICE, 0)
    assert view.session.hint_shown

    view = await engine.answer_explain(view.session.id, ALICE, 0, card.model_answer)
    assert view.result is not None
    assert view.result.correct
    assert view.result.grade == int(Grade.EASY)
    assert view.result.concepts == [(concept.name, True) for concept in card.concepts]
    assert view.result.xp == 12
    rows = await _reviews(db)
    assert len(rows) == 1
    assert json.loads(str(rows[0]["concepts_missed"])) == []

    with pytest.raises(StaleStep, match="already answered"):
        await engine.show_hint(view.session.id, ALICE, 0)
    view = await engine.next(view.session.id, ALICE, 0)
    assert not view.session.hint_shown  # the next card starts without its hint


async def test_explain_empty_answer(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.EXPLAIN, count=1)
    card = view.card
    assert isinstance(card, ExplainCard)
    view = await engine.answer_explain(view.session.id, ALICE, 0, "")
    assert view.result is not None
    assert not view.result.correct
    assert view.result.grade == int(Grade.AGAIN)
    assert view.result.concepts == [(concept.name, False) for concept in card.concepts]
    rows = await _reviews(db)
    assert json.loads(str(rows[0]["concepts_missed"])) == [c.name for c in card.concepts]
    assert rows[0]["correct"] == 0


async def test_explain_partial_answer_is_hard(engine: StudyEngine) -> None:
    view = await _start(engine, SessionKind.EXPLAIN, count=1)
    view = await engine.answer_explain(
        view.session.id, ALICE, 0, "WSGI is synchronous, ASGI is asynchronous and has websockets"
    )
    assert view.result is not None
    assert sum(covered for _, covered in view.result.concepts) == 2
    assert view.result.grade == int(Grade.HARD)
    assert not view.result.correct


# -- guards ---------------------------------------------------------------------------------


async def test_not_your_session_changes_nothing(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.MCQ, count=2)
    sid = view.session.id
    with pytest.raises(NotYourSession, match="not your quiz"):
        await engine.answer_mcq(sid, BOB, 0, 0)
    with pytest.raises(NotYourSession):
        await engine.check_step(sid, BOB, 0)
    assert await _reviews(db) == []
    assert await learners.get(db, BOB) is None
    assert (await engine.view(sid)).session.phase is Phase.QUESTION


async def test_stale_and_future_steps_are_refused(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.MCQ, count=3)
    sid = view.session.id
    await engine.answer_mcq(sid, ALICE, 0, 0)
    await engine.next(sid, ALICE, 0)
    with pytest.raises(StaleStep, match="already answered"):
        await engine.answer_mcq(sid, ALICE, 0, 0)  # a button on an old message
    with pytest.raises(StaleStep, match="out of date"):
        await engine.answer_mcq(sid, ALICE, 2, 0)
    with pytest.raises(StaleStep):
        await engine.next(sid, ALICE, 0)
    assert len(await _reviews(db)) == 1
    assert (await engine.check_step(sid, ALICE, 1)).session.position == 1


async def test_double_answer_records_one_review(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.MCQ, count=2)
    sid = view.session.id
    right = _mcq(view).answer_index
    first = await engine.answer_mcq(sid, ALICE, 0, right)
    with pytest.raises(StaleStep, match="already answered"):
        await engine.answer_mcq(sid, ALICE, 0, _wrong(_mcq(view)))
    rows = await _reviews(db)
    assert len(rows) == 1
    assert rows[0]["correct"] == 1
    after = await engine.view(sid)
    assert after.session == first.session  # the second click changed nothing
    learner = await learners.get(db, ALICE)
    assert learner is not None
    assert learner.xp == 10


async def test_double_flashcard_grade_records_one_review(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.FLASHCARD, count=2)
    sid = view.session.id
    await engine.reveal(sid, ALICE, 0)
    await engine.grade_flashcard(sid, ALICE, 0, Grade.EASY)
    with pytest.raises(StaleStep):
        await engine.grade_flashcard(sid, ALICE, 0, Grade.AGAIN)
    assert [r["rating"] for r in await _reviews(db)] == [4]


async def test_answer_after_finish(engine: StudyEngine, db: Database) -> None:
    view = await _start(engine, SessionKind.MCQ, count=1)
    sid = view.session.id
    await engine.answer_mcq(sid, ALICE, 0, 0)
    view = await engine.next(sid, ALICE, 0)
    assert view.finished
    with pytest.raises(SessionOver, match="finished"):
        await engine.answer_mcq(sid, ALICE, 0, 0)
    with pytest.raises(SessionOver):
        await engine.next(sid, ALICE, 1)
    assert len(await _reviews(db)) == 1
    # Viewing a finished session still gives its summary.
    again = await engine.view(sid)
    assert again.summary is not None
    assert again.summary.answered == 1


async def test_new_session_replaces_the_old_one_in_the_channel(engine: StudyEngine) -> None:
    first = await _start(engine, SessionKind.MCQ, count=2)
    elsewhere = await _start(engine, SessionKind.MCQ, count=2, channel=CHANNEL + 1)
    second = await _start(engine, SessionKind.MCQ, count=2)
    with pytest.raises(SessionOver, match="replaced"):
        await engine.answer_mcq(first.session.id, ALICE, 0, 0)
    await engine.answer_mcq(second.session.id, ALICE, 0, 0)
    await engine.answer_mcq(elsewhere.session.id, ALICE, 0, 0)  # other channel: untouched


async def test_unknown_session(engine: StudyEngine) -> None:
    with pytest.raises(SessionNotFound):
        await engine.view(999)
    with pytest.raises(SessionNotFound):
        await engine.answer_mcq(999, ALICE, 0, 0)


async def test_state_survives_a_new_engine(
    engine: StudyEngine, db: Database, library: DeckLibrary, clock: FakeClock
) -> None:
    view = await _start(engine, SessionKind.FLASHCARD, count=2)
    await engine.reveal(view.session.id, ALICE, 0)
    restarted = StudyEngine(db, library, CardScheduler(fuzz=False), clock)
    view = await restarted.view(view.session.id)
    assert view.session.phase is Phase.REVEALED
    view = await restarted.grade_flashcard(view.session.id, ALICE, 0, Grade.GOOD)
    assert view.session.position == 1


# -- filters and bounds ---------------------------------------------------------------------


async def test_kind_and_level_filters(engine: StudyEngine) -> None:
    view = await _start(engine, SessionKind.MCQ, count=MAX_COUNT, level="intermediate")
    assert [item.card_id for item in view.session.queue] == [
        "asgi-benefit",
        "realtime-chat-interface",
    ]
    view = await _start(engine, SessionKind.FLASHCARD, count=MAX_COUNT, level="beginner")
    assert [item.card_id for item in view.session.queue] == [
        "wsgi-meaning",
        "asgi-meaning",
        "wsgi-websockets",
    ]
    view = await _start(engine, SessionKind.EXPLAIN, count=MAX_COUNT)
    assert {engine.decks.card(i.deck_id, i.card_id).type for i in view.session.queue} == {  # type: ignore[union-attr]
        "explain"
    }
    with pytest.raises(NothingToStudy, match="No cards match"):
        await _start(engine, SessionKind.MCQ, level="advanced")


async def test_mixed_session_interleaves_types(engine: StudyEngine) -> None:
    view = await _start(engine, SessionKind.MIXED, count=MAX_COUNT)
    kinds = [engine.decks.card(i.deck_id, i.card_id).type for i in view.session.queue]  # type: ignore[union-attr]
    assert kinds[:3] == ["flashcard", "mcq", "explain"]
    assert len(kinds) == 12
    assert view.session.kind == "mixed"


async def test_all_decks_and_unknown_deck(engine: StudyEngine) -> None:
    view = await engine.start(user_id=ALICE, guild_id=None, channel_id=None, count=3)
    assert view.session.deck_id is None
    assert len(view.session.queue) == 3
    with pytest.raises(NothingToStudy, match="no deck called 'nope'"):
        await engine.start(user_id=ALICE, guild_id=None, channel_id=None, deck_id="nope")


@pytest.mark.parametrize("count", [0, -1, MAX_COUNT + 1])
async def test_count_out_of_bounds(engine: StudyEngine, db: Database, count: int) -> None:
    with pytest.raises(NothingToStudy, match="between 1 and 50"):
        await _start(engine, count=count)
    assert await db.fetchall("SELECT id FROM quiz_sessions") == []


@pytest.mark.parametrize(("count", "expected"), [(1, 1), (5, 5), (MAX_COUNT, 12)])
async def test_count_in_bounds(engine: StudyEngine, count: int, expected: int) -> None:
    view = await _start(engine, count=count)
    assert view.total == expected


# -- review sessions ------------------------------------------------------------------------


async def test_start_review_nothing_due(engine: StudyEngine, clock: FakeClock) -> None:
    with pytest.raises(NothingToStudy, match="Nothing is due"):
        await engine.start_review(user_id=ALICE, guild_id=GUILD, channel_id=CHANNEL)
    view = await _start(engine, SessionKind.MCQ, count=1)
    await engine.answer_mcq(view.session.id, ALICE, 0, _wrong(_mcq(view)))
    with pytest.raises(NothingToStudy, match=r"<t:\d+:R>"):  # tells when the next one is due
        await engine.start_review(user_id=ALICE, guild_id=GUILD, channel_id=CHANNEL)
    clock.advance(timedelta(minutes=1))
    view = await engine.start_review(user_id=ALICE, guild_id=GUILD, channel_id=CHANNEL)
    assert [item.card_id for item in view.session.queue] == ["async-interface"]


async def test_start_review_most_overdue_first(
    engine: StudyEngine, db: Database, clock: FakeClock
) -> None:
    view = await _start(engine, SessionKind.MCQ, count=3)
    sid = view.session.id
    # async-interface wrong at 12:00 (due 12:01), wsgi-request-type wrong at 12:05
    # (due 12:06), asgi-benefit right at 12:05 (due 12:15).
    await engine.answer_mcq(sid, ALICE, 0, _wrong(_mcq(view)))
    view = await engine.next(sid, ALICE, 0)
    clock.advance(timedelta(minutes=5))
    await engine.answer_mcq(sid, ALICE, 1, _wrong(_mcq(view)))
    view = await engine.next(sid, ALICE, 1)
    await engine.answer_mcq(sid, ALICE, 2, _mcq(view).answer_index)
    await engine.next(sid, ALICE, 2)

    clock.set(START + timedelta(minutes=8))
    view = await engine.start_review(user_id=ALICE, guild_id=GUILD, channel_id=CHANNEL)
    assert view.session.kind == "review"
    assert [item.card_id for item in view.session.queue] == [
        "async-interface",
        "wsgi-request-type",
    ]
    # A due review earns the due bonus: Good 10 + 5.
    view = await engine.answer_mcq(view.session.id, ALICE, 0, _mcq(view).answer_index)
    assert view.result is not None
    assert view.result.xp == 15
    rows = await _reviews(db)
    assert rows[-1]["was_due"] == 1

    clock.set(START + timedelta(hours=1))
    view = await engine.start_review(user_id=ALICE, guild_id=GUILD, channel_id=CHANNEL, count=1)
    assert view.total == 1


@pytest.mark.parametrize("count", [0, -1, MAX_COUNT + 1])
async def test_start_review_count_out_of_bounds(engine: StudyEngine, count: int) -> None:
    view = await _start(engine, SessionKind.MCQ, count=2)
    await engine.answer_mcq(view.session.id, ALICE, 0, _wrong(_mcq(view)))
    with pytest.raises(NothingToStudy, match="between 1 and 50"):
        await engine.start_review(
            user_id=ALICE, guild_id=GUILD, channel_id=CHANNEL + 1, count=count
        )


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
def small(tmp_path: Path, db: Database, clock: FakeClock) -> tuple[StudyEngine, Path]:
    folder = tmp_path / "decks"
    folder.mkdir()
    _write_deck(folder, "first", "second", "third")
    library, problems = DeckLibrary.load(folder)
    assert problems == ()
    return StudyEngine(db, library, CardScheduler(fuzz=False), clock), folder


async def test_removed_card_is_skipped(small: tuple[StudyEngine, Path], db: Database) -> None:
    engine, folder = small
    view = await engine.start(user_id=ALICE, guild_id=None, channel_id=None, deck_id="small")
    sid = view.session.id
    assert [i.card_id for i in view.session.queue] == ["first", "third", "second"]  # interleaved
    await engine.answer_mcq(sid, ALICE, 0, 0)
    view = await engine.next(sid, ALICE, 0)
    assert isinstance(view.card, FlashCard)

    _write_deck(folder, "first", "second")
    report = engine.decks.reload()
    assert report.updated == ("small",)

    view = await engine.view(sid)
    assert view.card is None
    assert not view.finished
    with pytest.raises(StaleStep, match="removed"):
        await engine.reveal(sid, ALICE, 1)
    view = await engine.next(sid, ALICE, 1)
    assert view.session.position == 2
    assert _mcq(view).id == "second"
    await engine.answer_mcq(sid, ALICE, 2, 1)
    view = await engine.next(sid, ALICE, 2)
    assert view.finished
    assert view.summary is not None
    assert (view.summary.answered, view.summary.correct) == (2, 2)
    assert [r["card_id"] for r in await _reviews(db)] == ["first", "second"]


async def test_review_skips_cards_that_no_longer_exist(
    small: tuple[StudyEngine, Path], clock: FakeClock
) -> None:
    engine, folder = small
    view = await engine.start(
        user_id=ALICE, guild_id=None, channel_id=None, deck_id="small", kind=SessionKind.MCQ
    )
    sid = view.session.id
    await engine.answer_mcq(sid, ALICE, 0, 1)  # wrong
    await engine.next(sid, ALICE, 0)
    await engine.answer_mcq(sid, ALICE, 1, 0)  # wrong
    _write_deck(folder, "second", "third")
    engine.decks.reload()
    clock.advance(timedelta(minutes=5))
    view = await engine.start_review(user_id=ALICE, guild_id=None, channel_id=None)
    assert [i.card_id for i in view.session.queue] == ["second"]


# -- streaks through the engine -------------------------------------------------------------


async def _answer_one(engine: StudyEngine, user: int = ALICE) -> StepView:
    view = await _start(engine, SessionKind.MCQ, count=1, user=user)
    return await engine.answer_mcq(view.session.id, user, 0, _mcq(view).answer_index)


async def test_streak_grows_on_consecutive_local_days(
    engine: StudyEngine, db: Database, clock: FakeClock
) -> None:
    await learners.set_time_zone(db, ALICE, "America/Sao_Paulo", clock())  # UTC-3
    for day in range(3):
        # 22:00 in São Paulo is 01:00 UTC the next day.
        clock.set(datetime(2026, 3, 2 + day, 1, 0, tzinfo=UTC) + timedelta(days=1))
        view = await _answer_one(engine)
        assert view.result is not None
        assert view.result.streak == day + 1
    learner = await learners.get(db, ALICE)
    assert learner is not None
    assert learner.streak.current == 3
    assert learner.streak.best == 3
    assert str(learner.streak.last_active) == "2026-03-04"  # local date, not UTC's 03-05

    clock.advance(timedelta(days=3))  # two local days missed, no freezes held
    view = await _answer_one(engine)
    assert view.result is not None
    assert view.result.streak == 1


async def test_late_evening_and_just_after_midnight_are_two_days(
    engine: StudyEngine, db: Database, clock: FakeClock
) -> None:
    await learners.set_time_zone(db, ALICE, "Asia/Tokyo", clock())  # UTC+9
    # 23:30 and 00:30 in Tokyo: one UTC date (14:30 and 15:30 UTC), two local dates.
    clock.set(datetime(2026, 3, 2, 14, 30, tzinfo=UTC))
    await _answer_one(engine, ALICE)
    await _answer_one(engine, BOB)  # Bob stays on UTC
    clock.set(datetime(2026, 3, 2, 15, 30, tzinfo=UTC))
    alice_view = await _answer_one(engine, ALICE)
    bob_view = await _answer_one(engine, BOB)
    assert alice_view.result is not None
    assert bob_view.result is not None
    assert alice_view.result.streak == 2
    assert bob_view.result.streak == 1


async def test_many_answers_in_one_day_count_once(engine: StudyEngine, clock: FakeClock) -> None:
    for _ in range(3):
        view = await _answer_one(engine)
        clock.advance(timedelta(hours=2))
    assert view.result is not None
    assert view.result.streak == 1


def test_describe_interval() -> None:
    assert describe_interval(START, START) == "now"
    assert describe_interval(START, START - timedelta(days=1)) == "now"
    assert describe_interval(START, START + timedelta(minutes=1)) == "in 1 minute"
    assert describe_interval(START, START + timedelta(minutes=10)) == "in 10 minutes"
    assert describe_interval(START, START + timedelta(hours=5)) == "in 5 hours"
    assert describe_interval(START, START + timedelta(days=8)) == "in 8 days"
