"""The storage core: transaction scripts, both backends' transactions and their errors.

Every test that touches a database runs on SQLite and on PostgreSQL (the ``store``
and ``database_url`` fixtures); the few that check one backend's own mechanism
(SQLite's busy timeout and file modes, PostgreSQL's connection errors) say so.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.core.learner import Identity, Platform
from bot.storage import (
    Conflict,
    DatabaseURL,
    PostgresURL,
    SQLiteURL,
    StorageError,
    Store,
    learners,
    open_store,
)
from bot.storage.codec import from_epoch, to_epoch
from bot.storage.postgres_store import numbered
from bot.storage.schema import migrate_sqlite
from bot.storage.script import (
    Dialect,
    Dialects,
    Query,
    Script,
    Want,
    dialect,
    done,
    execute,
    execute_many,
    execute_together,
    for_update,
    one,
    one_after,
    rows,
    value,
)
from bot.storage.sqlite_store import BACKSTOP_PAGES, SQLiteStore
from tests.conftest import REPO_ROOT, START

ALICE = Identity(Platform.DISCORD, "111")


def _insert_learner(external_id: str) -> Script[int]:
    """A plain INSERT (no ON CONFLICT): a duplicate identity breaks the unique index."""
    row = yield from one(
        "INSERT INTO learners (platform, external_id, created_at) VALUES ('discord', ?, 0)"
        " RETURNING id",
        external_id,
    )
    assert row is not None
    return int(row["id"])


def _count(table: str) -> Script[int]:
    found = yield from value(f"SELECT COUNT(*) FROM {table}")
    return int(found)


def _external_ids() -> Script[list[str]]:
    found = yield from rows("SELECT external_id FROM learners ORDER BY external_id")
    return [str(row["external_id"]) for row in found]


class Refused(Exception):
    """A script's own error."""


def _commit_elsewhere(url: DatabaseURL, external_id: str) -> None:
    """Insert a learner through another connection (as another process would), and wait
    until it is committed. Blocking: callable from inside a script, between its queries."""
    if isinstance(url, SQLiteURL):
        other = sqlite3.connect(url.path, isolation_level=None, timeout=5)
        try:
            other.execute(
                "INSERT INTO learners (platform, external_id, created_at) VALUES ('discord', ?, 0)",
                (external_id,),
            )
        finally:
            other.close()
        return
    assert isinstance(url, PostgresURL)

    async def insert() -> None:
        conn = await asyncpg.connect(url.dsn)
        try:
            await conn.execute(
                "INSERT INTO learners (platform, external_id, created_at)"
                " VALUES ('discord', $1, 0)",
                external_id,
            )
        finally:
            await conn.close()

    # Its own thread and event loop: the caller's loop is blocked meanwhile.
    done_in: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(insert())
        except BaseException as exc:  # pragma: no cover - reported below
            done_in.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    if done_in:
        raise done_in[0]


# -- scripts ------------------------------------------------------------------------


async def test_scripts_compose_with_yield_from_in_one_transaction(store: Store) -> None:
    def inner(external_id: str) -> Script[int]:
        learner = yield from learners.ensure(Identity(Platform.DISCORD, external_id), START)
        changed = yield from execute("UPDATE learners SET xp = 40 WHERE id = ?", learner.id)
        assert changed == 1
        return learner.id

    def outer() -> Script[tuple[int, int, int]]:
        first = yield from inner("1")
        second = yield from inner("2")
        total = yield from value("SELECT SUM(xp) FROM learners")
        return first, second, int(total)

    first, second, total = await store.write(outer())
    assert first != second
    assert total == 80
    assert await store.read(_external_ids()) == ["1", "2"]


async def test_a_scripts_exception_rolls_back_everything(store: Store) -> None:
    def fail() -> Script[None]:
        yield from learners.ensure(ALICE, START)
        yield from execute("UPDATE learners SET xp = 40")
        yield from _insert_learner("2")
        raise Refused("boom")

    with pytest.raises(Refused, match="boom"):  # the script's own errors pass through
        await store.write(fail())
    assert await store.read(_count("learners")) == 0
    # The store is usable again afterwards.
    await store.write(_insert_learner("3"))
    assert await store.read(_external_ids()) == ["3"]


