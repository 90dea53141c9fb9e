"""The one storage interface every service uses, and how to open it.

A :class:`Store` runs transaction scripts (:mod:`bot.storage.script`): ``write``
runs one as a read-write transaction, ``read`` as a read-only snapshot. Each
service's public call is one of these. Two backends implement it:
:class:`~bot.storage.sqlite_store.SQLiteStore` (the embedded default) and
:class:`~bot.storage.postgres_store.PostgresStore` (several processes on one
database).
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from bot.storage.script import Dialect, Script
from bot.storage.url import DatabaseURL, PostgresURL, SQLiteURL

T = TypeVar("T")


class Store(Protocol):
    """An open, migrated database."""

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect of the backend."""
        ...

    @property
    def description(self) -> str:
        """What to call the database in a log line (never a password)."""
        ...

    async def write(self, script: Script[T]) -> T:
        """Run ``script`` as one read-write transaction."""
        ...

    async def read(self, script: Script[T]) -> T:
        """Run a read-only ``script`` on one consistent snapshot."""
        ...

    async def close(self) -> None:
        """Release the connection(s)."""
        ...


async def open_store(url: DatabaseURL, *, migrate: bool = True) -> Store:
    """Open the database ``url`` names and bring its schema up to date.

    Raises :class:`~bot.storage.errors.StorageError` (one line, no password) when it
    cannot be opened or migrated, and :class:`~bot.storage.errors.SchemaTooNew` when
    a newer Recall migrated it.
    """
    if isinstance(url, SQLiteURL):
        from bot.storage.schema import migrate_sqlite
        from bot.storage.sqlite_store import SQLiteStore

        sqlite = await SQLiteStore.connect(url.path)
        try:
            if migrate:
                await migrate_sqlite(sqlite)
        except BaseException:
            await sqlite.close()
            raise
        return sqlite
    assert isinstance(url, PostgresURL)
    # Imported here so that a SQLite-only run never loads the driver.
    from bot.storage.postgres_store import PostgresStore
    from bot.storage.schema import migrate_postgres

    postgres = await PostgresStore.connect(url.dsn)
    try:
        if migrate:
            await migrate_postgres(postgres)
    except BaseException:
        await postgres.close()
        raise
    return postgres


__all__ = ["Store", "open_store"]
