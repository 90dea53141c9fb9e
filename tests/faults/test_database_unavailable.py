"""The database is locked by another writer, or read-only, while learners click.

The learner gets an apology that says nothing was saved (never a crash, never a
silent failure), the bot keeps serving, and the same buttons work once the
database is back. Nothing is half-saved: each answer is one transaction.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.storage import Database
from tests.e2e.harness import Recall, custom_id_of, embed, ephemeral_text, labels
from tests.fakediscord.interactions import DEFERRED_UPDATE_MESSAGE

APOLOGY = "database is busy or unavailable"


@contextmanager
def write_locked(recall: Recall) -> Iterator[None]:
    """Another process-like writer holds the database's write lock until the block ends."""
    other = sqlite3.connect(recall.running.db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.close()  # closing rolls the open transaction back and frees the lock


async def set_read_only(db: Database, read_only: bool) -> None:
    """Make the bot's own connection refuse writes, as a read-only file would.

    (The tests run as root, which ignores file permissions, so ``chmod`` cannot
    make the file read-only; ``query_only`` gives the same SQLITE_READONLY error.)
    """
    async with db._lock:
        await db._conn.execute(f"PRAGMA query_only = {int(read_only)}")


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
    with write_locked(recall):
        reveal = await fake.click(alice, message, custom_id_of(message, "Reveal answer"))
        assert (await reveal.response(timeout=10)).type == DEFERRED_UPDATE_MESSAGE
    await reveal.wait_done(timeout=10)
    assert labels(message) == ["Again", "Hard", "Good", "Easy"]

    # Locked for longer than the bot waits (its busy timeout): an apology, nothing saved.
    with write_locked(recall):
        good = await fake.click(alice, message, custom_id_of(message, "Good"))
        assert (await good.response(timeout=10)).type == DEFERRED_UPDATE_MESSAGE
        apology = await good.wait_followup(timeout=15)
    assert APOLOGY in apology.content and apology.ephemeral
    assert await recall.review_count() == 0
    assert labels(message) == ["Again", "Hard", "Good", "Easy"]  # still there to click

    # The database is back: the very same button works.
    await recall.click(alice, message, "Good")
    assert embed(message)["title"].startswith("Session complete")
    assert await recall.review_count() == 1


@pytest.mark.usefixtures("no_unexpected_errors")
async def test_read_only_database_apologises_then_resumes(recall: Recall) -> None:
    alice, bob = recall.hall.learner, recall.hall.learner2
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None

    await set_read_only(recall.running.db, True)
    try:
        refused = await recall.click(alice, message, "Reveal answer")
        assert APOLOGY in ephemeral_text(refused)
        assert labels(message) == ["Reveal answer"]
        new = await recall.slash(bob, "quiz start", {"count": 1})
        assert APOLOGY in ephemeral_text(new)
        # Reading still works: the bot is up and answers what needs no write.
        decks = await recall.slash(bob, "quiz decks")
        assert decks.message() is not None and decks.message().embeds  # type: ignore[union-attr]
    finally:
        await set_read_only(recall.running.db, False)

    await recall.click(alice, message, "Reveal answer")
    await recall.click(alice, message, "Good")
    assert embed(message)["title"].startswith("Session complete")
    assert await recall.review_count() == 1
    assert (await recall.slash(bob, "quiz start", {"count": 1})).message() is not None