async def test_unique_violation_is_a_conflict_and_rolls_back(store: Store) -> None:
    await store.write(_insert_learner("1"))

    def duplicate() -> Script[None]:
        yield from _insert_learner("2")
        yield from execute("UPDATE learners SET xp = 99")
        yield from _insert_learner("1")

    with pytest.raises(Conflict):
        await store.write(duplicate())
    assert await store.read(_external_ids()) == ["1"]
    assert await store.read(value("SELECT xp FROM learners")) == 0
    # The connection is not left in a failed transaction.
    await store.write(_insert_learner("2"))
    assert await store.read(_external_ids()) == ["1", "2"]


async def test_execute_together_runs_every_write_in_order(store: Store) -> None:
    await store.write(_insert_learner("1"))
    insert = "INSERT INTO learners (platform, external_id, created_at) VALUES ('discord', ?, ?)"
    update = ("UPDATE learners SET xp = ? WHERE external_id = ?", (7, "1"))
    # Three writes, each its own rows (the rule of execute_together), parameters in order.
    await store.write(execute_together([(insert, ("2", 5)), update, (insert, ("3", 6))]))
    assert await store.read(_external_ids()) == ["1", "2", "3"]
    found = await store.read(rows("SELECT xp, created_at FROM learners ORDER BY external_id"))
    assert [(r["xp"], r["created_at"]) for r in found] == [(7, 0), (0, 5), (0, 6)]


async def test_execute_together_conflict_keeps_none_of_the_writes(store: Store) -> None:
    await store.write(_insert_learner("1"))
    duplicate = (
        "INSERT INTO learners (platform, external_id, created_at) VALUES ('discord', ?, 0)",
        ("1",),
    )
    with pytest.raises(Conflict):
        await store.write(execute_together([("UPDATE learners SET xp = ?", (9,)), duplicate]))
    assert await store.read(value("SELECT xp FROM learners")) == 0


async def test_other_integrity_errors_are_not_conflicts(store: Store) -> None:
    # A foreign key (a session of nobody) is a bug, not a concurrent duplicate.
    def orphan() -> Script[None]:
        yield from execute(
            "INSERT INTO quiz_sessions (learner_id, kind, queue, created_at, updated_at)"
            " VALUES (404, 'mixed', '[]', 1, 1)"
        )

    with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's own class
        await store.write(orphan())
    assert not isinstance(caught.value, Conflict | StorageError)
    assert await store.read(_count("quiz_sessions")) == 0


async def test_count_with_returning_and_on_conflict(store: Store) -> None:
    await store.write(
        execute_many(
            "INSERT INTO communities (platform, external_id) VALUES ('discord', ?)",
            [("a",), ("b",), ("c",)],
        )
    )
    changed = await store.write(
        execute("UPDATE communities SET platform = 'slack' WHERE external_id <> 'c' RETURNING id")
    )
    assert changed == 2
    skipped = await store.write(
        execute(
            "INSERT INTO communities (platform, external_id) VALUES ('slack', 'a')"
            " ON CONFLICT (platform, external_id) DO NOTHING RETURNING id"
        )
    )
    assert skipped == 0
    deleted = await store.write(execute("DELETE FROM communities RETURNING external_id"))
    assert deleted == 3


async def test_want_one_rows_and_nothing(store: Store) -> None:
    def script() -> Script[tuple[object, object, object, object]]:
        nothing = yield Query(
            "INSERT INTO communities (platform, external_id) VALUES ('discord', ?)",
            ("x",),
            Want.NOTHING,
        )
        missing = yield from one("SELECT id FROM communities WHERE external_id = ?", "nobody")
        absent = yield from value("SELECT id FROM communities WHERE external_id = ?", "nobody")
        found = yield from rows("SELECT external_id FROM communities")
        return nothing, missing, absent, [r[0] for r in found]

    assert await store.write(script()) == (None, None, None, ["x"])


async def test_execute_many_is_one_transaction(store: Store) -> None:
    insert = "INSERT INTO learners (platform, external_id, created_at) VALUES ('discord', ?, 0)"
    with pytest.raises(Conflict):
        await store.write(execute_many(insert, [("1",), ("2",), ("1",)]))
    assert await store.read(_count("learners")) == 0
    await store.write(execute_many(insert, ((str(n),) for n in range(50))))
    assert await store.read(_count("learners")) == 50
    # An empty batch sends nothing (asyncpg and sqlite3 both dislike an empty one).
    await store.write(execute_many(insert, []))
    assert await store.read(_count("learners")) == 50


