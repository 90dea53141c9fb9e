"""Parsing of ``DATABASE_URL`` into a SQLite file path."""

from __future__ import annotations

from pathlib import Path

_PREFIX = "sqlite:///"


def database_path(url: str, base: Path | None = None) -> Path:
    """Turn ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` into a path.

    Relative paths are resolved against ``base`` (the working directory by default).
    Raises ``ValueError`` naming the expected forms for anything else.
    """
    if not url.startswith(_PREFIX):
        raise ValueError(
            "must look like sqlite:///relative/path.db or sqlite:////absolute/path.db "
            "(only SQLite is supported)"
        )
    rest = url[len(_PREFIX) :]
    if not rest or rest.endswith("/"):
        raise ValueError("names no database file after sqlite:///")
    if "\x00" in rest or "?" in rest:
        raise ValueError("contains characters that cannot be part of a file path")
    path = Path(rest)
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return path
