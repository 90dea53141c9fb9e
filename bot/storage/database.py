"""The single owner of Recall's SQLite connection.

All access goes through one ``aiosqlite`` connection guarded by an ``asyncio.Lock``:
SQLite allows one writer at a time anyway, and serialising in-process keeps a
transaction from seeing another coroutine's half-done writes. Other processes
(a second bot, the terminal ``practice`` command) are kept consistent by WAL and
``BEGIN IMMEDIATE`` with a busy timeout.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.migrations import apply_migrations

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]


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

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a read-only query (meant for queries of one row), or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a read-only query."""
        async with self._lock:
            try:
                # One trip to aiosqlite's thread instead of three (execute, fetch,
                # close): under load those trips, made one at a time while the lock
                # is held, were most of an interaction's cost.
                return list(await self._conn.execute_fetchall(sql, params))
            except sqlite3.OperationalError as exc:
                raise StorageError(f"database unavailable: {exc}") from exc

    async def execute(self, sql: str, params: Params = ()) -> None:
        """Run one write statement in its own transaction."""
        async with self.transaction() as conn:
            await conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many rows in a single transaction."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)
