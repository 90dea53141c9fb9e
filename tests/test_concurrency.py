"""Concurrent clicks: one answer per step, whether they share a connection or not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest_asyncio

from bot.core.clock import FakeClock
from bot.core.scheduling import CardScheduler
from bot.decks import DeckLibrary, McqCard
from bot.sessions import SessionKind, StaleStep, StepView, StudyEngine
from bot.storage import Database, learners
from bot.storage.migrations import load_migrations
from tests.conftest import SHIPPED_DECK

ALICE = 111


async def _review_count(db: Database) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM reviews")
    assert row is not None
    return int(row[0])


async def _start_mcq(engine: StudyEngine, user: int = ALICE, channel: int = 1) -> StepView:
    return await engine.start(
        user_id=user,
        guild_id=None,
        channel_id=channel,
        deck_id=SHIPPED_DECK,
        kind=SessionKind.MCQ,
        count=5,
    )


def _split(
    outcomes: Sequence[StepView | BaseException],
) -> tuple[list[StepView], list[BaseException]]:
    views = [o for o in outcomes if isinstance(o, StepView)]
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    return views, errors


async def test_twenty_concurrent_answers_record_one(engine: StudyEngine, db: Database) -> None:
    view = await _start_mcq(engine)
    sid = view.session.id
    outcomes = await asyncio.gather(
        *(engine.answer_mcq(sid, ALICE, 0, choice % 4) for choice in range(20)),
        return_exceptions=True,
    )
    views, errors = _split(outcomes)
    assert len(views) == 1
    assert len(errors) == 19
    assert all(isinstance(error, StaleStep) for error in errors), errors
    assert await _review_count(db) == 1
    after = await engine.view(sid)
    assert after.session.answered == 1
    assert after.session == views[0].session
    learner = await learners.get(db, ALICE)
    assert learner is not None
    assert learner.xp == views[0].session.xp


async def test_concurrent_next_moves_once(engine: StudyEngine) -> None:
    view = await _start_mcq(engine)
    sid = view.session.id
    await engine.answer_mcq(sid, ALICE, 0, 0)
    outcomes = await asyncio.gather(
        *(engine.next(sid, ALICE, 0) for _ in range(10)), return_exceptions=True
    )
    views, errors = _split(outcomes)
    assert len(views) == 1
    assert all(isinstance(error, StaleStep) for error in errors)
    assert (await engine.view(sid)).session.position == 1


@pytest_asyncio.fixture
async def two_processes(
    tmp_path: Path, library: DeckLibrary, clock: FakeClock
) -> AsyncIterator[tuple[StudyEngine, StudyEngine]]:
    """Two engines on two ``Database`` objects (two connections) sharing one file."""
    path = tmp_path / "shared.db"
    first = await Database.open(path)
    second = await Database.open(path)
    try:
        yield (
            StudyEngine(first, library, CardScheduler(fuzz=False), clock),
            StudyEngine(second, library, CardScheduler(fuzz=False), clock),
        )
    finally:
        await first.close()
        await second.close()


async def test_two_connections_answering_one_step_record_one(
    two_processes: tuple[StudyEngine, StudyEngine],
) -> None:
    one, two = two_processes
    view = await _start_mcq(one)
    sid = view.session.id
    # Every step of the session is raced, to give the two threads many chances to collide.
    for step in range(view.total):
        current = await two.view(sid)
        assert isinstance(current.card, McqCard)
        right = current.card.answer_index
        outcomes = await asyncio.gather(
            one.answer_mcq(sid, ALICE, step, right),
            two.answer_mcq(sid, ALICE, step, right),
            return_exceptions=True,
        )
        views, errors = _split(outcomes)
        assert len(views) == 1, outcomes
        assert len(errors) == 1
        assert isinstance(errors[0], StaleStep), errors
        await (one if step % 2 else two).next(sid, ALICE, step)

    for engine in (one, two):
        assert await _review_count(engine.db) == view.total
        rows = await engine.db.fetchall(
            "SELECT step FROM reviews WHERE session_id = ? ORDER BY step", (sid,)
        )
        assert [row[0] for row in rows] == list(range(view.total))
    final = await two.view(sid)
    assert final.finished
    assert final.summary is not None
    assert final.summary.answered == view.total


async def test_two_connections_keep_every_learners_totals(
    two_processes: tuple[StudyEngine, StudyEngine],
) -> None:
    """Different sessions written through two connections at once lose no XP update."""
    one, two = two_processes
    users = range(1, 7)
    sessions = {}
    for user in users:
        engine = one if user % 2 else two
        sessions[user] = await _start_mcq(engine, user=user)
    # The same learner also studies in a second channel through the other connection.
    extra = await _start_mcq(two, user=1, channel=2)

    await asyncio.gather(
        *(
            (one if user % 2 else two).answer_mcq(view.session.id, user, 0, 0)
            for user, view in sessions.items()
        ),
        one.answer_mcq(extra.session.id, 1, 0, 0),
    )
    extra_xp = (await one.view(extra.session.id)).session.xp
    assert extra_xp > 0
    for user, view in sessions.items():
        after = await one.view(view.session.id)
        learner = await learners.get(two.db, user)
        assert learner is not None
        assert learner.xp == after.session.xp + (extra_xp if user == 1 else 0)
        assert learner.streak.current == 1
    assert await _review_count(one.db) == len(sessions) + 1


async def test_processes_opening_a_new_file_together_all_succeed(tmp_path: Path) -> None:
    """The bot and ``practice`` started at once on a first run: nobody fails to migrate."""
    for attempt in range(8):
        path = tmp_path / f"fresh-{attempt}" / "recall.db"
        outcomes = await asyncio.gather(
            *(Database.open(path) for _ in range(4)), return_exceptions=True
        )
        opened = [o for o in outcomes if isinstance(o, Database)]
        try:
            assert len(opened) == 4, [o for o in outcomes if not isinstance(o, Database)]
            for db in opened:
                version = await db.fetchone("PRAGMA user_version")
                journal = await db.fetchone("PRAGMA journal_mode")
                assert version is not None
                assert journal is not None
                assert version[0] == len(load_migrations())
                assert journal[0] == "wal"
        finally:
            for db in opened:
                await db.close()
