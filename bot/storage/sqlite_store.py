"""The SQLite backend: one connection, owned by one worker thread.

SQLite allows one writer at a time, and a connection is cheapest used from one
thread, so the backend owns a single ``sqlite3`` connection inside a
single-thread executor. Every transaction script (see :mod:`bot.storage.script`)
runs there as *one* job, BEGIN to COMMIT: a quiz click is one trip to the thread
however many statements it makes, and no other coroutine's statements can run in
the middle of it. Other processes (a second bot, ``practice``) are kept
consistent by WAL and ``BEGIN IMMEDIATE`` with a busy timeout.

Why not aiosqlite: it runs each statement as its own job in its thread and has no
public way to run a whole function there, which is what keeps a click to one trip
(the first release reached for its private ``_execute`` to get it). The executor
below is the same mechanism with the job boundary where Recall needs it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bot.storage.errors import Conflict, StorageError
from bot.storage.script import Dialect, Query, Script, Want, is_dialect_query

log = logging.getLogger(__name__)

T = TypeVar("T")


def run_query(conn: sqlite3.Connection, query: Query) -> Any:
    """Execute one query on a plain ``sqlite3`` connection; the result the script wants."""
    if is_dialect_query(query):
        return Dialect.SQLITE
    sql = query.text(Dialect.SQLITE)
    if query.many:
        conn.executemany(sql, query.params)
        return None
    cursor = conn.execute(sql, query.params)
    try:
        if query.want is Want.ROWS:
            return cursor.fetchall()
        if query.want is Want.ONE:
            return cursor.fetchone()
        if query.want is Want.COUNT:
            # RETURNING statements report rows only once they are fetched.
            cursor.fetchall()
            return cursor.rowcount
        cursor.fetchall()
        return None
    finally:
        cursor.close()


def drive(conn: sqlite3.Connection, script: Script[T]) -> T:
    """Run ``script`` to its end on ``conn`` (no transaction control of its own)."""
    try:
        query = next(script)
        while True:
            query = script.send(run_query(conn, query))
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        script.close()


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.debug("rollback after an error found no open transaction")


def _map(exc: sqlite3.Error, doing: str) -> Exception:
    """The backend-neutral error for a ``sqlite3`` error."""
    if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc).upper():
        return Conflict(str(exc))
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError) and not isinstance(
        exc, sqlite3.IntegrityError | sqlite3.ProgrammingError
    ):
        return StorageError(f"{doing}: {exc}")
    return exc


def in_transaction(conn: sqlite3.Connection, script: Script[T], *, write: bool) -> T:
    """BEGIN (IMMEDIATE for writes), the script, COMMIT; any error rolls back.

    ``sqlite3`` errors become :class:`StorageError` (locked, read-only, disk) or
    :class:`Conflict` (a unique constraint); the script's own exceptions pass through.
    """
    try:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    except sqlite3.Error as exc:
        script.close()
        raise _map(exc, "database unavailable") from exc
    try:
        result = drive(conn, script)
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback(conn)
        raise _map(exc, "could not save" if write else "could not read") from exc
    except BaseException:
        _rollback(conn)
        raise
    return result


def _connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """Open ``path`` in WAL mode with foreign keys on (runs in the worker thread)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _enable_wal(conn, busy_timeout_ms)
        conn.execute("PRAGMA foreign_keys = ON")
        # NORMAL is durable across application crashes in WAL mode; only an OS
        # crash can lose the last transactions, never corrupt the file.
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _enable_wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """Switch to WAL, retrying while another process is creating the same new file.

    Changing the journal mode can fail with "database is locked" at once, without
    waiting for the busy timeout, when two processes open a new file together.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(0.02)


class SQLiteStore:
    """An open SQLite database. Create with :meth:`open`, finish with :meth:`close`."""

    dialect = Dialect.SQLITE

    def __init__(self, executor: ThreadPoolExecutor, conn: sqlite3.Connection, path: Path) -> None:
        self._executor = executor
        self._conn = conn
        self._closed = False
        self.path = path

    @property
    def description(self) -> str:
        """What to call this database in a log line."""
        return f"SQLite {self.path}"

    @classmethod
    async def connect(cls, path: Path, *, busy_timeout_ms: int = 5000) -> SQLiteStore:
        """Open (creating the file and its folder) without migrating; see :func:`open_store`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder {path.parent}: {exc.strerror}") from exc
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recall-sqlite")
        loop = asyncio.get_running_loop()
        try:
            conn = await loop.run_in_executor(executor, _connect, path, busy_timeout_ms)
        except sqlite3.Error as exc:
            executor.shutdown(wait=False)
            raise StorageError(f"cannot open the database {path}: {exc}") from exc
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, conn, path)

    async def call(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job(connection)`` in the database thread, after the jobs queued before it.

        For what scripts cannot express (migrations, ``VACUUM``, tests' checks).
        """
        if self._closed:
            raise StorageError("the database is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, job, self._conn)

    async def write(self, script: Script[T]) -> T:
        """Run ``script`` as one ``BEGIN IMMEDIATE`` transaction, in one trip to the thread."""
        return await self.call(partial(in_transaction, script=script, write=True))

    async def read(self, script: Script[T]) -> T:
        """Run a read-only ``script`` on one consistent snapshot."""
        return await self.call(partial(in_transaction, script=script, write=False))

    async def close(self) -> None:
        """Close the connection after the queued jobs, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._conn.close)
        finally:
            self._executor.shutdown(wait=True)


__all__ = ["SQLiteStore", "drive", "in_transaction", "run_query"]