async def test_dialects_done_and_dialect(store: Store, backend: str) -> None:
    def script() -> Script[tuple[Dialect, str, int]]:
        which = yield from dialect()
        name = yield from value(
            Dialects(sqlite="SELECT 'lite'", postgres="SELECT CAST('pg' AS text)")
        )
        nothing = yield from done(7)
        return which, name, nothing

    which, name, nothing = await store.read(script())
    assert which is store.dialect
    assert which.value == backend
    assert name == ("lite" if backend == "sqlite" else "pg")
    assert nothing == 7


async def test_for_update_reads_the_row_on_both(store: Store) -> None:
    await store.write(learners.ensure(ALICE, START))
    sql = for_update("SELECT xp FROM learners WHERE external_id = ?")
    assert sql.postgres.endswith("FOR UPDATE")
    assert "FOR UPDATE" not in sql.sqlite
    assert await store.write(value(sql, "111")) == 0


_ISOLATION = Dialects(
    sqlite="SELECT 'serializable'",  # SQLite's one writer at a time
    postgres="SELECT current_setting('transaction_isolation')",
)


async def test_an_alone_query_is_its_own_transaction(store: Store, backend: str) -> None:
    await store.write(learners.ensure(ALICE, START))
    update = "UPDATE learners SET xp = 5 WHERE external_id = ?"
    assert await store.write(execute(update, "111", alone=True)) == 1
    read = "SELECT xp FROM learners WHERE external_id = ?"
    assert await store.read(value(read, "111", alone=True)) == 5
    if backend == "postgres":
        # No BEGIN ... REPEATABLE READ READ ONLY around it: the connection's default
        # (one round trip instead of three); the same read in a script gets its snapshot.
        assert await store.read(value(_ISOLATION, alone=True)) == "read committed"
        assert await store.read(value(_ISOLATION)) == "repeatable read"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_script_going_on_after_an_alone_query_is_refused_on_postgres(
    store: Store,
) -> None:
    # Run outside a transaction, the first query has committed by itself: the backend
    # cannot give the rest of the script one transaction, so it says so.
    def script() -> Script[int]:
        yield from execute("UPDATE learners SET xp = 1", alone=True)
        return int((yield from value("SELECT COUNT(*) FROM learners")))

    with pytest.raises(RuntimeError, match="alone"):
        await store.write(script())


async def test_a_script_without_queries_returns_its_value(store: Store) -> None:
    assert await store.write(done(7)) == 7
    assert await store.read(done("x")) == "x"


async def test_one_after_makes_the_writes_and_reads_one_row(store: Store, backend: str) -> None:
    await store.write(learners.ensure(ALICE, START))
    write = ("UPDATE learners SET xp = ? WHERE external_id = ?", (4, "111"))
    read = "SELECT xp FROM learners WHERE external_id = ?"
    seen = await store.write(one_after([write], read, "111"))
    assert seen is not None
    # One statement on PostgreSQL, so its read sees the row as before the write (why
    # the read must not read what the writes change); SQLite runs them in turn.
    assert seen["xp"] == (0 if backend == "postgres" else 4)
    assert await store.read(value(read, "111")) == 4
    missing = await store.write(one_after([write], read, "nobody"))
    assert missing is None


def test_codec_round_trips_and_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_epoch(datetime(2026, 1, 1))
    assert from_epoch(to_epoch(START)) == START
    assert from_epoch(0) == datetime(1970, 1, 1, tzinfo=UTC)


# -- placeholders -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ?", "SELECT $1"),
        ("SELECT ?, ? WHERE a = ?", "SELECT $1, $2 WHERE a = $3"),
        ("SELECT '?' , ?", "SELECT '?' , $1"),
        ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
        ('SELECT "odd?name", ?', 'SELECT "odd?name", $1'),
        ('SELECT "a""?", ?', 'SELECT "a""?", $1'),
        ("SELECT ? -- why? because\n, ?", "SELECT $1 -- why? because\n, $2"),
        ("SELECT ? /* a ? here */, ?", "SELECT $1 /* a ? here */, $2"),
        ("SELECT ? /* a\n? */ , ?", "SELECT $1 /* a\n? */ , $2"),
        ("SELECT 1", "SELECT 1"),
    ],
)
def test_placeholders_are_numbered_outside_quotes_and_comments(sql: str, expected: str) -> None:
    assert numbered(sql) == expected


