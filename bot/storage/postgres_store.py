"""The PostgreSQL backend: an asyncpg pool, one pooled connection per transaction.

Scripts (see :mod:`bot.storage.script`) are driven from the event loop: each query
is awaited on the transaction's connection, and the pure decision between the
queries runs on the loop. Transactions are READ COMMITTED; scripts that decide on
a row they then change read it with ``FOR UPDATE`` (see :func:`for_update`), so two
processes handling clicks on one session queue behind each other and the second
sees the first one's result.

Placeholders are written ``?`` as for SQLite and numbered here (``$1``...). asyncpg
prepares and caches each statement per connection.

Each query is a round trip to the server, and on a loaded machine the round trips
(a socket write and a wake-up on each side) cost more than the statements: a click
is kept to few of them. A script whose only query is marked ``alone``
(:attr:`~bot.storage.script.Query.alone`) runs without BEGIN and COMMIT, one round
trip instead of three; a script that makes no query takes no connection.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any, TypeAlias, TypeVar
from urllib.parse import urlsplit

import asyncpg
import asyncpg.pool
import asyncpg.transaction

from bot.storage.errors import Conflict, StorageError
from bot.storage.script import Dialect, Query, Script, Want, is_dialect_query

log = logging.getLogger(__name__)

T = TypeVar("T")

Connection: TypeAlias = "asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any]"
"""A connection, bare or borrowed from the pool."""

# Quoted strings and identifiers, line and block comments are copied as they are:
# a ``?`` inside them is text, not a parameter.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\?", re.DOTALL)


@lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """``sql`` with each ``?`` placeholder (outside quotes and comments) as ``$1``, ``$2``..."""
    counter = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group(0) != "?":
            return match.group(0)
        counter += 1
        return f"${counter}"

    return _TOKEN.sub(replace, sql)


def _count(status: str) -> int:
    """Rows changed, from a command status such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def run_query(conn: Connection, query: Query) -> Any:
    """Execute one query on ``conn``; the result the script wants."""
    if is_dialect_query(query):
        return Dialect.POSTGRES
    sql = numbered(query.text(Dialect.POSTGRES))
    if query.many:
        await conn.executemany(sql, query.params)
        return None
    if query.want is Want.ROWS:
        return await conn.fetch(sql, *query.params)
    if query.want is Want.ONE:
        return await conn.fetchrow(sql, *query.params)
    status = await conn.execute(sql, *query.params)
    return _count(status) if query.want is Want.COUNT else None


async def drive(conn: Connection, script: Script[T], first: Query | None = None) -> T:
    """Run ``script`` to its end on ``conn`` (inside the caller's transaction).

    ``first``: the script's first query, when the caller has already taken it.
    """
    try:
        query = next(script) if first is None else first
        while True:
            query = script.send(await run_query(conn, query))
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        script.close()


def _opening(script: Script[T]) -> Query:
    """The script's first real query (dialect questions answered on the way).

    Raises StopIteration with the script's result when it makes no query at all.
    """
    query = next(script)
    while is_dialect_query(query):
        query = script.send(Dialect.POSTGRES)
    return query


def _after_alone(script: Script[T], result: Any) -> T:
    """Send a script its alone query's result (:attr:`~bot.storage.script.Query.alone`);
    the script's return value."""
    try:
        script.send(result)
    except StopIteration as stop:
        done: T = stop.value
        return done
    raise RuntimeError(
        "a script queried again after a query marked alone (it ran outside a transaction)"
    )


MIN_CONNECTIONS = 4
"""Connections opened at start and always kept open (see :meth:`PostgresStore.connect`)."""
MAX_CONNECTIONS = 10
"""The most a process opens: each is a server process on the database's machine."""


async def _keep_session(conn: Connection) -> None:
    """Nothing to reset between transactions (see the pool's ``reset`` in ``connect``)."""


LOCK_TIMEOUT_MS = 5000
"""How long a statement waits for a row lock (SQLite's busy timeout is the same)."""

_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    asyncpg.ReadOnlySQLTransactionError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.LockNotAvailableError,
    asyncpg.QueryCanceledError,
    # A connection the server dropped can leave asyncpg's protocol mid-operation:
    # "cannot switch to state ...; another operation is in progress".
    asyncpg.InternalClientError,
)


def _redact(dsn: str) -> str:
    """``host:port/dbname`` of a DSN: never the password."""
    parts = urlsplit(dsn)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or '/'}"


