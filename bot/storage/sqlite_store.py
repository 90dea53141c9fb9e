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
(the first release reached for its private ``_execute`` to get it). The worker
below is the same mechanism with the job boundary where Recall needs it.

Why not ``ThreadPoolExecutor`` and ``run_in_executor``: each job there is a
``concurrent.futures.Future`` (a lock and a condition) chained to an asyncio future
by callbacks on both sides, about twice the event loop's work per trip of the
:class:`_Worker` below, which resolves the loop's own future directly. Every click
pays it once, on the thread every interaction needs.

Checkpoints run beside the writer, not inside a click. SQLite's automatic
checkpoint copies the write-ahead log back into the database file at the end of
whichever commit crosses 1,000 pages: on a large file that is a few milliseconds of
scattered writes charged to one learner's answer, and it holds the only database
thread meanwhile. Here the writing connection's automatic checkpoint is only a
backstop (:data:`BACKSTOP_PAGES`); every :data:`CHECKPOINT_EVERY` write
transactions a ``PASSIVE`` checkpoint runs on a second connection in a second
thread, which WAL allows while the writer goes on (``sqlite3`` releases the GIL
while SQLite works).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
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

CHECKPOINT_EVERY = 100
"""Write transactions between background checkpoints (about 1,000 WAL pages)."""

BACKSTOP_PAGES = 10_000
"""The writer's own automatic checkpoint, should the background one fall behind."""


_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Resolve ``future`` on its loop (unless its caller stopped waiting meanwhile)."""
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


class _Worker:
    """One thread that runs jobs one at a time, in the order they were submitted.

    A job whose caller was cancelled before it began is skipped (as an executor's
    is); one already running runs to its end, and its result is dropped.
    """

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._stopped = False
        # A daemon, so a store never closed cannot keep the interpreter from exiting; a
        # transaction cut short that way is rolled back by SQLite on the next open.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], T]) -> asyncio.Future[T]:
        """Queue ``job``; the future (of the running loop) gets its result or exception."""
        if self._stopped:
            raise RuntimeError("the database thread has stopped")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, job))
        return future

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            loop, future, job = item
            if future.cancelled():
                continue
            result, error = None, None
            try:
                result = job()
            except BaseException as exc:  # handed to the caller, as an executor does
                error = exc
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:
                log.debug("the event loop closed before a database job finished")
            del item, future, job, result, error  # nothing kept alive until the next job

    def stop(self) -> None:
        """Let the queued jobs finish, then end the thread (blocks until it has)."""
        if not self._stopped:
            self._stopped = True
            self._jobs.put(None)
        self._thread.join()


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
        # Checkpoints run in the background (see the module's docstring).
        conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
    except BaseException:
        conn.close()
        raise
    return conn


def _connect_checkpointer(path: Path) -> sqlite3.Connection:
    """The second connection, used only for background checkpoints."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
    try:
        # PASSIVE checkpoints never wait for locks, so no busy timeout is needed.
        conn.execute("PRAGMA journal_mode = WAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """One ``PASSIVE`` checkpoint: (busy, frames in the log, frames copied back)."""
    busy, log_frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(log_frames), int(copied)


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

    def __init__(
        self,
        worker: _Worker,
        conn: sqlite3.Connection,
        path: Path,
        *,
        checkpoint_every: int = CHECKPOINT_EVERY,
    ) -> None:
        self._worker = worker
        self._conn = conn
        self._closed = False
        self.path = path
        self._checkpoint_every = checkpoint_every
        self._writes_since_checkpoint = 0
        self._checkpointer: ThreadPoolExecutor | None = None
        self._checkpoint_conn: sqlite3.Connection | None = None
        self._checkpoint_task: asyncio.Future[None] | None = None
        self.checkpoints = 0
        """Background checkpoints completed (for tests and benches)."""
        self.last_checkpoint: tuple[int, int, int] | None = None
        """The last one's (busy, frames in the log, frames copied back)."""

    @property
    def description(self) -> str:
        """What to call this database in a log line."""
        return f"SQLite {self.path}"

    @classmethod
    async def connect(
        cls, path: Path, *, busy_timeout_ms: int = 5000, checkpoint_every: int = CHECKPOINT_EVERY
    ) -> SQLiteStore:
        """Open (creating the file and its folder) without migrating; see :func:`open_store`.

        ``checkpoint_every``: write transactions between background checkpoints.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder {path.parent}: {exc.strerror}") from exc
        worker = _Worker("recall-sqlite")
        try:
            conn = await worker.submit(partial(_connect, path, busy_timeout_ms))
        except sqlite3.Error as exc:
            await asyncio.to_thread(worker.stop)
            raise StorageError(f"cannot open the database {path}: {exc}") from exc
        except BaseException:
            await asyncio.to_thread(worker.stop)
            raise
        return cls(worker, conn, path, checkpoint_every=checkpoint_every)

    async def call(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job(connection)`` in the database thread, after the jobs queued before it.

        For what scripts cannot express (migrations, ``VACUUM``, tests' checks).
        """
        if self._closed:
            raise StorageError("the database is closed")
        return await self._worker.submit(partial(job, self._conn))

    async def write(self, script: Script[T]) -> T:
        """Run ``script`` as one ``BEGIN IMMEDIATE`` transaction, in one trip to the thread."""
        try:
            return await self.call(partial(in_transaction, script=script, write=True))
        finally:
            self._writes_since_checkpoint += 1
            if self._writes_since_checkpoint >= self._checkpoint_every:
                self._start_checkpoint()

    def _start_checkpoint(self) -> None:
        """Start a background checkpoint unless one is running (then the next write will)."""
        if self._closed or (self._checkpoint_task is not None and not self._checkpoint_task.done()):
            return
        self._writes_since_checkpoint = 0
        if self._checkpointer is None:
            self._checkpointer = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="recall-sqlite-checkpoint"
            )
        loop = asyncio.get_running_loop()
        self._checkpoint_task = loop.run_in_executor(self._checkpointer, self._run_checkpoint)
        self._checkpoint_task.add_done_callback(self._checkpoint_done)

    def _run_checkpoint(self) -> None:
        # Runs in the checkpoint thread, which alone uses this connection.
        if self._checkpoint_conn is None:
            self._checkpoint_conn = _connect_checkpointer(self.path)
        self.last_checkpoint = _checkpoint(self._checkpoint_conn)

    def _checkpoint_done(self, task: asyncio.Future[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            self.checkpoints += 1
        else:
            # The writer's own backstop checkpoint still bounds the log.
            log.warning("background checkpoint of %s failed: %s", self.path, error)

    async def checkpoint_idle(self) -> None:
        """Wait for the running background checkpoint, if any (for tests and close)."""
        task = self._checkpoint_task
        if task is not None and not task.done():
            await asyncio.wait([task])

    async def read(self, script: Script[T]) -> T:
        """Run a read-only ``script`` on one consistent snapshot."""
        return await self.call(partial(in_transaction, script=script, write=False))

    async def close(self) -> None:
        """Close the connection after the queued jobs, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        await self.checkpoint_idle()
        loop = asyncio.get_running_loop()
        try:
            if self._checkpointer is not None:
                if self._checkpoint_conn is not None:
                    await loop.run_in_executor(self._checkpointer, self._checkpoint_conn.close)
                self._checkpointer.shutdown(wait=True)
            await self._worker.submit(self._conn.close)
        finally:
            await asyncio.to_thread(self._worker.stop)


__all__ = [
    "BACKSTOP_PAGES",
    "CHECKPOINT_EVERY",
    "SQLiteStore",
    "drive",
    "in_transaction",
    "run_query",
]
