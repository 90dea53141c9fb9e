"""Schema migrations on both dialects, the V4 → V5 upgrade of real data, the two
schemas' parity, and DATABASE_URL parsing."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import asyncpg
import pytest

from bot.core.clock import FakeClock
from bot.core.leaderboard import LeaderboardPage, Metric, Period
from bot.core.learner import Identity, Platform
from bot.core.streaks import StreakState, alive_until
from bot.services.reports import ReportService
from bot.storage import (
    DatabaseURL,
    PostgresURL,
    SchemaTooNew,
    SQLiteURL,
    StorageError,
    Store,
    card_states,
    learners,
    open_store,
    parse_database_url,
)
from bot.storage import schema as schema_module
from bot.storage.codec import to_epoch
from bot.storage.schema import (
    Migration,
    latest_version,
    load_migrations,
    migrate_postgres,
    migrate_sqlite,
)
from bot.storage.script import Dialect, Script, execute, rows, value
from tests.conftest import CONTENT_DIR, REPO_ROOT, START
from tests.review_rows import (
    GUILD,
    NOW,
    Review,
    add_reviews,
    person,
    server,
    set_state,
    small_library,
)

MIGRATIONS_DIR = REPO_ROOT / "bot" / "storage" / "migrations"
LATEST = latest_version(Dialect.SQLITE)
TABLES = {
    "learners",
    "communities",
    "card_states",
    "reviews",
    "quiz_sessions",
    "community_settings",
    "reminders",
    "reminder_sends",
    "daily_posts",
    "daily_answers",
    "review_totals",
    "card_totals",
    "community_learners",
    "community_days",
    "concept_totals",
    "server_decks",
    "server_deck_revision",
    "games",
    "game_rounds",
    "game_answers",
    "memory_totals",
    "due_totals",
    "stability_bands",
}


# -- looking inside a database, whatever its backend ------------------------------------


async def _pg(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _version(url: DatabaseURL) -> int:
    if isinstance(url, SQLiteURL):
        with sqlite3.connect(url.path) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
    found = await _pg(url.dsn, "SELECT max(version) FROM recall_schema")
    return int(found[0][0] or 0)


async def _set_version(url: DatabaseURL, version: int) -> None:
    if isinstance(url, SQLiteURL):
        conn = sqlite3.connect(url.path)
        try:
            conn.execute(f"PRAGMA user_version = {version}")
        finally:
            conn.close()
        return
    await _pg(url.dsn, "UPDATE recall_schema SET version = $1", version)


async def _tables(url: DatabaseURL) -> set[str]:
    if isinstance(url, SQLiteURL):
        with sqlite3.connect(url.path) as conn:
            found = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        return {row[0] for row in found}
    records = await _pg(
        url.dsn,
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_name <> 'recall_schema'",
    )
    return {r[0] for r in records}


async def _columns(url: DatabaseURL, table: str) -> dict[str, str]:
    """Column name → declared type (lower case)."""
    if isinstance(url, SQLiteURL):
        with sqlite3.connect(url.path) as conn:
            found = conn.execute(f"PRAGMA table_info({table})").fetchall()
        return {row[1]: str(row[2]).lower() for row in found}
    records = await _pg(
        url.dsn,
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = $1",
        table,
    )
    return {r[0]: r[1] for r in records}


async def _indexes(url: DatabaseURL) -> set[str]:
    """Named indexes (not those SQLite or PostgreSQL make for a key or UNIQUE)."""
    if isinstance(url, SQLiteURL):
        with sqlite3.connect(url.path) as conn:
            found = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            ).fetchall()
        return {row[0] for row in found}
    records = await _pg(
        url.dsn,
        "SELECT indexname FROM pg_indexes i WHERE schemaname = 'public'"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    return {r[0] for r in records}


async def _triggers(url: DatabaseURL) -> set[str]:
    if isinstance(url, SQLiteURL):
        with sqlite3.connect(url.path) as conn:
            found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
        return {row[0] for row in found}
    records = await _pg(
        url.dsn,
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND NOT t.tgisinternal",
    )
    return {r[0] for r in records}


def _empty_url(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> DatabaseURL:
    """A database with nothing in it (not even the migrations)."""
    if backend == "sqlite":
        return SQLiteURL(tmp_path / "nested" / "deeper" / "recall.db")
    return PostgresURL(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseURL:
    """A new database of each backend, not migrated."""
    return _empty_url(request, tmp_path, request.param)


async def _migrate(store: Store) -> list[int]:
    """Run the migrations again on an open store; the versions applied."""
    if store.dialect is Dialect.SQLITE:
        return await migrate_sqlite(store)  # type: ignore[arg-type]
    return await migrate_postgres(store)  # type: ignore[arg-type]


# -- the files ----------------------------------------------------------------------------


def test_every_version_exists_for_both_dialects_without_gaps() -> None:
    for dialect in Dialect:
        loaded = load_migrations(dialect)
        assert [m.version for m in loaded] == list(range(1, LATEST + 1))
        assert loaded[0].name == "init"
    assert latest_version(Dialect.POSTGRES) == LATEST
    names = {p.name for p in MIGRATIONS_DIR.glob("V*.sql")}
    assert all(n.endswith((".sqlite.sql", ".postgres.sql")) or n.count(".") == 1 for n in names), (
        names
    )


# -- applying -------------------------------------------------------------------------------


async def test_both_dialects_migrate_from_empty(empty_url: DatabaseURL) -> None:
    store = await open_store(empty_url)
    try:
        assert await _version(empty_url) == LATEST
        assert await _tables(empty_url) == TABLES
        # Re-running applies nothing and keeps the data.
        await store.write(
            execute("INSERT INTO communities (platform, external_id) VALUES ('slack', 'T1')")
        )
        assert await _migrate(store) == []
    finally:
        await store.close()
    again = await open_store(empty_url)
    try:
        assert await again.read(value("SELECT external_id FROM communities")) == "T1"
        assert await _migrate(again) == []
    finally:
        await again.close()
    assert await _version(empty_url) == LATEST
    if isinstance(empty_url, SQLiteURL):
        assert empty_url.path.is_file()  # its folders were made


def _broken_after(monkeypatch: pytest.MonkeyPatch, keep: int) -> None:
    """``load_migrations`` gives the first ``keep`` real files, then a broken one."""
    real = load_migrations

    def patched(dialect: Dialect) -> list[Migration]:
        kept = real(dialect)[:keep]
        broken = Migration(
            version=len(kept) + 1,
            name="broken",
            sql=(
                "CREATE TABLE half_done (x integer);\n"
                "ALTER TABLE learners ADD COLUMN nickname text;\n"
                "INSERT INTO no_such_table VALUES (1);"
            ),
        )
        return [*kept, broken]

    monkeypatch.setattr(schema_module, "load_migrations", patched)


async def test_failing_migration_leaves_the_previous_version(
    database_url: DatabaseURL, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await open_store(database_url)
    try:
        await store.write(learners.ensure(Identity(Platform.DISCORD, "5"), START))
    finally:
        await store.close()

    _broken_after(monkeypatch, keep=LATEST)
    with pytest.raises(StorageError, match=f"V{LATEST + 1} \\(broken\\) failed.*no_such_table"):
        await open_store(database_url)
    monkeypatch.undo()

    assert await _version(database_url) == LATEST
    assert "half_done" not in await _tables(database_url)
    assert "nickname" not in await _columns(database_url, "learners")
    # With the broken file gone, the database opens normally, data intact.
    store = await open_store(database_url)
    try:
        assert await store.read(value("SELECT external_id FROM learners")) == "5"
    finally:
        await store.close()


async def test_failing_v2_on_an_empty_database_keeps_v1(
    empty_url: DatabaseURL, monkeypatch: pytest.MonkeyPatch
) -> None:
    _broken_after(monkeypatch, keep=1)
    with pytest.raises(StorageError) as caught:
        await open_store(empty_url)
    assert "\n" not in str(caught.value)
    monkeypatch.undo()
    assert await _version(empty_url) == 1
    assert "half_done" not in await _tables(empty_url)
    if isinstance(empty_url, SQLiteURL):  # PostgreSQL's schema starts at V5 (V1-V4 are empty)
        assert "learners" in await _tables(empty_url)


async def test_a_newer_database_is_refused_in_one_line(database_url: DatabaseURL) -> None:
    store = await open_store(database_url)
    await store.close()
    await _set_version(database_url, LATEST + 1)
    with pytest.raises(SchemaTooNew) as caught:
        await open_store(database_url)
    assert isinstance(caught.value, StorageError)  # run_bot's one-line handler catches it
    assert (caught.value.found, caught.value.known) == (LATEST + 1, LATEST)
    message = str(caught.value)
    assert "\n" not in message
    assert f"schema version {LATEST + 1}" in message
    assert await _version(database_url) == LATEST + 1  # left as it was


def test_a_newer_database_stops_the_bot_with_one_line(
    database_url: DatabaseURL, tmp_path: Path
) -> None:
    async def prepare() -> None:
        store = await open_store(database_url)
        await store.close()
        await _set_version(database_url, LATEST + 1)

    asyncio.run(prepare())
    raw = (
        f"sqlite:///{database_url.path}"
        if isinstance(database_url, SQLiteURL)
        else database_url.dsn
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO_ROOT),
            "DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.not-a-real-token-0123456789",
            "DATABASE_URL": raw,
            "CONTENT_DIR": str(CONTENT_DIR),
            # Nothing listens there: the database check must stop the start first.
            "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/",
        },
        timeout=120,
        check=False,
    )
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, lines
    assert f"schema version {LATEST + 1}" in lines[0]


# -- processes starting together ---------------------------------------------------------

_MIGRATE_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from bot.storage.schema import migrate_postgres, migrate_sqlite
    from bot.storage.postgres_store import PostgresStore
    from bot.storage.sqlite_store import SQLiteStore

    async def main(target: str) -> None:
        print("ready", flush=True)
        sys.stdin.readline()  # every process starts migrating at once
        if target.startswith("postgresql://"):
            store = await PostgresStore.connect(target)
            applied = await migrate_postgres(store)
        else:
            store = await SQLiteStore.connect(Path(target))
            applied = await migrate_sqlite(store)
        await store.close()
        print("applied", ",".join(map(str, applied)), flush=True)

    asyncio.run(main(sys.argv[1]))
    """
)


