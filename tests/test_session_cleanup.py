"""Old quiz sessions are expired and pruned; the review log and the statistics stay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.core.clock import FakeClock
from bot.core.errors import SessionNotFound, SessionOver
from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from bot.core.session import SESSION_IDLE, SESSION_KEEP, SessionKind, Status
from bot.services.study import StudyService, Where
from bot.storage import Store
from bot.storage.script import Script, one, rows
from tests.conftest import SHIPPED_DECK

ALICE = Identity(Platform.DISCORD, "111")
GUILD = Identity(Platform.DISCORD, "10")


async def _start(study: StudyService, channel: int, user: Identity = ALICE) -> int:
    view = await study.start(
        user,
        Where(GUILD, str(channel)),
        deck_id=SHIPPED_DECK,
        kind=SessionKind.FLASHCARD,
        count=2,
    )
    return view.session.id


async def _rows(store: Store) -> dict[str, int]:
    found = await store.read(
        rows("SELECT status, COUNT(*) AS n FROM quiz_sessions GROUP BY status")
    )
    return {str(row["status"]): int(row["n"]) for row in found}


async def _count_reviews(store: Store) -> int:
    found = await store.read(rows("SELECT id FROM reviews"))
    return len(found)


def _statistics() -> Script[dict[str, Any]]:
    """What the statistics are computed from: the log, the learner's totals and roll-ups."""
    log = yield from one(
        "SELECT COUNT(*) AS reviews, SUM(correct) AS correct, SUM(xp) AS xp FROM reviews"
    )
    learner = yield from one("SELECT xp, streak, best_streak FROM learners")
    totals = yield from rows("SELECT * FROM community_learners ORDER BY learner_id")
    boards = yield from rows(
        "SELECT * FROM review_totals ORDER BY community_id, learner_id, deck_id"
    )
    assert log is not None and learner is not None
    return {
        "log": dict(log),
        "learner": dict(learner),
        "totals": [dict(row) for row in totals],
        "boards": [dict(row) for row in boards],
    }


async def _review(study: StudyService, session_id: int) -> None:
    await study.reveal(ALICE, session_id, 0)
    await study.grade_flashcard(ALICE, session_id, 0, Grade.GOOD)


async def test_600_starts_leave_a_bounded_table_and_the_statistics_intact(
    study: StudyService, store: Store, clock: FakeClock
) -> None:
    ids = []
    for n in range(600):
        # Half in one channel (each start replaces the previous one there), half in
        # channels of their own (left open: abandoned by walking away).
        ids.append(await _start(study, channel=20 if n % 2 else 1000 + n))
        clock.advance(timedelta(minutes=1))
    for session_id in ids[0:10:2]:  # sessions of their own channel, still open
        await _review(study, session_id)
    reviews_before = await _count_reviews(store)
    stats_before = await store.read(_statistics())
    assert stats_before["totals"]  # the roll-ups have something to lose
    assert stats_before["boards"]
    assert sum((await _rows(store)).values()) == 600

    clock.advance(SESSION_IDLE + timedelta(minutes=1))
    tidied = await study.tidy_sessions(batch=64)  # several batches
    assert tidied.expired == 301  # 300 own channels + the last of the shared one
    assert tidied.pruned == 0  # closed too recently
    assert await _rows(store) == {"expired": 301, "abandoned": 299}

    clock.advance(SESSION_KEEP + timedelta(minutes=1))
    tidied = await study.tidy_sessions(batch=64)
    assert tidied.pruned == 599  # the newest row stays: ids are never handed out again
    assert sum((await _rows(store)).values()) == 1

    # The review log is the record and stays; the statistics read it, not sessions.
    assert await _count_reviews(store) == reviews_before == 5
    assert await store.read(_statistics()) == stats_before
    # A new session gets a new id, never one that an old button or review carries.
    assert await _start(study, channel=20) > max(ids)


async def test_a_session_in_use_is_not_expired(
    study: StudyService, store: Store, clock: FakeClock
) -> None:
    session_id = await _start(study, channel=20)
    clock.advance(SESSION_IDLE - timedelta(minutes=1))
    await study.reveal(ALICE, session_id, 0)  # touched: the day starts again
    clock.advance(SESSION_IDLE - timedelta(minutes=1))
    assert (await study.tidy_sessions()).expired == 0
    await study.grade_flashcard(ALICE, session_id, 0, Grade.GOOD)
    assert await _rows(store) == {"active": 1}


async def test_an_expired_sessions_buttons_say_it_expired(
    study: StudyService, clock: FakeClock
) -> None:
    session_id = await _start(study, channel=20)
    clock.advance(SESSION_IDLE + timedelta(seconds=1))
    assert (await study.tidy_sessions()).expired == 1
    with pytest.raises(SessionOver) as over:
        await study.reveal(ALICE, session_id, 0)
    assert over.value.status == Status.EXPIRED
    view = await study.view(session_id)  # still shown, as a summary
    assert view.session.status is Status.EXPIRED
    assert view.summary is not None


async def test_a_pruned_sessions_buttons_say_it_no_longer_exists(
    study: StudyService, clock: FakeClock
) -> None:
    old = await _start(study, channel=20)
    await _start(study, channel=21)  # a newer session, so the old row may go
    clock.advance(SESSION_IDLE + SESSION_KEEP + timedelta(hours=1))
    await study.tidy_sessions()  # expires both ...
    clock.advance(SESSION_KEEP + timedelta(hours=1))
    assert (await study.tidy_sessions()).pruned == 1  # ... then deletes the older
    with pytest.raises(SessionNotFound):
        await study.reveal(ALICE, old, 0)
    with pytest.raises(SessionNotFound):
        await study.view(old)


async def test_tidy_takes_the_time_it_is_given(
    study: StudyService, store: Store, clock: FakeClock
) -> None:
    # The reminder loop's prune job passes its own clock's instant (housekeeping(now)).
    await _start(study, channel=20)
    assert (await study.tidy_sessions(clock())).expired == 0
    assert (await study.tidy_sessions(clock() + SESSION_IDLE + timedelta(seconds=1))).expired == 1
    assert await _rows(store) == {"expired": 1}


async def test_showing_a_session_is_not_activity(
    study: StudyService, store: Store, clock: FakeClock
) -> None:
    # The front end records the session's message after its first reply, which can
    # land late: that must not keep an untouched session from expiring.
    session_id = await _start(study, channel=20)
    clock.advance(SESSION_IDLE + timedelta(seconds=1))
    await study.set_message(session_id, "1234")
    assert (await study.tidy_sessions()).expired == 1
    assert await _rows(store) == {"expired": 1}
