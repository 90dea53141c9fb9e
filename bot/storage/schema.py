"""Numbered migrations for both dialects, applied in order on start.

Files live in ``bot/storage/migrations``: ``V<n>__<name>.sql`` when both dialects
share the text, or ``V<n>__<name>.sqlite.sql`` and ``V<n>__<name>.postgres.sql``
where they differ. Every version exists for both dialects, so a database of either
kind at version *n* has the same tables and columns.

Each migration runs in its own transaction with the version bump, so a failed one
leaves the database at the previous version. SQLite keeps the version in ``PRAGMA
user_version``; PostgreSQL in the one-row table ``recall_schema``, under an
advisory lock so that processes starting together migrate once. A database at a
version newer than the files here is refused with :class:`SchemaTooNew`.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from bot.storage.errors import SchemaTooNew, StorageError
from bot.storage.script import Dialect

if TYPE_CHECKING:
    import asyncpg

    from bot.storage.postgres_store import PostgresStore
    from bot.storage.sqlite_store import SQLiteStore

_NAME = re.compile(
    r"V(?P<version>[0-9]+)__(?P<name>[a-z0-9_]+)(?:\.(?P<dialect>sqlite|postgres))?\.sql"
)

_PG_LOCK_KEY = 0x52_45_43_41_4C_4C  # "RECALL": the advisory lock migrations take
"""Key of the advisory lock that serialises migrations across processes."""


@dataclass(frozen=True)
class Migration:
    """One migration file, for one dialect."""

    version: int
    name: str
    sql: str


def load_migrations(dialect: Dialect) -> list[Migration]:
    """Every migration for ``dialect``, in version order (a dialect's own file wins)."""
    folder = resources.files("bot.storage").joinpath("migrations")
    shared: dict[int, Migration] = {}
    own: dict[int, Migration] = {}
    other: dict[int, str] = {}
    names: dict[int, str] = {}
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if not match:
            continue
        version, name = int(match["version"]), match["name"]
        if names.setdefault(version, name) != name:
            raise RuntimeError(f"migration V{version} has two names: {names[version]}, {name}")
        text = entry.read_text(encoding="utf-8")
        if match["dialect"] is None:
            shared[version] = Migration(version, name, text)
        elif match["dialect"] == dialect.value:
            own[version] = Migration(version, name, text)
        else:
            other[version] = entry.name
    found = {**shared, **own}
    missing = sorted(set(other) - set(found))
    if missing:
        raise RuntimeError(f"migrations {missing} have no {dialect.value} file")
    versions = sorted(found)
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migration versions must be 1..n without gaps, found {versions}")
    return [found[v] for v in versions]


def latest_version(dialect: Dialect) -> int:
    """The newest schema version this Recall knows."""
    migrations = load_migrations(dialect)
    return migrations[-1].version if migrations else 0


# -- SQLite ---------------------------------------------------------------------


def _sqlite_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0]) if row else 0


def migrate_sqlite_connection(conn: sqlite3.Connection) -> list[int]:
    """Apply every pending migration on a plain connection; the versions applied."""
    migrations = load_migrations(Dialect.SQLITE)
    known = migrations[-1].version if migrations else 0
    found = _sqlite_version(conn)
    if found > known:
        raise SchemaTooNew(found, known)
    applied: list[int] = []
    for migration in migrations:
        if migration.version <= _sqlite_version(conn):
            continue
        # One script = one transaction: BEGIN, the DDL, the version bump, COMMIT.
        # user_version lives in the file header and is rolled back with the rest.
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{migration.sql}\n;\n"
            f"PRAGMA user_version = {migration.version};\n"
            "COMMIT;"
        )
        try:
            conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            # Another process opening the same new file may have applied this migration
            # between our version check and our BEGIN IMMEDIATE: that is not a failure.
            if _sqlite_version(conn) >= migration.version:
                continue
            raise StorageError(
                f"migration V{migration.version} ({migration.name}) failed: {exc}"
            ) from exc
        applied.append(migration.version)
    return applied


async def migrate_sqlite(store: SQLiteStore) -> list[int]:
    """Apply every pending migration to an open SQLite store."""
    return await store.call(migrate_sqlite_connection)


# -- PostgreSQL -----------------------------------------------------------------


async def _pg_version(conn: asyncpg.Connection) -> int:
    await conn.execute("CREATE TABLE IF NOT EXISTS recall_schema (version integer NOT NULL)")
    value = await conn.fetchval("SELECT max(version) FROM recall_schema")
    return int(value or 0)


async def migrate_postgres_connection(conn: asyncpg.Connection) -> list[int]:
    """Apply every pending migration on one connection; the versions applied."""
    import asyncpg  # only a PostgreSQL run loads the driver

    migrations = load_migrations(Dialect.POSTGRES)
    known = migrations[-1].version if migrations else 0
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _PG_LOCK_KEY)
        found = await _pg_version(conn)
    if found > known:
        raise SchemaTooNew(found, known)
    for migration in migrations:
        try:
            async with conn.transaction():
                # The lock makes a second process wait here, then find the work done.
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _PG_LOCK_KEY)
                if migration.version <= await _pg_version(conn):
                    continue
                await conn.execute(migration.sql)
                await conn.execute("DELETE FROM recall_schema")
                await conn.execute(
                    "INSERT INTO recall_schema (version) VALUES ($1)", migration.version
                )
        except asyncpg.PostgresError as exc:
            # One line, like SQLite's: the start-up prints it and stops.
            reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            raise StorageError(
                f"migration V{migration.version} ({migration.name}) failed: {reason}"
            ) from exc
        applied.append(migration.version)
    return applied


async def migrate_postgres(store: PostgresStore) -> list[int]:
    """Apply every pending migration to an open PostgreSQL store.

    Raises :class:`StorageError` (one line) when the server refuses or goes away.
    """
    import asyncpg

    try:
        result: list[int] = await store.call(migrate_postgres_connection)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise StorageError(f"could not check the schema version: {reason}") from exc
    return result


__all__ = [
    "Migration",
    "latest_version",
    "load_migrations",
    "migrate_postgres",
    "migrate_postgres_connection",
    "migrate_sqlite",
    "migrate_sqlite_connection",
]
