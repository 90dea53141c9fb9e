"""SQLite storage: the connection owner, migrations and one repository module per table group."""

from bot.storage.database import Database, StorageError
from bot.storage.url import database_path

__all__ = ["Database", "StorageError", "database_path"]