def _migrate_together(target: str, processes: int) -> list[list[int]]:
    """Start ``processes`` children that open and migrate ``target`` at the same moment."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATE_CHILD, target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        for _ in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        applied: list[list[int]] = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            line = out.strip().splitlines()[-1]
            assert line.startswith("applied"), out
            numbers = line.removeprefix("applied").strip()
            applied.append([int(n) for n in numbers.split(",") if n])
        return applied
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def _each_once(applied: list[list[int]]) -> None:
    every = sorted(v for versions in applied for v in versions)
    assert every == list(range(1, LATEST + 1)), applied


def test_four_processes_creating_one_sqlite_file_all_succeed(tmp_path: Path) -> None:
    for attempt in range(3):
        path = tmp_path / f"fresh-{attempt}" / "recall.db"
        _each_once(_migrate_together(str(path), 4))
        url = SQLiteURL(path)
        assert asyncio.run(_version(url)) == LATEST
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_two_processes_migrating_one_postgres_database(pg_url: str) -> None:
    _each_once(_migrate_together(pg_url, 2))
    rows = asyncio.run(_pg(pg_url, "SELECT version FROM recall_schema"))
    assert [r[0] for r in rows] == [LATEST]
    assert asyncio.run(_tables(PostgresURL(pg_url))) == TABLES


# -- V4 → V5 with data ------------------------------------------------------------------


BIG = 1234567890123456789  # a Discord snowflake: beyond 32 bits
OLD_LEARNERS = [
    # user_id, time_zone, xp, streak, best, freezes, last_active_date
    (111, "UTC", 120, 3, 5, 1, "2026-03-01"),
    (222, "Europe/Paris", 10, 0, 2, 0, None),
    (BIG, "Asia/Tokyo", 55, 4, 4, 0, "2026-02-20"),
    (444, "UTC", 0, 1, 1, 2, "2026-02-27"),
]


def _v4_database(path: Path) -> dict[str, int]:
    """A SQLite database built by the V1-V4 files, full of rows (old column names).

    Returns each table's row count.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        for migration in load_migrations(Dialect.SQLITE)[:4]:
            conn.executescript(f"BEGIN;\n{migration.sql}\n;COMMIT;")
        conn.execute("PRAGMA user_version = 4")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO learners (user_id, time_zone, xp, streak, best_streak, freezes,"
            " last_active_date, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            OLD_LEARNERS,
        )
        for user in (111, 222, BIG):
            conn.execute(
                "INSERT INTO card_states (user_id, deck_id, card_id, state, step, stability,"
                " difficulty, due, last_review, reps, lapses)"
                " VALUES (?, 'd', 'c', 2, NULL, 3.5, 5.0, 1000, 900, 2, 0)",
                (user,),
            )
        reviews = [
            # user, guild, card, correct, xp, session, step, at, concepts
            (111, 10, "c", 1, 10, 1, 0, 1_772_400_000, None),
            (111, 10, "e", 0, 2, 1, 1, 1_772_400_900, '["wsgi", "asgi"]'),
            (222, 20, "c", 1, 10, None, None, 1_772_401_000, None),
            (BIG, 20, "c", 1, 10, None, None, 1_772_402_000, None),
            (BIG, None, "c", 0, 2, None, None, 1_772_403_000, None),
            (BIG, BIG, "c", 1, 10, None, None, 1_772_404_000, None),
        ]
        conn.executemany(
            "INSERT INTO reviews (user_id, guild_id, deck_id, card_id, kind, rating, correct,"
            " xp, was_due, session_id, step, reviewed_at, concepts_missed)"
            " VALUES (?, ?, 'd', ?, 'mcq', 3, ?, ?, 0, ?, ?, ?, ?)",
            reviews,
        )
        conn.execute(
            "INSERT INTO quiz_sessions (id, user_id, guild_id, channel_id, deck_id, kind, queue,"
            " message_id, created_at, updated_at)"
            " VALUES (1, 111, 30, 555, 'd', 'mcq', '[[\"d\", \"c\"]]', 777, 0, 0)"
        )
        conn.execute(
            "INSERT INTO quiz_sessions (id, user_id, guild_id, channel_id, kind, queue,"
            " created_at, updated_at) VALUES (2, 222, NULL, NULL, 'mixed', '[]', 0, 0)"
        )
        conn.execute(
            "INSERT INTO guild_settings (guild_id, daily_channel_id, daily_time, daily_zone,"
            " updated_at) VALUES (40, 888, '09:00', 'UTC', 0)"
        )
        conn.execute(
            "INSERT INTO reminders (user_id, next_at, local_date, planned_zone, planned_time,"
            " updated_at) VALUES (111, 5000, '2026-03-02', 'UTC', '18:00', 0)"
        )
        conn.execute(
            "INSERT INTO reminder_sends (user_id, local_date, status, scheduled_at,"
            " claimed_at) VALUES (111, '2026-03-01', 'sent', 1, 1)"
        )
        conn.execute(
            "INSERT INTO daily_posts (id, guild_id, local_date, channel_id, deck_id, card_id,"
            " status, message_id, scheduled_at, claimed_at)"
            " VALUES (1, 50, '2026-03-01', 999, 'd', 'c', 'posted', 1001, 0, 0)"
        )
        conn.execute(
            "INSERT INTO daily_answers (post_id, user_id, choice, correct, answered_at)"
            " VALUES (1, 111, 0, 1, 0)"
        )
        conn.execute("COMMIT")
        counts = {}
        for table in (
            "learners",
            "card_states",
            "reviews",
            "quiz_sessions",
            "guild_settings",
            "reminders",
            "reminder_sends",
            "daily_posts",
            "daily_answers",
            "review_totals",
            "card_totals",
            "guild_learners",
            "guild_days",
            "concept_totals",
            "learner_totals",
            "learner_hours",
        ):
            counts[table] = int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        return counts
    finally:
        conn.close()