class PostgresStore:
    """An open PostgreSQL database. Create with :meth:`connect`, finish with :meth:`close`."""

    dialect = Dialect.POSTGRES

    def __init__(self, pool: asyncpg.Pool, where: str) -> None:
        self._pool = pool
        self._where = where

    @property
    def description(self) -> str:
        """What to call this database in a log line (no password)."""
        return f"PostgreSQL {self._where}"

    @classmethod
    async def connect(
        cls,
        dsn: str,
        *,
        min_size: int = MIN_CONNECTIONS,
        max_size: int = MAX_CONNECTIONS,
        connect_seconds: float = 10.0,
    ) -> PostgresStore:
        """Open a pool on ``dsn`` without migrating; see :func:`open_store`.

        ``min_size`` connections are opened here, before the bot takes its first
        interaction, and kept however quiet the bot gets: a connection opened under
        load costs a TCP and authentication handshake plus a backend's start while
        learners wait for it.
        """
        where = _redact(dsn)
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                # Keep open connections open (at most max_size): asyncpg's default
                # closes any connection idle for 5 minutes, even the min_size warm
                # ones, so a quiet night would make the morning's first clicks pay
                # for new connections and first-time statement preparation.
                max_inactive_connection_lifetime=0,
                timeout=connect_seconds,
                command_timeout=60,
                # Recall's own statements are few and fixed: keep them all prepared.
                statement_cache_size=512,
                # The default reset (RESET ALL, CLOSE ALL, UNLISTEN, advisory unlock)
                # is one more round trip per transaction for state Recall never leaves
                # on a connection: transactions are always closed (asyncpg rolls back
                # an open one before calling this), session settings are never
                # changed, and the only advisory lock is transaction-scoped.
                reset=_keep_session,
                server_settings={
                    # Like SQLite's busy timeout: a row another transaction holds for
                    # longer than this is "busy, try again" (StorageError), not a click
                    # that hangs past Discord's deadline and the learner's patience.
                    "lock_timeout": str(LOCK_TIMEOUT_MS),
                    # Recall's statements touch a few rows by key: compiling one would
                    # cost far more than running it.
                    "jit": "off",
                },
            )
        except (*_UNAVAILABLE, asyncpg.PostgresError) as exc:
            raise StorageError(f"cannot connect to PostgreSQL at {where}: {_reason(exc)}") from exc
        return cls(pool, where)

    async def write(self, script: Script[T]) -> T:
        """Run ``script`` as one transaction on one pooled connection."""
        return await self._run(script, readonly=False)

    async def read(self, script: Script[T]) -> T:
        """Run a read-only ``script`` on one consistent snapshot."""
        return await self._run(script, readonly=True)

    async def _run(self, script: Script[T], *, readonly: bool) -> T:
        try:
            try:
                first = _opening(script)
            except StopIteration as stop:
                nothing: T = stop.value
                return nothing  # no query: no connection, no transaction
            # A pooled connection may be one the server dropped (a restart, a network
            # blip): BEGIN (or an alone query, which is safe to run twice) then fails
            # before the script has gone on, so another connection is safe to take. The
            # pool replaces a dead one when it is released, so after at most its size
            # of tries a fresh one comes.
            for attempt in range(MAX_CONNECTIONS + 1):
                async with self._pool.acquire() as conn:
                    if first.alone:
                        # One statement: atomic and one snapshot by itself, so it needs
                        # no BEGIN and COMMIT, two round trips of three.
                        try:
                            answer = await run_query(conn, first)
                        except _CONNECTION_LOST:
                            if attempt < MAX_CONNECTIONS:
                                log.debug("a pooled connection was dropped; taking another")
                                continue
                            raise
                        return _after_alone(script, answer)
                    transaction = conn.transaction(
                        isolation="repeatable_read" if readonly else "read_committed",
                        readonly=readonly,
                    )
                    try:
                        await transaction.start()
                    except _CONNECTION_LOST:
                        if attempt < MAX_CONNECTIONS:
                            log.debug("a pooled connection was dropped; taking another")
                            continue
                        raise
                    try:
                        result = await drive(conn, script, first)
                    except BaseException:
                        await _rollback(transaction)
                        raise
                    await transaction.commit()
                    return result
            raise AssertionError("unreachable: the last attempt returns or raises")
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(str(exc)) from exc
        except _UNAVAILABLE as exc:
            doing = "could not read" if readonly else "could not save"
            raise StorageError(f"{doing}: {_reason(exc)}") from exc
        finally:
            script.close()

    async def call(self, job: Any) -> Any:
        """Run ``await job(connection)`` on a pooled connection (migrations, tests' checks)."""
        async with self._pool.acquire() as conn:
            return await job(conn)

    async def close(self) -> None:
        """Close the pool, letting running transactions finish."""
        await self._pool.close()


_CONNECTION_LOST = (
    OSError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
)
"""What a connection the server has dropped fails with."""


async def _rollback(transaction: asyncpg.transaction.Transaction) -> None:
    """Roll back after an error; a connection that is gone has nothing to roll back."""
    try:
        await transaction.rollback()
    except _CONNECTION_LOST as exc:
        log.debug("rollback found the connection gone: %s", exc)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


__all__ = ["PostgresStore", "drive", "numbered", "run_query"]
