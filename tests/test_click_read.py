"""A click's locking read: learner, session and (on PostgreSQL) the current card's memory.

On PostgreSQL the one statement that locks the learner and the session also reads the
memory of the session's current card, which a grade needs. When the lock waited for
another transaction's answer, PostgreSQL re-reads the locked rows but not the joined
memory row: the click must then see the memory the other answer wrote, not the one of
its snapshot. Both backends; the waiting case is PostgreSQL's own.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest

from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardMemory
from bot.core.session import QueueItem, SessionKind
from bot.storage import DatabaseURL, PostgresURL, Store, card_states, learners, sessions
from bot.storage.script import Script
from tests.conftest import START

ALICE = Identity(Platform.DISCORD, "111")
MEMORY = CardMemory(
    state=2,
    step=None,
    stability=3.5,
    difficulty=5.0,
    due=START + timedelta(days=3),
    last_review=START,
    reps=4,
    lapses=1,
)


async def _session(store: Store, *, memory: CardMemory | None) -> tuple[int, int]:
    """Alice's learner id and a new session of two cards, the first with ``memory``."""

    def script() -> Script[tuple[int, int]]:
        learner = yield from learners.ensure(ALICE, START)
        if memory is not None:
            yield from card_states.put(learner.id, "deck", "c1", memory)
        state, _had = yield from sessions.open_new(
            close=sessions.abandon_statement(learner.id, None, START),
            learner_id=learner.id,
            community_id=None,
            channel=None,
            deck_id="deck",
            kind=SessionKind.FLASHCARD,
            queue=[QueueItem("deck", "c1"), QueueItem("deck", "c2")],
            now=START,
        )
        return learner.id, state.id

    return await store.write(script())


def _click_memory(session_id: int) -> Script[tuple[bool, CardMemory | None]]:
    """What a grade does: the locking read, then the memory unless it came with it."""
    loaded = yield from sessions.load_for_click(ALICE, session_id)
    assert loaded.learner is not None and loaded.state is not None
    if loaded.memory_known:
        return True, loaded.memory
    item = loaded.state.current
    assert item is not None
    return False, (yield from card_states.get(loaded.learner.id, item.deck_id, item.card_id))


async def test_the_locking_read_brings_the_current_cards_memory(store: Store, backend: str) -> None:
    _, session_id = await _session(store, memory=MEMORY)
    known, memory = await store.write(_click_memory(session_id))
    assert memory == MEMORY
    assert known is (backend == "postgres")  # SQLite reads it in the same thread trip


async def test_a_new_card_has_no_memory(store: Store) -> None:
    _, session_id = await _session(store, memory=None)
    _, memory = await store.write(_click_memory(session_id))
    assert memory is None


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_click_waiting_for_another_answer_sees_that_answers_memory(
    store: Store, database_url: DatabaseURL
) -> None:
    learner_id, session_id = await _session(store, memory=MEMORY)
    assert isinstance(database_url, PostgresURL)
    other = await asyncpg.connect(database_url.dsn)
    try:
        # Another answer of Alice's, as reviews.record writes it: her row, then the
        # card's memory, committed while the click waits for her row's lock.
        answer = other.transaction()
        await answer.start()
        await other.execute("UPDATE learners SET xp = xp + 1 WHERE id = $1", learner_id)
        await other.execute(
            "UPDATE card_states SET reps = 5, due = due + 60 WHERE learner_id = $1", learner_id
        )
        click = asyncio.create_task(store.write(_click_memory(session_id)))
        for _ in range(600):  # until the click waits for the lock (or is done: a bug)
            waiting = await other.fetchval(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            )
            if waiting or click.done():
                break
            await asyncio.sleep(0.05)
        assert waiting == 1
        await answer.commit()
        known, memory = await click
    finally:
        await other.close()
    assert memory == replace(MEMORY, reps=5, due=MEMORY.due + timedelta(seconds=60))
    assert not known  # the statement's snapshot was older than the row it locked