async def test_placeholders_in_quotes_reach_the_database_as_text(store: Store) -> None:
    # The same text on both backends: the quoted ? stays a character.
    found = await store.read(one("SELECT '?' AS q, ? AS p /* ? */ -- ?\n", "param"))
    assert found is not None
    assert (found["q"], found["p"]) == ("?", "param")


# -- isolation ----------------------------------------------------------------------


async def test_read_is_one_consistent_snapshot(store: Store, database_url: DatabaseURL) -> None:
    await store.write(_insert_learner("1"))

    def reader() -> Script[tuple[int, int]]:
        before = yield from _count("learners")
        # Committed by another connection between this script's two queries.
        _commit_elsewhere(database_url, "2")
        after = yield from _count("learners")
        return before, after

    assert await store.read(reader()) == (1, 1)
    assert await store.read(_count("learners")) == 2  # the other write did commit


async def test_a_write_script_never_sees_another_write_midway(store: Store, backend: str) -> None:
    """Two writers of one row: the second waits for the whole first script.

    SQLite runs the script as one job of its thread, so nothing else runs on its one
    connection until COMMIT; PostgreSQL queues the other writer on the row lock that
    ``for_update`` takes. Were either to interleave, the reads would differ.
    """
    learner = await store.write(learners.ensure(ALICE, START))
    threads: set[int] = set()

    def reads_many_times() -> Script[list[int]]:
        seen = [(yield from value(for_update("SELECT xp FROM learners WHERE id = ?"), learner.id))]
        for _ in range(100):
            threads.add(threading.get_ident())
            seen.append((yield from value("SELECT xp FROM learners WHERE id = ?", learner.id)))
        return seen

    def bump() -> Script[int]:
        return (yield from execute("UPDATE learners SET xp = xp + 1 WHERE id = ?", learner.id))

    first = asyncio.ensure_future(store.write(reads_many_times()))
    bumps = [asyncio.ensure_future(store.write(bump())) for _ in range(5)]
    seen = await first
    assert await asyncio.gather(*bumps) == [1] * 5
    assert len(set(seen)) == 1, seen
    assert await store.read(value("SELECT xp FROM learners WHERE id = ?", learner.id)) == 5
    if backend == "sqlite":
        # The pure code between the queries ran in the database thread, all of it.
        assert len(threads) == 1
        assert threading.get_ident() not in threads


async def test_sqlite_runs_a_script_as_one_job_of_its_thread(tmp_path: Path) -> None:
    """A write queued while a long script runs gets in neither before nor inside it."""
    store = await open_store(SQLiteURL(tmp_path / "recall.db"))
    try:
        counts: list[int] = []

        def long_script() -> Script[None]:
            for n in range(200):
                yield from execute(
                    "INSERT INTO communities (platform, external_id) VALUES ('discord', ?)",
                    f"mine-{n}",
                )
                counts.append((yield from _count("communities")))

        def other() -> Script[None]:
            yield from execute(
                "INSERT INTO communities (platform, external_id) VALUES ('slack', 'other')"
            )

        # Started in this order, each task reaches the database before the next starts:
        # a per-statement backend would run the other write after the first statement.
        await asyncio.gather(store.write(long_script()), store.write(other()))
        assert counts == list(range(1, 201))
        assert await store.read(_count("communities")) == 201
    finally:
        await store.close()


async def test_sqlite_skips_a_job_whose_caller_gave_up_before_it_began(tmp_path: Path) -> None:
    """A cancelled click still queued writes nothing; the jobs around it run in order."""
    store = await open_store(SQLiteURL(tmp_path / "recall.db"))
    assert isinstance(store, SQLiteStore)
    try:
        release = threading.Event()
        ran: list[str] = []

        def blocking(conn: sqlite3.Connection) -> None:
            release.wait(timeout=10)
            ran.append("first")

        def insert(name: str) -> Script[None]:
            ran.append(name)
            yield from execute(
                "INSERT INTO communities (platform, external_id) VALUES ('discord', ?)", name
            )

        first = asyncio.ensure_future(store.call(blocking))
        cancelled = asyncio.ensure_future(store.write(insert("cancelled")))
        last = asyncio.ensure_future(store.write(insert("last")))
        await asyncio.sleep(0)  # all three queued behind the blocking job
        cancelled.cancel()
        release.set()
        await first
        await last
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert ran == ["first", "last"]
        assert await store.read(_count("communities")) == 1
        threads: set[int] = set()
        await asyncio.gather(
            *(store.call(lambda _conn: threads.add(threading.get_ident())) for _ in range(20))
        )
        assert len(threads) == 1 and threading.get_ident() not in threads
    finally:
        await store.close()


