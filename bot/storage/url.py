"""Parsing of ``DATABASE_URL``: a SQLite file or a PostgreSQL server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class SQLiteURL:
    """A SQLite file (created with its folder on first use)."""

    path: Path

    def describe(self) -> str:
        """For log lines and errors."""
        return f"SQLite {self.path}"


@dataclass(frozen=True)
class PostgresURL:
    """A PostgreSQL database, as an asyncpg DSN. ``repr`` hides the password."""

    dsn: str

    def describe(self) -> str:
        """``host:port/dbname``: never the user's password."""
        parts = urlsplit(self.dsn)
        port = f":{parts.port}" if parts.port else ""
        return f"PostgreSQL {parts.hostname or 'localhost'}{port}{parts.path or '/'}"

    def __repr__(self) -> str:
        return f"PostgresURL({self.describe()!r})"


DatabaseURL = SQLiteURL | PostgresURL


def parse_database_url(url: str, base: Path | None = None) -> DatabaseURL:
    """Parse ``DATABASE_URL``.

    ``sqlite:///relative/path`` (resolved against ``base``, the working directory by
    default) or ``sqlite:////absolute/path``; ``postgresql://user:password@host:port/db``.
    Raises ``ValueError`` naming the expected forms for anything else; the message
    never repeats the URL (it may hold a password).
    """
    if url.startswith(_POSTGRES):
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ValueError(
                "has a bad host or port (postgresql://user:password@host:port/db)"
            ) from None
        if not parts.path.strip("/"):
            raise ValueError("names no database (postgresql://user:password@host:port/db)")
        return PostgresURL(url)
    return SQLiteURL(database_path(url, base))


def database_path(url: str, base: Path | None = None) -> Path:
    """Turn ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` into a path.

    Relative paths are resolved against ``base`` (the working directory by default).
    Raises ``ValueError`` naming the expected forms for anything else.
    """
    if not url.startswith(_SQLITE):
        raise ValueError(
            "must look like sqlite:///relative/path.db, sqlite:////absolute/path.db "
            "or postgresql://user:password@host:port/dbname"
        )
    rest = url[len(_SQLITE) :]
    if not rest or rest.endswith("/"):
        raise ValueError("names no database file after sqlite:///")
    if "\x00" in rest or "?" in rest:
        raise ValueError("contains characters that cannot be part of a file path")
    path = Path(rest)
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return path