RENAMED = {
    "guild_settings": "community_settings",
    "guild_learners": "community_learners",
    "guild_days": "community_days",
}
LEARNER_TABLES = (
    "card_states",
    "reviews",
    "quiz_sessions",
    "reminders",
    "reminder_sends",
    "daily_answers",
    "review_totals",
    "community_learners",
    "community_days",
)
DROPPED = {"learner_totals", "learner_hours"}
"""V4 tables a later migration dropped (V11: /quiz stats reads the log's index)."""


async def test_a_v4_database_full_of_data_migrates_to_v5(tmp_path: Path) -> None:
    path = tmp_path / "recall.db"
    before = _v4_database(path)
    assert all(before.values()), before  # every table has rows (the V4 triggers filled some)
    store = await open_store(SQLiteURL(path))
    try:
        assert await _version(SQLiteURL(path)) == LATEST

        def count(table: str) -> Script[int]:
            return int((yield from value(f"SELECT COUNT(*) FROM {table}")))

        for table, number in before.items():
            if table not in DROPPED:
                assert await store.read(count(RENAMED.get(table, table))) == number, table

        def read_all(sql: str) -> Script[list[tuple[Any, ...]]]:
            found = yield from rows(sql)
            return [tuple(cast("Iterable[Any]", r)) for r in found]

        # Learners keep their snowflake as internal id and get it as Discord identity.
        found = await store.read(
            read_all(
                "SELECT id, platform, external_id, streak, best_streak, freezes,"
                " last_active_date, streak_alive_until FROM learners ORDER BY id"
            )
        )
        assert [(r[0], r[1], r[2]) for r in found] == [
            (u, "discord", str(u)) for u, *_ in sorted(OLD_LEARNERS)
        ]
        for _id, _p, _e, streak, best, freezes, last, until in found:
            state = StreakState(
                current=streak,
                best=best,
                freezes=freezes,
                last_active=date.fromisoformat(last) if last else None,
            )
            expected = alive_until(state)
            assert until == (expected.isoformat() if expected else None), (_id, until)
        assert found[0][-1] is not None and found[1][-1] is None  # both cases occur

        # A community for every guild id that appeared anywhere.
        communities = await store.read(
            read_all("SELECT id, platform, external_id FROM communities ORDER BY id")
        )
        assert communities == [(g, "discord", str(g)) for g in sorted({10, 20, 30, 40, 50, BIG})]

        # Channels and messages are text now.
        assert await store.read(
            read_all("SELECT community_id, channel, message FROM quiz_sessions ORDER BY id")
        ) == [(30, "555", "777"), (None, None, None)]
        assert await store.read(
            read_all("SELECT community_id, daily_channel FROM community_settings")
        ) == [(40, "888")]
        assert await store.read(
            read_all("SELECT community_id, channel, message FROM daily_posts")
        ) == [(50, "999", "1001")]
        types = await _columns(SQLiteURL(path), "quiz_sessions")
        assert (types["channel"], types["message"]) == ("text", "text")
        assert await store.read(
            read_all("SELECT learner_id, community_id FROM reviews WHERE community_id = 20")
        ) == [(222, 20), (BIG, 20)]

        # The new triggers carry on where V4's stopped.
        await store.write(
            execute(
                "INSERT INTO reviews (learner_id, community_id, deck_id, card_id, kind, rating,"
                " correct, xp, was_due, reviewed_at) VALUES (222, 10, 'd', 'c', 'mcq', 3, 1,"
                " 10, 0, 1772405000)"
            )
        )
        assert await store.read(
            read_all(
                "SELECT reviews, xp FROM community_learners"
                " WHERE community_id = 10 AND learner_id = 222"
            )
        ) == [(1, 10)]

        # Foreign keys still cascade from the renamed learners.id.
        assert await store.write(learners.delete(111)) is True
        for table in LEARNER_TABLES:
            left = await store.read(count(f"{table} WHERE learner_id = 111"))
            assert left == 0, table
        assert await store.read(count("reviews")) == before["reviews"] + 1 - 2
    finally:
        await store.close()


