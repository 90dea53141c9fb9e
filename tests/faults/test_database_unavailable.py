"""The database is locked by another writer, or read-only, while learners click.

The learner gets an apology that says nothing was saved (never a crash, never a
silent failure), the bot keeps serving, and the same buttons work once the
database is back. Nothing is half-saved: each answer is one transaction.

On SQLite another connection holds the write lock (``BEGIN IMMEDIATE``) past the
busy timeout; on PostgreSQL another connection holds the learner's row
(``FOR UPDATE``) past the lock timeout. Read-only is SQLite's ``query_only``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from bot.storage import DatabaseURL, PostgresURL, SQLiteURL
from bot.storage.sqlite_store import SQLiteStore
from tests.e2e.harness import Recall, custom_id_of, embed, ephemeral_text, grade_names, labels
from tests.fakediscord.interactions import DEFERRED_UPDATE_MESSAGE

APOLOGY = "database is busy or unavailable"


@asynccontextmanager
async def write_locked(recall: Recall) -> AsyncIterator[None]:
    """Another process-like writer holds what a click needs until the block ends."""
    url = recall.settings.database
    if isinstance(url, SQLiteURL):
        other = sqlite3.connect(url.path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            yield
        finally:
            other.close()  # closing rolls the open transaction back and frees the lock
        return
    assert isinstance(url, PostgresURL)
    conn = await asyncpg.connect(url.dsn)
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("SELECT id FROM learners FOR UPDATE")  # every click locks its learner
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await conn.close()


async def set_read_only(recall: Recall, read_only: bool) -> None:
    """Make the bot's own connection refuse writes, as a read-only file would.

    (The tests run as root, which ignores file permissions, so ``chmod`` cannot
    make the file read-only; ``query_only`` gives the same SQLITE_READONLY error.)
    """
    store = recall.running.store
    assert isinstance(store, SQLiteStore)
    await store.call(lambda conn: conn.execute(f"PRAGMA query_only = {int(read_only)}"))


@pytest.fixture
def no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail if any error was handled as unexpected (a crash path) during the test."""
    with caplog.at_level(logging.WARNING, logger="recall.errors"):
        yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.usefixtures("no_unexpected_errors")
async def test_locked_database_defers_then_apologises_then_resumes(recall: Recall) -> None:
    fake, alice = recall.fake, recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None

    # Locked for a moment: the click is deferred within Discord's 3 s, then completes.
    async with write_locked(recall):
        reveal = await fake.click(alice, message, custom_id_of(message, "Reveal answer"))
        assert (await reveal.response(timeout=10)).type == DEFERRED_UPDATE_MESSAGE
    await reveal.wait_done(timeout=10)
    assert grade_names(message) == ["Again", "Hard", "Good", "Easy"]

    # Locked for longer than the bot waits (its busy timeout): an apology, nothing saved.
    async with write_locked(recall):
        good = await fake.click(alice, message, custom_id_of(message, "Good"))
        assert (await good.response(timeout=10)).type == DEFERRED_UPDATE_MESSAGE
        apology = await good.wait_followup(timeout=15)
    assert APOLOGY in apology.content and apology.ephemeral
    assert await recall.review_count() == 0
    assert grade_names(message) == ["Again", "Hard", "Good", "Easy"]  # still there to click

    # The database is back: the very same button works.
    await recall.click(alice, message, "Good")
    assert embed(message)["title"].startswith("Session complete")
    assert await recall.review_count() == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.usefixtures("no_unexpected_errors")
async def test_read_only_database_apologises_then_resumes(
    recall: Recall, database_url: DatabaseURL
) -> None:
    alice, bob = recall.hall.learner, recall.hall.learner2
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None

    await set_read_only(recall, True)
    try:
        refused = await recall.click(alice, message, "Reveal answer")
        assert APOLOGY in ephemeral_text(refused)
        assert labels(message) == ["Reveal answer", "Stop"]
        new = await recall.slash(bob, "quiz start", {"count": 1})
        assert APOLOGY in ephemeral_text(new)
        # Reading still works: the bot is up and answers what needs no write.
        decks = await recall.slash(bob, "quiz decks")
        assert decks.message() is not None and decks.message().embeds  # type: ignore[union-attr]
    finally:
        await set_read_only(recall, False)

    await recall.click(alice, message, "Reveal answer")
    await recall.click(alice, message, "Good")
    assert embed(message)["title"].startswith("Session complete")
    assert await recall.review_count() == 1
    assert (await recall.slash(bob, "quiz start", {"count": 1})).message() is not None
