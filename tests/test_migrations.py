"""Schema migrations, connection pragmas and DATABASE_URL parsing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import Database, StorageError, database_path
from bot.storage import migrations as migrations_module
from bot.storage.migrations import Migration, load_migrations

TABLES = {"learners", "card_states", "reviews", "quiz_sessions", "guild_settings"}
MIGRATIONS_DIR = Path(migrations_module.__file__).parent / "migrations"


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


def test_migration_files_are_numbered_without_gaps() -> None:
    files = sorted(MIGRATIONS_DIR.glob("V*__*.sql"))
    loaded = load_migrations()
    assert [m.version for m in loaded] == list(range(1, len(files) + 1))
    assert loaded[0].name == "init"


async def test_fresh_file_creates_folder_and_every_table(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "recall.db"
    db = await Database.open(path)
    await db.close()
    assert path.is_file()
    assert _tables(path) >= TABLES
    assert _user_version(path) == len(list(MIGRATIONS_DIR.glob("V*__*.sql")))


async def test_reopen_applies_nothing_and_keeps_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "recall.db"
    db = await Database.open(path)
    await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (7, 1)")
    await db.close()

    applied: list[list[int]] = []
    original = migrations_module.apply_migrations

    async def spy(conn):
        result = await original(conn)
        applied.append(result)
        return result

    monkeypatch.setattr("bot.storage.database.apply_migrations", spy)
    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT guild_id FROM guild_settings")
    finally:
        await db.close()
    assert applied == [[]]
    assert [row[0] for row in rows] == [7]
    assert _user_version(path) == len(load_migrations())


def _with_broken_next(monkeypatch: pytest.MonkeyPatch, keep: int | None = None) -> int:
    """Make ``load_migrations`` return the first ``keep`` real files and a broken next one.

    Returns the version the database should stay at.
    """
    real = load_migrations()[:keep]
    broken = Migration(
        version=len(real) + 1,
        name="broken",
        sql=(
            "CREATE TABLE half_done (x INTEGER);\n"
            "ALTER TABLE learners ADD COLUMN nickname TEXT;\n"
            "INSERT INTO no_such_table VALUES (1);"
        ),
    )
    monkeypatch.setattr(migrations_module, "load_migrations", lambda: [*real, broken])
    return len(real)


async def test_failing_migration_rolls_back_and_stays_at_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "recall.db"
    db = await Database.open(path)
    await db.execute("INSERT INTO learners (user_id, created_at) VALUES (5, 1)")
    await db.close()

    previous = _with_broken_next(monkeypatch)
    with pytest.raises(StorageError, match="no_such_table"):
        await Database.open(path)

    assert _user_version(path) == previous == len(load_migrations())
    assert "half_done" not in _tables(path)
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(learners)")}
        assert "nickname" not in columns
        assert conn.execute("SELECT user_id FROM learners").fetchall() == [(5,)]

    # With the broken file gone, the database opens normally again.
    monkeypatch.undo()
    db = await Database.open(path)
    await db.close()


async def test_failing_v2_on_a_fresh_file_keeps_v1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "recall.db"
    assert _with_broken_next(monkeypatch, keep=1) == 1  # V1, then a broken V2
    with pytest.raises(StorageError):
        await Database.open(path)
    assert _user_version(path) == 1
    assert _tables(path) >= TABLES
    assert "half_done" not in _tables(path)


async def test_wal_and_foreign_keys_are_on(db: Database) -> None:
    journal = await db.fetchone("PRAGMA journal_mode")
    foreign_keys = await db.fetchone("PRAGMA foreign_keys")
    assert journal is not None
    assert foreign_keys is not None
    assert journal[0] == "wal"
    assert foreign_keys[0] == 1


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(
            "INSERT INTO quiz_sessions (user_id, kind, queue, created_at, updated_at)"
            " VALUES (404, 'mixed', '[]', 1, 1)"
        )


# -- DATABASE_URL -------------------------------------------------------------------


def test_relative_url_is_resolved_against_base(tmp_path: Path) -> None:
    assert database_path("sqlite:///data/recall.db", base=tmp_path) == tmp_path / "data/recall.db"


def test_relative_url_defaults_to_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_path("sqlite:///recall.db") == tmp_path / "recall.db"


def test_absolute_url(tmp_path: Path) -> None:
    assert database_path(f"sqlite:///{tmp_path}/x/recall.db") == tmp_path / "x" / "recall.db"
    assert database_path("sqlite:////srv/recall/recall.db") == Path("/srv/recall/recall.db")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "recall.db",
        "postgres://user@localhost/recall",
        "sqlite://recall.db",
        "sqlite:///",
        "sqlite:///data/",
        "sqlite:///recall.db?mode=ro",
        "sqlite:///bad\x00name.db",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"sqlite|file"):
        database_path(url)