# -- parity -------------------------------------------------------------------------------

_COMPATIBLE = {
    "integer": {"integer", "bigint"},
    "text": {"text"},
    "real": {"double precision", "real"},
}


async def test_sqlite_and_postgres_have_the_same_schema(tmp_path: Path, pg_url: str) -> None:
    lite = SQLiteURL(tmp_path / "recall.db")
    pg = PostgresURL(pg_url)
    for url in (lite, pg):
        store = await open_store(url)
        await store.close()
    tables = await _tables(lite)
    assert tables == await _tables(pg) == TABLES
    for table in sorted(tables):
        mine, theirs = await _columns(lite, table), await _columns(pg, table)
        assert set(mine) == set(theirs), table
        for column, declared in mine.items():
            assert theirs[column] in _COMPATIBLE[declared], (table, column, declared)
    assert await _indexes(lite) == await _indexes(pg)
    assert await _triggers(lite) == await _triggers(pg)


# -- DATABASE_URL ----------------------------------------------------------------------------


def test_sqlite_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_database_url("sqlite:///data/recall.db", base=tmp_path) == SQLiteURL(
        tmp_path / "data" / "recall.db"
    )
    assert parse_database_url("sqlite:////srv/recall/recall.db") == SQLiteURL(
        Path("/srv/recall/recall.db")
    )
    monkeypatch.chdir(tmp_path)
    assert parse_database_url("sqlite:///recall.db") == SQLiteURL(tmp_path / "recall.db")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://recall:pw@db.example:5433/recall",
        "postgres://recall@localhost/recall",
        "postgresql://localhost/recall?sslmode=require",
    ],
)
def test_postgres_urls(url: str) -> None:
    parsed = parse_database_url(url)
    assert isinstance(parsed, PostgresURL)
    assert parsed.dsn == url