# -- StorageError: SQLite -------------------------------------------------------------


@contextmanager
def _held_write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection (as another process would) holding ``BEGIN IMMEDIATE``."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO communities (platform, external_id) VALUES ('slack', 'x')")
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


async def test_sqlite_locked_past_the_busy_timeout_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "recall.db"
    store = await SQLiteStore.connect(path, busy_timeout_ms=50)
    try:
        await migrate_sqlite(store)
        with _held_write_lock(path) as other:
            with pytest.raises(StorageError, match="database unavailable: database is locked"):
                await store.write(_insert_learner("1"))
            # WAL: readers are not blocked by the writer, and see the last commit.
            assert await store.read(_count("learners")) == 0
            assert await store.read(_count("communities")) == 0
            other.execute("COMMIT")
        await store.write(_insert_learner("1"))
        assert await store.read(_count("learners")) == 1
        assert await store.read(_count("communities")) == 1  # the other connection's write
    finally:
        await store.close()


async def test_sqlite_query_only_connection_gives_storage_error(tmp_path: Path) -> None:
    # query_only is what a database that turned read-only looks like to an open
    # connection; the file-mode case is the next test.
    store = await SQLiteStore.connect(tmp_path / "recall.db")
    try:
        await migrate_sqlite(store)
        await store.call(lambda conn: conn.execute("PRAGMA query_only = ON"))
        with pytest.raises(StorageError, match="readonly") as caught:
            await store.write(_insert_learner("1"))
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        assert "\n" not in str(caught.value)
        await store.call(lambda conn: conn.execute("PRAGMA query_only = OFF"))
        await store.write(_insert_learner("1"))
        assert await store.read(_count("learners")) == 1
    finally:
        await store.close()


async def test_sqlite_operational_error_in_a_script_is_a_storage_error(tmp_path: Path) -> None:
    store = await open_store(SQLiteURL(tmp_path / "recall.db"))
    try:

        def broken() -> Script[None]:
            yield from _insert_learner("1")
            yield from execute("INSERT INTO no_such_table VALUES (1)")

        with pytest.raises(StorageError, match="could not save"):
            await store.write(broken())
        assert await store.read(_count("learners")) == 0
    finally:
        await store.close()


async def test_sqlite_folder_that_cannot_be_made_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StorageError, match="cannot create the folder"):
        await open_store(SQLiteURL(blocker / "recall.db"))


async def test_sqlite_closed_store_refuses_work(tmp_path: Path) -> None:
    store = await open_store(SQLiteURL(tmp_path / "recall.db"))
    await store.close()
    await store.close()  # twice is fine
    with pytest.raises(StorageError, match="closed"):
        await store.read(_count("learners"))


_READ_ONLY_CHILD = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path
    from bot.storage import SQLiteURL, StorageError, open_store
    from bot.storage.script import execute

    async def main(path: Path) -> None:
        store = await open_store(SQLiteURL(path))  # a good database first
        await store.close()
        os.chmod(path.parent, 0o555)
        for name in os.listdir(path.parent):
            os.chmod(path.parent / name, 0o444)
        if os.geteuid() == 0:  # root ignores file modes: act as "nobody" from here on
            os.setgid(65534)
            os.setuid(65534)
        try:
            store = await open_store(SQLiteURL(path))
        except StorageError as exc:
            print("StorageError:", exc)
            return
        try:
            await store.write(execute(
                "INSERT INTO communities (platform, external_id) VALUES ('slack', 'x')"))
            print("wrote")
        except StorageError as exc:
            print("StorageError:", exc)
        finally:
            await store.close()

    asyncio.run(main(Path(sys.argv[1])))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_sqlite_read_only_file_gives_storage_error() -> None:
    # A child process, which can drop root's privileges (root ignores file modes). The
    # folder is made with tempfile (not tmp_path) so that "nobody" may enter it.
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
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith("StorageError:"), result.stdout
    assert "readonly" in lines[0] or "unable to open" in lines[0]


