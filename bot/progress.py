"""Recording one graded answer: card memory, review log, XP and streak in one transaction."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.core.grading import Grade
from bot.core.scheduling import CardMemory, CardScheduler
from bot.core.streaks import StreakUpdate, record_activity
from bot.core.timezones import local_date, parse_zone
from bot.core.xp import xp_for_answer
from bot.storage import card_states, learners, reviews
from bot.storage.learners import Learner
from bot.storage.reviews import ReviewEntry


@dataclass(frozen=True)
class RecordedAnswer:
    """What recording an answer changed."""

    xp: int
    memory: CardMemory
    was_due: bool
    streak: StreakUpdate


@dataclass(frozen=True)
class Answer:
    """A graded answer to record."""

    user_id: int
    guild_id: int | None
    deck_id: str
    card_id: str
    kind: str
    grade: Grade
    correct: bool
    concepts_missed: tuple[str, ...] | None = None
    session_id: int | None = None
    step: int | None = None


async def record_answer(
    conn: aiosqlite.Connection, scheduler: CardScheduler, answer: Answer, now: datetime
) -> RecordedAnswer:
    """Schedule the card, log the review, add XP and extend the streak.

    Must run inside a transaction: either all of it is stored or none of it. Raises
    ``sqlite3.IntegrityError`` if this (session, step) was already recorded.
    """
    learner = await learners.ensure(conn, answer.user_id, now)
    memory = await card_states.get(conn, answer.user_id, answer.deck_id, answer.card_id)
    plan = _plan(scheduler, answer, learner, memory, now)
    recorded = plan.recorded
    await reviews.append(conn, plan.entry)
    await card_states.put(conn, answer.user_id, answer.deck_id, answer.card_id, recorded.memory)
    await learners.save_progress(conn, answer.user_id, recorded.streak.state, recorded.xp)
    return recorded


def record_answer_sync(
    conn: sqlite3.Connection, scheduler: CardScheduler, answer: Answer, now: datetime
) -> RecordedAnswer:
    """:func:`record_answer` with the plain ``sqlite3`` connection of a
    ``Database.run_transaction`` job: the same statements in the same order."""
    learner = learners.ensure_sync(conn, answer.user_id, now)
    memory = card_states.get_sync(conn, answer.user_id, answer.deck_id, answer.card_id)
    plan = _plan(scheduler, answer, learner, memory, now)
    recorded = plan.recorded
    reviews.append_sync(conn, plan.entry)
    card_states.put_sync(conn, answer.user_id, answer.deck_id, answer.card_id, recorded.memory)
    learners.save_progress_sync(conn, answer.user_id, recorded.streak.state, recorded.xp)
    return recorded


@dataclass(frozen=True)
class _Plan:
    entry: ReviewEntry
    recorded: RecordedAnswer


def _plan(
    scheduler: CardScheduler,
    answer: Answer,
    learner: Learner,
    memory: CardMemory | None,
    now: datetime,
) -> _Plan:
    """What recording ``answer`` writes, from what is stored (no I/O)."""
    was_due = memory is not None and memory.due <= now
    xp = xp_for_answer(answer.grade, was_due=was_due, is_new=memory is None)
    new_memory = scheduler.review(memory, answer.grade, now)
    entry = ReviewEntry(
        user_id=answer.user_id,
        guild_id=answer.guild_id,
        deck_id=answer.deck_id,
        card_id=answer.card_id,
        kind=answer.kind,
        rating=int(answer.grade),
        correct=answer.correct,
        xp=xp,
        was_due=was_due,
        reviewed_at=now,
        session_id=answer.session_id,
        step=answer.step,
        concepts_missed=answer.concepts_missed,
    )
    today = local_date(now, parse_zone(learner.time_zone))
    update = record_activity(learner.streak, today)
    recorded = RecordedAnswer(xp=xp, memory=new_memory, was_due=was_due, streak=update)
    return _Plan(entry, recorded)
