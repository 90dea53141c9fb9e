"""Storage: every SQL statement of Recall, and the two backends that run them.

Services call :class:`Store` ``read``/``write`` with transaction scripts (see
:mod:`bot.storage.script`) built by the table modules here. SQLite is the embedded
default; PostgreSQL serves several processes on one database.
"""

from bot.storage.errors import Conflict, SchemaTooNew, StorageError
from bot.storage.store import Store, open_store
from bot.storage.url import DatabaseURL, PostgresURL, SQLiteURL, parse_database_url

__all__ = [
    "Conflict",
    "DatabaseURL",
    "PostgresURL",
    "SQLiteURL",
    "SchemaTooNew",
    "StorageError",
    "Store",
    "open_store",
    "parse_database_url",
]