# -- StorageError: PostgreSQL -----------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_postgres_unreachable_is_one_line_without_the_password() -> None:
    port = _closed_port()
    url = PostgresURL(f"postgresql://recall:pa55-w0rd-secret@127.0.0.1:{port}/recall")
    assert "pa55-w0rd-secret" not in repr(url)
    with pytest.raises(StorageError) as caught:
        await open_store(url)
    message = str(caught.value)
    assert f"127.0.0.1:{port}/recall" in message
    assert "\n" not in message
    assert "pa55-w0rd-secret" not in message
    assert "pa55-w0rd-secret" not in repr(caught.value)


async def test_postgres_refused_migration_is_one_line_without_the_password(
    pg_url: str,
) -> None:
    # A role that may log in but not create tables: the first migration is refused.
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute("DROP ROLE IF EXISTS recall_no_ddl")
        await admin.execute("CREATE ROLE recall_no_ddl LOGIN PASSWORD 'n0-ddl-secret'")
        await admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    finally:
        await admin.close()
    host = pg_url.split("@", 1)[1]
    try:
        with pytest.raises(StorageError) as caught:
            await open_store(PostgresURL(f"postgresql://recall_no_ddl:n0-ddl-secret@{host}"))
        message = str(caught.value)
        assert "permission denied" in message
        assert "\n" not in message
        assert "n0-ddl-secret" not in message
    finally:
        admin = await asyncpg.connect(pg_url)
        try:
            await admin.execute("DROP ROLE IF EXISTS recall_no_ddl")
        finally:
            await admin.close()


def _terminate_others(dsn: str) -> None:
    """End every other connection to the database (as a server restart would); blocking."""

    async def terminate() -> None:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()

    thread = threading.Thread(target=asyncio.run, args=(terminate(),))
    thread.start()
    thread.join(60)


async def test_postgres_pool_replaces_connections_the_server_dropped(pg_url: str) -> None:
    # A restart or a network blip leaves the pool holding dead connections: the next
    # transactions take fresh ones instead of telling learners the database is down.
    store = await open_store(PostgresURL(pg_url))
    try:
        await store.write(_insert_learner("1"))
        _terminate_others(pg_url)  # every pooled connection, all at once
        await store.write(_insert_learner("2"))
        assert await store.read(_external_ids()) == ["1", "2"]
    finally:
        await store.close()


async def test_postgres_alone_queries_also_take_a_fresh_connection_after_a_drop(
    pg_url: str,
) -> None:
    store = await open_store(PostgresURL(pg_url))
    try:
        await store.write(_insert_learner("1"))
        _terminate_others(pg_url)
        assert await store.read(value("SELECT COUNT(*) FROM learners", alone=True)) == 1
        _terminate_others(pg_url)
        changed = await store.write(
            execute("UPDATE learners SET xp = 3 WHERE external_id = ?", "1", alone=True)
        )
        assert changed == 1
    finally:
        await store.close()


async def test_postgres_server_lost_mid_transaction_is_a_storage_error(pg_url: str) -> None:
    store = await open_store(PostgresURL(pg_url))
    try:
        await store.write(_insert_learner("1"))

        def cut_off() -> Script[None]:
            yield from _insert_learner("2")
            _terminate_others(pg_url)
            yield from _insert_learner("3")

        with pytest.raises(StorageError, match="could not save") as caught:
            await store.write(cut_off())
        assert "\n" not in str(caught.value)
        # Nothing of it was kept, and the pool replaces the dead connection.
        assert await store.read(_external_ids()) == ["1"]
    finally:
        await store.close()


async def test_sqlite_checkpoints_run_in_the_background_not_in_a_write(tmp_path: Path) -> None:
    path = tmp_path / "recall.db"
    store = await SQLiteStore.connect(path, checkpoint_every=5)
    try:
        await migrate_sqlite(store)
        await store.checkpoint_idle()
        before = store.checkpoints
        # The writer's own automatic checkpoint is only a far-off backstop.
        backstop = await store.call(
            lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        )
        assert backstop == BACKSTOP_PAGES
        for n in range(20):
            await store.write(_insert_learner(str(n)))
            # Waiting after each write keeps checkpoints from overlapping, so the
            # count below is exact: one every fifth write.
            await store.checkpoint_idle()
        assert store.checkpoints - before == 4
        assert store.last_checkpoint is not None
        busy, log_frames, copied = store.last_checkpoint
        assert busy == 0 and copied == log_frames > 0
        assert await store.read(_count("learners")) == 20
    finally:
        await store.close()
    # Closing waits for the checkpoint thread and leaves a whole database behind.
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM learners").fetchone()[0] == 20
