"""The Database connection owner and the repository modules, on real SQLite files."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.scheduling import CardMemory
from bot.storage import Database, StorageError, card_states, learners, quiz_sessions, reviews
from bot.storage.codec import from_epoch, to_epoch
from bot.storage.database import in_worker_thread, raw_connection
from bot.storage.quiz_sessions import Phase, QueueItem, Status
from bot.storage.reviews import ReviewEntry
from tests.conftest import REPO_ROOT, START


@contextmanager
def _held_write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection (as another process would) holding ``BEGIN IMMEDIATE``."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (99, 1)")
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


async def _count(db: Database, table: str) -> int:
    row = await db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


def _memory(due: datetime, state: int = 2) -> CardMemory:
    return CardMemory(
        state=state,
        step=None,
        stability=3.0,
        difficulty=5.0,
        due=due,
        last_review=due - timedelta(days=3),
        reps=2,
        lapses=0,
    )


# -- transactions -------------------------------------------------------------------


async def test_transaction_commits_every_statement(db: Database) -> None:
    async with db.transaction() as conn:
        await learners.ensure(conn, 1, START)
        await conn.execute("UPDATE learners SET xp = 40 WHERE user_id = 1")
    learner = await learners.get(db, 1)
    assert learner is not None
    assert learner.xp == 40


async def _write_then(db: Database, last_sql: str) -> None:
    """Create learner 1 with 40 XP, then run ``last_sql``, all in one transaction."""
    async with db.transaction() as conn:
        await learners.ensure(conn, 1, START)
        await conn.execute("UPDATE learners SET xp = 40 WHERE user_id = 1")
        await conn.execute(last_sql)


async def test_transaction_rolls_back_everything_on_error(db: Database) -> None:
    async def fail() -> None:
        async with db.transaction() as conn:
            await learners.ensure(conn, 1, START)
            await conn.execute("UPDATE learners SET xp = 40 WHERE user_id = 1")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail()
    assert await learners.get(db, 1) is None
    # The connection is usable again afterwards.
    await db.execute("INSERT INTO learners (user_id, created_at) VALUES (2, 0)")
    assert await _count(db, "learners") == 1


async def test_integrity_error_passes_through_and_rolls_back(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await _write_then(db, "INSERT INTO learners (user_id, created_at) VALUES (1, 0)")
    assert await learners.get(db, 1) is None


async def test_executemany_is_one_transaction(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await db.executemany(
            "INSERT INTO learners (user_id, created_at) VALUES (?, 0)", [(1,), (2,), (1,)]
        )
    assert await _count(db, "learners") == 0
    await db.executemany("INSERT INTO learners (user_id, created_at) VALUES (?, 0)", [(1,), (2,)])
    assert await _count(db, "learners") == 2


# -- StorageError ---------------------------------------------------------------------


async def test_locked_database_gives_storage_error_then_recovers(tmp_path: Path) -> None:
    path = tmp_path / "recall.db"
    db = await Database.open(path, busy_timeout_ms=50)
    try:
        with _held_write_lock(path) as other:
            with pytest.raises(StorageError, match="database unavailable"):
                await db.execute("INSERT INTO learners (user_id, created_at) VALUES (1, 0)")
            # WAL: readers are not blocked by the writer.
            assert await _count(db, "learners") == 0
            other.execute("COMMIT")
        await db.execute("INSERT INTO learners (user_id, created_at) VALUES (1, 0)")
        assert await _count(db, "learners") == 1
        assert await _count(db, "guild_settings") == 1  # the other connection's write
    finally:
        await db.close()


async def test_open_fails_cleanly_when_the_folder_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StorageError, match="cannot create the folder"):
        await Database.open(blocker / "recall.db")


async def test_writes_to_a_read_only_connection_give_storage_error(db: Database) -> None:
    # query_only is what a read-only file looks like to a connection that is already open.
    await db.fetchone("PRAGMA query_only = ON")
    with pytest.raises(StorageError, match="readonly"):
        await db.execute("INSERT INTO learners (user_id, created_at) VALUES (1, 0)")
    await db.fetchone("PRAGMA query_only = OFF")
    await db.execute("INSERT INTO learners (user_id, created_at) VALUES (1, 0)")
    assert await _count(db, "learners") == 1


async def test_operational_error_inside_a_transaction_is_a_storage_error(db: Database) -> None:
    with pytest.raises(StorageError, match="could not save") as caught:
        await _write_then(db, "INSERT INTO no_such_table VALUES (1)")
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert await learners.get(db, 1) is None


_READ_ONLY_CHILD = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path
    from bot.storage import Database, StorageError

    async def main(path: Path) -> None:
        db = await Database.open(path)  # a good database first
        await db.close()
        os.chmod(path.parent, 0o555)
        os.chmod(path, 0o444)
        if os.geteuid() == 0:  # root ignores file modes: act as "nobody" from here on
            os.setgid(65534)
            os.setuid(65534)
        try:
            db = await Database.open(path)
        except StorageError as exc:
            print("StorageError:", exc)
            return
        try:
            await db.execute("INSERT INTO learners (user_id, created_at) VALUES (1, 0)")
            print("wrote")
        except StorageError as exc:
            print("StorageError:", exc)
        finally:
            await db.close()

    asyncio.run(main(Path(sys.argv[1])))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_read_only_file_gives_storage_error() -> None:
    # Runs in a child process, which can drop root's privileges. The folder is made
    # with tempfile (not tmp_path) so that "nobody" may enter it.
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        path = Path(folder) / "recall.db"
        try:
            result = subprocess.run(
                [sys.executable, "-c", _READ_ONLY_CHILD, str(path)],
                capture_output=True,
                text=True,
                cwd=REPO_ROOT,
                check=False,
                timeout=120,
            )
        finally:
            os.chmod(folder, 0o755)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("StorageError:"), result.stdout
    assert "readonly" in result.stdout
    assert path.name in result.stdout  # says which file


# -- learners ---------------------------------------------------------------------------


async def test_learner_defaults_and_time_zone(db: Database) -> None:
    assert await learners.get(db, 1) is None
    await learners.set_time_zone(db, 1, "Europe/Paris", START)
    learner = await learners.get(db, 1)
    assert learner is not None
    assert learner.time_zone == "Europe/Paris"
    assert learner.xp == 0
    assert learner.streak.current == 0
    assert learner.streak.last_active is None
    assert learner.reminder_time is None


async def test_ensure_keeps_an_existing_learner(db: Database) -> None:
    await learners.set_time_zone(db, 1, "Asia/Tokyo", START)
    async with db.transaction() as conn:
        learner = await learners.ensure(conn, 1, START + timedelta(days=1))
    assert learner.time_zone == "Asia/Tokyo"
    row = await db.fetchone("SELECT created_at FROM learners WHERE user_id = 1")
    assert row is not None
    assert row[0] == to_epoch(START)


async def test_delete_learner_cascades(db: Database) -> None:
    async with db.transaction() as conn:
        await learners.ensure(conn, 1, START)
        await learners.ensure(conn, 2, START)
        for user in (1, 2):
            await card_states.put(conn, user, "d", "c", _memory(START))
            await reviews.append(conn, _entry(user_id=user))

    def sessions(conn: sqlite3.Connection) -> None:
        for user in (1, 2):
            quiz_sessions.create_sync(
                conn,
                user_id=user,
                guild_id=None,
                channel_id=None,
                deck_id="d",
                kind="mixed",
                queue=[QueueItem("d", "c")],
                now=START,
            )

    await db.run_transaction(sessions)
    assert await learners.delete(db, 1) is True
    assert await learners.delete(db, 1) is False
    for table in ("card_states", "reviews", "quiz_sessions", "learners"):
        rows = await db.fetchall(f"SELECT DISTINCT user_id FROM {table}")
        assert [row[0] for row in rows] == [2], table


# -- card_states ------------------------------------------------------------------------


async def test_card_memory_round_trips(db: Database) -> None:
    memory = _memory(START + timedelta(days=2))
    async with db.transaction() as conn:
        await learners.ensure(conn, 1, START)
        assert await card_states.get(conn, 1, "d", "c") is None
        await card_states.put(conn, 1, "d", "c", memory)
        assert await card_states.get(conn, 1, "d", "c") == memory
        await card_states.put(conn, 1, "d", "c", _memory(START))
    mine = await card_states.for_learner(db, 1)
    assert mine == {("d", "c"): _memory(START)}


async def test_due_cards_most_overdue_first(db: Database) -> None:
    async with db.transaction() as conn:
        await learners.ensure(conn, 1, START)
        await learners.ensure(conn, 2, START)
        await card_states.put(conn, 1, "d", "a", _memory(START - timedelta(hours=1)))
        await card_states.put(conn, 1, "d", "b", _memory(START - timedelta(days=3)))
        await card_states.put(conn, 1, "e", "c", _memory(START))
        await card_states.put(conn, 1, "d", "later", _memory(START + timedelta(hours=5)))
        await card_states.put(conn, 2, "d", "other", _memory(START - timedelta(days=9)))
    assert await card_states.due(db, 1, START, limit=10) == [("d", "b"), ("d", "a"), ("e", "c")]
    assert await card_states.due(db, 1, START, limit=2) == [("d", "b"), ("d", "a")]
    assert await card_states.count_due(db, 1, START) == 3
    assert await card_states.count_due(db, 1, START + timedelta(days=1)) == 4
    assert await card_states.next_due(db, 1) == START - timedelta(days=3)
    assert await card_states.next_due(db, 3) is None
    assert set(await card_states.for_learner(db, 1, ["e"])) == {("e", "c")}


# -- reviews ----------------------------------------------------------------------------


def _entry(**changes: object) -> ReviewEntry:
    fields: dict[str, object] = {
        "user_id": 1,
        "guild_id": 10,
        "deck_id": "d",
        "card_id": "c",
        "kind": "explain",
        "rating": 3,
        "correct": True,
        "xp": 10,
        "was_due": False,
        "reviewed_at": START,
        "session_id": None,
        "step": None,
        "concepts_missed": ("a", "b"),
    }
    fields.update(changes)
    return ReviewEntry(**fields)  # type: ignore[arg-type]


async def test_review_log_stores_every_field(db: Database) -> None:
    async with db.transaction() as conn:
        await learners.ensure(conn, 1, START)
        review_id = await reviews.append(conn, _entry(session_id=5, step=0))
    row = await db.fetchone("SELECT * FROM reviews WHERE id = ?", (review_id,))
    assert row is not None
    assert row["guild_id"] == 10
    assert row["correct"] == 1
    assert json.loads(row["concepts_missed"]) == ["a", "b"]
    assert from_epoch(row["reviewed_at"]) == START
    assert (row["session_id"], row["step"]) == (5, 0)


async def test_one_review_per_session_step(db: Database) -> None:
    async with db.transaction() as conn:
        await learners.ensure(conn, 1, START)
        await reviews.append(conn, _entry(session_id=5, step=0))
        await reviews.append(conn, _entry(session_id=5, step=1))
        # Reviews outside a session (NULL, NULL) never clash.
        await reviews.append(conn, _entry())
        await reviews.append(conn, _entry())
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(
            "INSERT INTO reviews (user_id, deck_id, card_id, kind, rating, correct, xp, was_due,"
            " session_id, step, reviewed_at) VALUES (1, 'd', 'c', 'mcq', 3, 1, 10, 0, 5, 0, 0)"
        )
    assert await _count(db, "reviews") == 4


# -- quiz_sessions ----------------------------------------------------------------------


async def test_session_create_update_and_abandon(db: Database) -> None:
    clock = FakeClock(START)
    queue = [QueueItem("d", "a"), QueueItem("d", "b")]

    def create_and_update(conn: sqlite3.Connection) -> tuple[int, int]:
        learners.ensure_sync(conn, 1, START)
        first = quiz_sessions.create_sync(
            conn,
            user_id=1,
            guild_id=10,
            channel_id=20,
            deck_id="d",
            kind="mixed",
            queue=queue,
            now=clock(),
        )
        other_channel = quiz_sessions.create_sync(
            conn,
            user_id=1,
            guild_id=10,
            channel_id=21,
            deck_id=None,
            kind="mcq",
            queue=queue,
            now=clock(),
        )
        quiz_sessions.update_sync(
            conn,
            first,
            clock.advance(timedelta(minutes=1)),
            phase=Phase.ANSWERED,
            last_result={"xp": 10},
            answered=1,
        )
        with pytest.raises(ValueError, match="not session columns"):
            quiz_sessions.update_sync(conn, first, clock(), user_id=2)
        return first, other_channel

    first, other_channel = await db.run_transaction(create_and_update)
    record = await quiz_sessions.get(db, first)
    assert record is not None
    assert record.queue == tuple(queue)
    assert record.current == QueueItem("d", "a")
    assert record.phase is Phase.ANSWERED
    assert record.status is Status.ACTIVE
    assert record.last_result == {"xp": 10}
    assert record.answered == 1

    await db.run_transaction(lambda conn: quiz_sessions.abandon_active_sync(conn, 1, 20, clock()))
    abandoned = await quiz_sessions.get(db, first)
    kept = await quiz_sessions.get(db, other_channel)
    assert abandoned is not None
    assert kept is not None
    assert abandoned.status is Status.ABANDONED
    assert kept.status is Status.ACTIVE
    assert await quiz_sessions.get(db, 12345) is None


def test_codec_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_epoch(datetime(2026, 1, 1))
    assert from_epoch(to_epoch(START)) == START
    assert from_epoch(0) == datetime(1970, 1, 1, tzinfo=UTC)


# -- one-trip jobs (Database.run_transaction / run_read) --------------------------------


async def test_worker_thread_helpers_use_aiosqlite_as_expected(db: Database) -> None:
    # The only uses of aiosqlite's private API (pinned <0.23): a job runs in the
    # connection's own thread, with its sqlite3 connection, in the order queued.
    conn = db._conn
    order: list[int] = []

    def job(n: int) -> tuple[int, bool]:
        order.append(n)
        return threading.get_ident(), isinstance(raw_connection(conn), sqlite3.Connection)

    results = await asyncio.gather(*(in_worker_thread(conn, partial(job, n)) for n in range(5)))
    assert order == [0, 1, 2, 3, 4]
    assert {ident for ident, _ in results} == {conn._thread.ident}
    assert conn._thread.ident != threading.get_ident()
    assert all(is_sqlite for _, is_sqlite in results)


async def test_run_transaction_commits_or_rolls_back_everything(db: Database) -> None:
    def insert_two(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO learners (user_id, created_at) VALUES (1, 0)")
        conn.execute("INSERT INTO learners (user_id, created_at) VALUES (2, 0)")
        assert conn.in_transaction
        return 7

    assert await db.run_transaction(insert_two) == 7
    assert await _count(db, "learners") == 2

    class Refused(Exception):
        pass

    def insert_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO learners (user_id, created_at) VALUES (3, 0)")
        raise Refused

    with pytest.raises(Refused):  # the caller's own errors pass through unchanged
        await db.run_transaction(insert_then_fail)

    def duplicate(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO learners (user_id, created_at) VALUES (4, 0)")
        conn.execute("INSERT INTO learners (user_id, created_at) VALUES (1, 0)")

    with pytest.raises(sqlite3.IntegrityError):
        await db.run_transaction(duplicate)

    def no_table(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO learners (user_id, created_at) VALUES (5, 0)")
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(StorageError, match="could not save") as caught:
        await db.run_transaction(no_table)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert await _count(db, "learners") == 2
    assert await db.run_read(lambda conn: conn.in_transaction) is False


async def test_run_transaction_on_a_locked_database_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "recall.db"
    db = await Database.open(path, busy_timeout_ms=50)
    try:

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO learners (user_id, created_at) VALUES (1, 0)")

        with _held_write_lock(path), pytest.raises(StorageError, match="database unavailable"):
            await db.run_transaction(insert)
        await db.run_transaction(insert)
        assert await _count(db, "learners") == 1
    finally:
        await db.close()


async def test_one_trip_jobs_never_run_inside_an_open_transaction(db: Database) -> None:
    seen: list[int] = []
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO learners (user_id, created_at) VALUES (1, 0)")
        # Queued while the transaction is open: must wait for its COMMIT, not read or
        # write in the middle of it.
        reader = asyncio.ensure_future(
            db.run_read(
                lambda c: seen.append(c.execute("SELECT COUNT(*) FROM learners").fetchone()[0])
            )
        )
        writer = asyncio.ensure_future(
            db.run_transaction(
                lambda c: c.execute("INSERT INTO learners (user_id, created_at) VALUES (2, 0)")
            )
        )
        # Let both start, then make one round trip through the database thread: a job
        # that had skipped the queue would have run before it (the thread is FIFO).
        await asyncio.sleep(0)
        cursor = await conn.execute("SELECT COUNT(*) FROM learners")
        assert tuple(await cursor.fetchone() or ()) == (1,)  # the writer did not get in
        assert seen == []  # nor the reader
        assert not reader.done() and not writer.done()
        await conn.execute("INSERT INTO learners (user_id, created_at) VALUES (3, 0)")
    await asyncio.gather(reader, writer)
    assert seen == [2]
    assert await _count(db, "learners") == 3