def test_postgres_url_never_shows_its_password() -> None:
    parsed = parse_database_url("postgresql://recall:hunter2-secret@db.example:5433/recall")
    assert isinstance(parsed, PostgresURL)
    for shown in (repr(parsed), str(parsed), parsed.describe(), f"{parsed!r}"):
        assert "hunter2-secret" not in shown
    assert parsed.describe() == "PostgreSQL db.example:5433/recall"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://recall:hunter2-secret@db.example:notaport/recall", "port"),
        ("postgresql://recall:hunter2-secret@db.example:99999/recall", "port"),
        ("postgresql://recall:hunter2-secret@db.example:5432/", "names no database"),
        ("postgresql://recall:hunter2-secret@db.example:5432", "names no database"),
        ("", "sqlite"),
        ("recall.db", "sqlite"),
        ("mysql://recall:hunter2-secret@db/recall", "sqlite"),
        ("sqlite://recall.db", "sqlite"),
        ("sqlite:///", "names no database file"),
        ("sqlite:///data/", "names no database file"),
        ("sqlite:///recall.db?mode=ro", "cannot be part of a file path"),
        ("sqlite:///bad\x00name.db", "cannot be part of a file path"),
    ],
)
def test_bad_urls_are_refused_without_the_password(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        parse_database_url(url)
    assert "hunter2-secret" not in str(caught.value)
    assert "\n" not in str(caught.value)


# -- V11: fewer b-trees per answer ------------------------------------------------------------


async def _report_snapshot(store: Store) -> list[object]:
    """Every board page, the class view and the due cards, as the services return them."""
    reports = ReportService(store, small_library(), FakeClock(NOW))
    seen: list[object] = []
    for period in Period:
        for metric in Metric:
            for deck in (None, "alpha"):
                for page in (0, 1):
                    seen.append(
                        await reports.leaderboard(
                            server(GUILD),
                            period,
                            metric,
                            deck,
                            page,
                            viewer=person(3),
                            page_size=3,
                        )
                    )
    for deck in (None, "alpha"):
        seen.append(await reports.class_progress(server(GUILD), deck))

    def due_cards() -> Script[list[object]]:
        found: list[object] = []
        for user in range(1, 9):
            learner = yield from learners.ensure(person(user), NOW)
            found.append((yield from card_states.due(learner.id, NOW, 20)))
            found.append((yield from card_states.count_due(learner.id, NOW)))
            found.append((yield from card_states.next_due(learner.id)))
        return found

    seen.extend(await store.write(due_cards()))
    return seen


async def test_a_database_full_of_data_drops_the_answer_indexes_with_the_same_reports(
    empty_url: DatabaseURL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration that drops the indexes each answer moved (answer_indexes) runs on
    a database full of rows, and every board page, the class view and the due cards
    read the same afterwards as before it."""
    everything = schema_module.load_migrations
    [drop] = [m for m in everything(Dialect.SQLITE) if m.name == "answer_indexes"]
    monkeypatch.setattr(
        schema_module,
        "load_migrations",
        lambda dialect: [m for m in everything(dialect) if m.version < drop.version],
    )
    store = await open_store(empty_url)
    try:
        await add_reviews(
            store,
            [
                Review(
                    user,
                    at=NOW - timedelta(days=(user * 7 + k * 3) % 40, minutes=user * 11 + k),
                    deck_id=("alpha", "beta")[k % 2],
                    card_id=("a1", "a2", "b1")[k % 3] if k % 2 == 0 else "b1",
                    correct=(user + k) % 3 != 0,
                    xp=5 + (user * k) % 11,
                )
                for user in range(1, 9)
                for k in range(user + 3)
            ],
        )
        for user, zone, streak in ((2, "Asia/Kolkata", 4), (3, "UTC", 2), (5, "UTC", 0)):
            await set_state(
                store,
                user,
                zone,
                StreakState(current=streak, best=streak, last_active=NOW.date()),
            )

        def memories() -> Script[None]:
            for user in range(1, 9):
                learner = yield from learners.ensure(person(user), NOW)
                for k, card in enumerate(("a1", "a2")):
                    yield from execute(
                        "INSERT INTO card_states (learner_id, deck_id, card_id, state, step,"
                        " stability, difficulty, due, last_review, reps, lapses, community_id)"
                        " VALUES (?, 'alpha', ?, 2, NULL, ?, 5.0, ?, ?, 1, 0,"
                        " (SELECT id FROM communities WHERE external_id = ?))",
                        learner.id,
                        card,
                        1.5 + user + k,
                        to_epoch(NOW) + (user - 4) * 86_400 + k * 3_600,
                        to_epoch(NOW) - 86_400 * (user + k),
                        str(GUILD),
                    )

        await store.write(memories())
        before = await _report_snapshot(store)
    finally:
        await store.close()
    monkeypatch.setattr(schema_module, "load_migrations", everything)
    store = await open_store(empty_url)
    try:
        assert await _version(empty_url) == LATEST
        after = await _report_snapshot(store)
    finally:
        await store.close()
    assert after == before
    assert any(isinstance(p, LeaderboardPage) and p.rows for p in before)
