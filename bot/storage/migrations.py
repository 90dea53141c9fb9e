"""Numbered SQL migrations (``migrations/V<n>__<name>.sql``), applied in order.

Each file runs in its own transaction together with the ``PRAGMA user_version``
bump, so a failed migration leaves the database at the previous version.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

import aiosqlite

_NAME = re.compile(r"V(?P<version>[0-9]+)__(?P<name>[a-z0-9_]+)\.sql")


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """All migration files shipped in ``bot/storage/migrations``, in version order."""
    folder = resources.files("bot.storage").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match:
            found.append(
                Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8"))
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration versions must be 1..n without gaps, found {versions}")
    return found


async def schema_version(conn: aiosqlite.Connection) -> int:
    """The version recorded in ``PRAGMA user_version``."""
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(conn: aiosqlite.Connection) -> list[int]:
    """Apply every migration newer than the database; return the versions applied."""
    applied: list[int] = []
    for migration in load_migrations():
        if migration.version <= await schema_version(conn):
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
            await conn.executescript(script)
        except BaseException as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            # Another process opening the same new file may have applied this migration
            # between our version check and our BEGIN IMMEDIATE: that is not a failure.
            if isinstance(exc, sqlite3.Error) and await schema_version(conn) >= migration.version:
                continue
            raise
        applied.append(migration.version)
    return applied
