"""The single owner of Recall's SQLite connection.

All access goes through one ``aiosqlite`` connection, whose single worker thread
runs every statement in the order it was queued. SQLite allows one writer at a time
anyway, and serialising in-process keeps a transaction from seeing another
coroutine's half-done writes. Other processes (a second bot, the terminal
``practice`` command) are kept consistent by WAL and ``BEGIN IMMEDIATE`` with a busy
timeout.

There are two ways to run a transaction:

* :meth:`Database.transaction` yields the ``aiosqlite`` connection: each statement
  is a trip to the worker thread and back, and an ``asyncio.Lock`` keeps other
  coroutines' statements out until COMMIT.
* :meth:`Database.run_transaction` runs a plain function of the ``sqlite3``
  connection, BEGIN IMMEDIATE to COMMIT, as *one* job in the worker thread. Nothing
  else can run in between, so it needs the lock only to wait for an open
  :meth:`transaction`, and the thread is never left idle holding a transaction
  while the event loop gets round to the next statement. The hot paths (every quiz
  click) use it; :meth:`run_read`, :meth:`fetchall` and :meth:`fetchone` are
  one-job reads the same way.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.migrations import apply_migrations

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


async def in_worker_thread(conn: aiosqlite.Connection, job: Callable[[], T]) -> T:
    """Run ``job()`` in ``conn``'s worker thread, after the jobs queued before it.

    This and :func:`raw_connection` are the only uses of aiosqlite's private API:
    ``Connection._execute(fn)``, the method behind all of its own calls, and
    ``Connection._conn``. aiosqlite is pinned to 0.22.x in pyproject.toml, and
    tests/test_storage.py checks that both still behave as used here. The job is
    queued before the first suspension, so awaiting this at once keeps call order.
    """
    execute: Callable[[Callable[[], T]], Awaitable[T]] = conn._execute
    return await execute(job)


def raw_connection(conn: aiosqlite.Connection) -> sqlite3.Connection:
    """The ``sqlite3`` connection inside ``conn``: use it only in its worker thread."""
    return conn._conn


async def _enable_wal(conn: aiosqlite.Connection, busy_timeout_ms: int) -> None:
    """Switch to WAL, retrying while another connection is creating the same new file.

    Changing the journal mode can fail with "database is locked" at once, without
    waiting for the busy timeout, when two processes open a new file together.
    """
    waited_ms = 0
    while True:
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or waited_ms >= busy_timeout_ms:
                raise
        await asyncio.sleep(0.02)
        waited_ms += 20


class StorageError(RuntimeError):
    """The database could not do what was asked (locked, read-only, disk full...)."""


class Database:
    """An open Recall database. Create with :meth:`open`, finish with :meth:`close`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path, *, busy_timeout_ms: int = 5000) -> Database:
        """Open (creating the file and its folder) and migrate the database at ``path``."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder {path.parent}: {exc.strerror}") from exc
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await _enable_wal(conn, busy_timeout_ms)
            await conn.execute("PRAGMA foreign_keys = ON")
            # NORMAL is durable across application crashes in WAL mode; only an OS
            # crash can lose the last transactions, never corrupt the file.
            await conn.execute("PRAGMA synchronous = NORMAL")
            await apply_migrations(conn)
        except sqlite3.Error as exc:
            await conn.close()
            raise StorageError(f"cannot prepare the database {path}: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    async def close(self) -> None:
        """Close the connection (waits for a running transaction to finish)."""
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one ``BEGIN IMMEDIATE`` transaction; roll back on any error."""
        async with self._lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StorageError(f"database unavailable: {exc}") from exc
            try:
                yield self._conn
            except sqlite3.OperationalError as exc:
                # Read-only file, disk full, lost lock...: the same StorageError as
                # BEGIN and COMMIT give. (IntegrityError passes through: callers use it.)
                await self._rollback()
                raise StorageError(f"could not save: {exc}") from exc
            except BaseException:
                await self._rollback()
                raise
            try:
                await self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._rollback()
                raise StorageError(f"could not save: {exc}") from exc

    async def _rollback(self) -> None:
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            # No transaction is open any more (SQLite already rolled it back).
            log.debug("rollback after error found no open transaction")

    async def _one_job(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job(connection)`` as one job of the worker thread.

        A job runs alone in the thread, so it needs no lock of its own: it only
        waits while a :meth:`transaction` is open (or queued for the lock), whose
        statements must not have others run in between. When the lock is free the
        job is queued at once; a transaction that takes the lock later queues its
        BEGIN behind it.
        """
        conn = self._conn

        def run() -> T:
            return job(raw_connection(conn))

        if self._lock.locked():
            async with self._lock:
                return await in_worker_thread(conn, run)
        return await in_worker_thread(conn, run)

    async def run_read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` (plain ``sqlite3`` reads, no writes) in one trip to the database.

        ``job`` runs in the database's worker thread: it must not touch the event
        loop. A ``sqlite3.OperationalError`` becomes :class:`StorageError`.
        """
        try:
            return await self._one_job(job)
        except sqlite3.OperationalError as exc:
            raise StorageError(f"database unavailable: {exc}") from exc

    async def run_transaction(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` as one ``BEGIN IMMEDIATE`` transaction, in one trip to the database.

        The same contract as :meth:`transaction`: any error rolls back; a failing
        BEGIN, COMMIT or ``sqlite3.OperationalError`` in ``job`` becomes
        :class:`StorageError`, other exceptions (``IntegrityError``, the caller's
        own) pass through unchanged. ``job`` runs in the database's worker thread,
        with the plain ``sqlite3`` connection: it must not touch the event loop.
        """
        return await self._one_job(lambda conn: _in_transaction(conn, job))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a read-only query (meant for queries of one row), or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a read-only query."""
        # One trip to the worker thread (execute, fetch and close together).
        return await self.run_read(lambda conn: conn.execute(sql, params).fetchall())

    async def execute(self, sql: str, params: Params = ()) -> None:
        """Run one write statement in its own transaction."""
        async with self.transaction() as conn:
            await conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many rows in a single transaction."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)


def _rollback_sync(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        log.debug("rollback after error found no open transaction")


def _in_transaction(conn: sqlite3.Connection, job: Callable[[sqlite3.Connection], T]) -> T:
    """BEGIN IMMEDIATE, ``job``, COMMIT, with :meth:`Database.transaction`'s error rules."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise StorageError(f"database unavailable: {exc}") from exc
    try:
        result = job(conn)
    except sqlite3.OperationalError as exc:
        _rollback_sync(conn)
        raise StorageError(f"could not save: {exc}") from exc
    except BaseException:
        _rollback_sync(conn)
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback_sync(conn)
        raise StorageError(f"could not save: {exc}") from exc
    return result
