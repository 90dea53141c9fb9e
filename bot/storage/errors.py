"""The errors storage raises, the same on every backend.

Front ends turn them into words: :class:`StorageError` is "the database is busy or
unavailable, nothing was saved"; :class:`Conflict` is usually a concurrent duplicate
that the service turns into a domain error ("already answered").
"""

from __future__ import annotations


class StorageError(RuntimeError):
    """The database could not do what was asked (locked, read-only, unreachable, disk full)."""


class SchemaTooNew(StorageError):
    """The database was migrated by a newer Recall than this one."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"the database is at schema version {found}, newer than this Recall knows "
            f"({known}): upgrade Recall, or point DATABASE_URL at another database"
        )
        self.found = found
        self.known = known


class Conflict(Exception):
    """A write broke a uniqueness rule: another transaction already did the same thing.

    The transaction was rolled back. Scripts that expect a duplicate should say so in
    SQL (``ON CONFLICT DO NOTHING``) instead: a failed statement ends a PostgreSQL
    transaction, so a script never sees this exception itself.
    """


__all__ = ["Conflict", "SchemaTooNew", "StorageError"]
