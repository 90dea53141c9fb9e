"""Concurrent clicks: one answer per step, from one process or two, on both backends.

"Two processes" are two :class:`Store` instances on one database: on SQLite two
connections serialised by ``BEGIN IMMEDIATE``, on PostgreSQL two pools whose click
transactions queue on the session row (``FOR UPDATE``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest_asyncio

from bot.core.clock import FakeClock
from bot.core.errors import StaleStep
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.core.session import SessionKind
from bot.decks import DeckLibrary, McqCard
from bot.services.study import StepView, StudyService, Where
from bot.storage import DatabaseURL, Store, learners, open_store
from bot.storage.script import Script, rows, value
from tests.conftest import SHIPPED_DECK

ALICE = Identity(Platform.DISCORD, "111")
GUILD = Identity(Platform.DISCORD, "10")


def _who(n: int) -> Identity:
    return Identity(Platform.DISCORD, str(n))


async def _review_count(store: Store) -> int:
    return int(await store.read(value("SELECT COUNT(*) FROM reviews")))


async def _start_mcq(study: StudyService, who: Identity = ALICE, channel: str = "C1") -> StepView:
    return await study.start(
        who, Where(GUILD, channel), deck_id=SHIPPED_DECK, kind=SessionKind.MCQ, count=5
    )


def _split(
    outcomes: Sequence[StepView | BaseException],
) -> tuple[list[StepView], list[BaseException]]:
    views = [o for o in outcomes if isinstance(o, StepView)]
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    return views, errors


async def test_twenty_concurrent_answers_record_one(study: StudyService, store: Store) -> None:
    view = await _start_mcq(study)
    sid = view.session.id
    outcomes = await asyncio.gather(
        *(study.answer_mcq(ALICE, sid, 0, choice % 4, None) for choice in range(20)),
        return_exceptions=True,
    )
    views, errors = _split(outcomes)
    assert len(views) == 1, errors
    assert len(errors) == 19
    assert all(isinstance(error, StaleStep) for error in errors), errors
    assert await _review_count(store) == 1
    after = await study.view(sid)
    assert after.session.answered == 1
    assert after.session == views[0].session
    learner = await store.read(learners.find(ALICE))
    assert learner is not None
    assert learner.xp == views[0].session.xp


async def test_concurrent_next_moves_once(study: StudyService) -> None:
    view = await _start_mcq(study)
    sid = view.session.id
    await study.answer_mcq(ALICE, sid, 0, 0, None)
    outcomes = await asyncio.gather(
        *(study.next(ALICE, sid, 0) for _ in range(10)), return_exceptions=True
    )
    views, errors = _split(outcomes)
    assert len(views) == 1
    assert all(isinstance(error, StaleStep) for error in errors), errors
    assert (await study.view(sid)).session.position == 1


@pytest_asyncio.fixture
async def two_processes(
    store: Store, database_url: DatabaseURL, library: DeckLibrary, clock: FakeClock
) -> AsyncIterator[tuple[StudyService, StudyService]]:
    """Two study services on two stores of one database."""
    second = await open_store(database_url)
    try:
        yield (
            StudyService(store, library, CardScheduler(fuzz=False), clock),
            StudyService(second, library, CardScheduler(fuzz=False), clock),
        )
    finally:
        await second.close()


async def test_two_stores_racing_every_step_record_one_review_per_step(
    two_processes: tuple[StudyService, StudyService],
) -> None:
    one, two = two_processes
    view = await _start_mcq(one)
    sid = view.session.id
    for step in range(view.total):
        current = await two.view(sid)
        assert isinstance(current.card, McqCard)
        right = current.card.answer_index
        outcomes = await asyncio.gather(
            one.answer_mcq(ALICE, sid, step, right, None),
            two.answer_mcq(ALICE, sid, step, right, None),
            one.answer_mcq(ALICE, sid, step, right, None),
            two.answer_mcq(ALICE, sid, step, right, None),
            return_exceptions=True,
        )
        views, errors = _split(outcomes)
        assert len(views) == 1, outcomes
        assert len(errors) == 3
        assert all(isinstance(error, StaleStep) for error in errors), errors
        moved = await asyncio.gather(
            one.next(ALICE, sid, step), two.next(ALICE, sid, step), return_exceptions=True
        )
        assert len(_split(moved)[0]) == 1, moved

    def steps() -> Script[list[int]]:
        found = yield from rows("SELECT step FROM reviews WHERE session_id = ? ORDER BY step", sid)
        return [int(r["step"]) for r in found]

    for service in (one, two):
        assert await _review_count(service.store) == view.total
        assert await service.store.read(steps()) == list(range(view.total))
    final = await two.view(sid)
    assert final.finished
    assert final.summary is not None
    assert final.summary.answered == final.summary.correct == view.total
    learner = await two.store.read(learners.find(ALICE))
    assert learner is not None
    assert learner.xp == final.summary.xp


async def test_two_stores_keep_every_learners_totals(
    two_processes: tuple[StudyService, StudyService],
) -> None:
    """Different sessions answered through two stores at once lose no XP update."""
    one, two = two_processes
    users = range(1, 7)
    sessions = {}
    for user in users:
        service = one if user % 2 else two
        sessions[user] = await _start_mcq(service, who=_who(user))
    # The same learner also studies in a second channel through the other store.
    extra = await _start_mcq(two, who=_who(1), channel="C2")

    await asyncio.gather(
        *(
            (one if user % 2 else two).answer_mcq(_who(user), view.session.id, 0, 0, None)
            for user, view in sessions.items()
        ),
        one.answer_mcq(_who(1), extra.session.id, 0, 0, None),
    )
    extra_xp = (await one.view(extra.session.id)).session.xp
    assert extra_xp > 0
    for user, view in sessions.items():
        after = await one.view(view.session.id)
        learner = await two.store.read(learners.find(_who(user)))
        assert learner is not None
        assert learner.xp == after.session.xp + (extra_xp if user == 1 else 0)
        assert learner.streak.current == 1
    assert await _review_count(one.store) == len(sessions) + 1
