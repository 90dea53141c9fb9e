"""Old quiz sessions are expired and pruned; the review log and the statistics stay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.grading import Grade
from bot.pacing import Pacer
from bot.reminder_loop import ReminderLoop
from bot.reminders import ReminderService
from bot.sessions import (
    SESSION_IDLE,
    SESSION_KEEP,
    SessionKind,
    SessionNotFound,
    SessionOver,
    StudyEngine,
)
from bot.stats import learner_stats
from bot.storage import Database
from bot.storage.quiz_sessions import Status
from tests.conftest import SHIPPED_DECK

ALICE = 111
GUILD = 10


async def _start(engine: StudyEngine, channel: int, user: int = ALICE) -> int:
    view = await engine.start(
        user_id=user,
        guild_id=GUILD,
        channel_id=channel,
        deck_id=SHIPPED_DECK,
        kind=SessionKind.FLASHCARD,
        count=2,
    )
    return view.session.id


async def _rows(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, COUNT(*) FROM quiz_sessions GROUP BY status")
    return {str(status): int(n) for status, n in rows}


async def _count_reviews(db: Database) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM reviews")
    assert row is not None
    return int(row[0])


async def _review(engine: StudyEngine, session_id: int) -> None:
    await engine.reveal(session_id, ALICE, 0)
    await engine.grade_flashcard(session_id, ALICE, 0, Grade.GOOD)


async def test_600_starts_leave_a_bounded_table_and_the_statistics_intact(
    engine: StudyEngine, db: Database, clock: FakeClock
) -> None:
    ids = []
    for n in range(600):
        # Half in one channel (each start replaces the previous one there), half in
        # channels of their own (left open: abandoned by walking away).
        ids.append(await _start(engine, channel=20 if n % 2 else 1000 + n))
        clock.advance(timedelta(minutes=1))
    for session_id in ids[0:10:2]:  # sessions of their own channel, still open
        await _review(engine, session_id)
    reviews_before = await _count_reviews(db)
    stats_before = await learner_stats(db, ALICE, clock())
    assert sum((await _rows(db)).values()) == 600

    clock.advance(SESSION_IDLE + timedelta(minutes=1))
    tidied = await engine.tidy_sessions(batch=64)  # several batches
    assert tidied.expired == 301  # 300 own channels + the last of the shared one
    assert tidied.pruned == 0  # closed too recently
    assert await _rows(db) == {"expired": 301, "abandoned": 299}

    clock.advance(SESSION_KEEP + timedelta(minutes=1))
    tidied = await engine.tidy_sessions(batch=64)
    assert tidied.pruned == 599  # the newest row stays: ids are never handed out again
    assert sum((await _rows(db)).values()) == 1

    # The review log is the record and stays; the statistics read it, not sessions.
    assert await _count_reviews(db) == reviews_before == 5
    stats_after = await learner_stats(db, ALICE, clock())
    assert (stats_after.reviews, stats_after.xp, stats_after.accuracy) == (
        stats_before.reviews,
        stats_before.xp,
        stats_before.accuracy,
    )
    # A new session gets a new id, never one that an old button or review carries.
    assert await _start(engine, channel=20) > max(ids)


async def test_a_session_in_use_is_not_expired(
    engine: StudyEngine, db: Database, clock: FakeClock
) -> None:
    session_id = await _start(engine, channel=20)
    clock.advance(SESSION_IDLE - timedelta(minutes=1))
    await engine.reveal(session_id, ALICE, 0)  # touched: the day starts again
    clock.advance(SESSION_IDLE - timedelta(minutes=1))
    assert (await engine.tidy_sessions()).expired == 0
    await engine.grade_flashcard(session_id, ALICE, 0, Grade.GOOD)
    assert await _rows(db) == {"active": 1}


async def test_an_expired_sessions_buttons_say_it_expired(
    engine: StudyEngine, clock: FakeClock
) -> None:
    session_id = await _start(engine, channel=20)
    clock.advance(SESSION_IDLE + timedelta(seconds=1))
    assert (await engine.tidy_sessions()).expired == 1
    with pytest.raises(SessionOver, match="expired"):
        await engine.reveal(session_id, ALICE, 0)
    view = await engine.view(session_id)  # still shown, as a summary
    assert view.session.status is Status.EXPIRED
    assert view.summary is not None


async def test_a_pruned_sessions_buttons_say_it_no_longer_exists(
    engine: StudyEngine, clock: FakeClock
) -> None:
    old = await _start(engine, channel=20)
    await _start(engine, channel=21)  # a newer session, so the old row may go
    clock.advance(SESSION_IDLE + SESSION_KEEP + timedelta(hours=1))
    await engine.tidy_sessions()  # expires both ...
    clock.advance(SESSION_KEEP + timedelta(hours=1))
    assert (await engine.tidy_sessions()).pruned == 1  # ... then deletes the older
    with pytest.raises(SessionNotFound, match="no longer exists"):
        await engine.reveal(old, ALICE, 0)


async def test_the_reminder_loops_prune_job_tidies_sessions(
    engine: StudyEngine, db: Database, clock: FakeClock
) -> None:
    await _start(engine, channel=20)

    class NoSender:
        async def send_reminder(self, job: object) -> object:
            raise AssertionError("nothing is due")

    loop = ReminderLoop(
        ReminderService(db),
        NoSender(),  # type: ignore[arg-type]
        Pacer(10),
        clock=clock,
        housekeeping=engine.tidy_sessions,
    )
    clock.advance(SESSION_IDLE + timedelta(seconds=1))
    await loop.prune_tick()
    assert await _rows(db) == {"expired": 1}
