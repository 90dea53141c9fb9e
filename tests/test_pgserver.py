"""The PostgreSQL test infrastructure itself: tests/pgserver.py and tests/pgfixtures.py.

The ``postgres`` tests here run against the run's throwaway server (or
``RECALL_TEST_POSTGRES_URL``); the others check how binaries are found and
what happens when there are none, without any server.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from tests import pgfixtures
from tests.pgfixtures import PgAdmin, PgCluster, require_binaries, with_database
from tests.pgserver import OWNER_FILE, PgBinaries, PgServer, find_binaries, reap_orphans


async def test_pg_url_is_an_empty_database_we_can_write(
    pg_url: str, request: pytest.FixtureRequest
) -> None:
    assert request.node.get_closest_marker("postgres") is not None  # set by the plugin
    conn = await asyncpg.connect(pg_url)
    try:
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert tables == 0
        await conn.execute("CREATE TABLE cards (id integer PRIMARY KEY, front text NOT NULL)")
        await conn.executemany(
            "INSERT INTO cards (id, front) VALUES ($1, $2)", [(1, "WSGI"), (2, "ASGI")]
        )
        rows = await conn.fetch("SELECT id, front FROM cards ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, "WSGI"), (2, "ASGI")]
        assert await conn.fetchval("SELECT current_database()") == pg_url.rsplit("/", 1)[1]
    finally:
        await conn.close()


async def test_two_databases_are_isolated(pg_databases: Callable[..., str]) -> None:
    first, second = pg_databases(), pg_databases()
    assert first != second
    a = await asyncpg.connect(first)
    b = await asyncpg.connect(second)
    try:
        await a.execute("CREATE TABLE learners (id bigint PRIMARY KEY)")
        await a.execute("INSERT INTO learners VALUES (42)")
        assert await b.fetchval("SELECT to_regclass('public.learners')") is None
        await b.execute("CREATE TABLE learners (id bigint PRIMARY KEY)")
        assert await b.fetchval("SELECT count(*) FROM learners") == 0
        assert await a.fetchval("SELECT count(*) FROM learners") == 1
    finally:
        await a.close()
        await b.close()


async def test_a_database_copied_from_a_template_has_its_tables(
    pg_databases: Callable[..., str],
) -> None:
    template = pg_databases()
    conn = await asyncpg.connect(template)
    try:
        await conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        await conn.execute("INSERT INTO schema_version VALUES (7)")
    finally:
        await conn.close()  # a template must have no open connection while it is copied
    copy = pg_databases(template=template.rsplit("/", 1)[1])
    conn = await asyncpg.connect(copy)
    try:
        assert await conn.fetchval("SELECT version FROM schema_version") == 7
    finally:
        await conn.close()


async def test_dropping_ends_connections_a_test_left_open(
    pg_admin: PgAdmin, pg_server: PgCluster
) -> None:
    dsn = pg_admin.create()
    leaked = await asyncpg.connect(dsn)
    pg_admin.drop(dsn)  # must not hang or fail on the open connection
    assert leaked.is_closed() or not await _still_usable(leaked)
    admin = await asyncpg.connect(pg_server.dsn)
    try:
        name = dsn.rsplit("/", 1)[1]
        assert (
            await admin.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name) == 0
        )
    finally:
        await admin.close()
        leaked.terminate()


async def _still_usable(conn: asyncpg.Connection) -> bool:
    try:
        await conn.fetchval("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError, OSError):
        return False
    return True


def test_server_stops_and_leaves_nothing_behind(pg_binaries: PgBinaries) -> None:
    server = PgServer.start(pg_binaries)
    pid = int((server.datadir / "postmaster.pid").read_text().split()[0])
    assert (server.socket_dir / f".s.PGSQL.{server.port}").exists()
    server.stop()
    assert not server.base.exists()
    assert not _running(pid)
    server.stop()  # idempotent: the fixture's teardown and atexit may both call it


def test_a_cluster_whose_run_died_is_reaped_by_the_next_start(pg_binaries: PgBinaries) -> None:
    server = PgServer.start(pg_binaries)
    pid = int((server.datadir / "postmaster.pid").read_text().split()[0])
    finished = subprocess.Popen(["true"])  # a pid that has just exited
    finished.wait()
    (server.base / OWNER_FILE).write_text(f"{finished.pid}\n")  # as if its run was SIGKILLed
    try:
        assert server.base in reap_orphans(pg_binaries, str(server.base.parent))
        assert not server.base.exists()
        assert not _running(pid)
    finally:
        server.stop()


def test_a_cluster_whose_run_is_alive_is_left_alone(pg_binaries: PgBinaries) -> None:
    server = PgServer.start(pg_binaries)
    try:
        assert server.base not in reap_orphans(pg_binaries, str(server.base.parent))
        assert (server.datadir / "postmaster.pid").exists()
    finally:
        server.stop()


def test_a_stale_pid_file_never_signals_another_program(
    pg_binaries: PgBinaries, tmp_path: Path
) -> None:
    base = tmp_path / "recall-pg-stale"
    (base / "data").mkdir(parents=True)
    bystander = subprocess.Popen(["sleep", "60"])  # has the pid a dead postmaster had
    try:
        (base / "data" / "postmaster.pid").write_text(f"{bystander.pid}\n{base / 'data'}\n")
        (base / OWNER_FILE).write_text("999999999\n")  # no such process: an orphan
        assert reap_orphans(pg_binaries, str(tmp_path)) == [base]
        assert bystander.poll() is None, "the bystander was killed"
    finally:
        bystander.kill()
        bystander.wait()


def _running(pid: int) -> bool:
    """True while ``pid`` is a live process (a zombie waiting for its reaper is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_with_database_keeps_everything_but_the_database() -> None:
    assert (
        with_database("postgresql://bot:pw@db.example:6543/recall?sslmode=disable", "t1")
        == "postgresql://bot:pw@db.example:6543/t1?sslmode=disable"
    )


def _fake_bindir(
    directory: Path, names: tuple[str, ...] = ("initdb", "pg_ctl", "postgres")
) -> Path:
    directory.mkdir(parents=True)
    for name in names:
        tool = directory / name
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    return directory


def test_binaries_on_path_come_first(tmp_path: Path) -> None:
    on_path = _fake_bindir(tmp_path / "local" / "bin")
    _fake_bindir(tmp_path / "lib" / "postgresql" / "16" / "bin")
    found = find_binaries(path=str(on_path), bindirs=str(tmp_path / "lib/postgresql/*/bin"))
    assert found == PgBinaries(initdb=on_path / "initdb", pg_ctl=on_path / "pg_ctl")


def test_the_newest_debian_version_wins_compared_as_numbers(tmp_path: Path) -> None:
    for version in ("9.6", "15", "13"):
        _fake_bindir(tmp_path / "postgresql" / version / "bin")
    _fake_bindir(tmp_path / "postgresql" / "17" / "bin", names=("initdb",))  # no pg_ctl: unusable
    found = find_binaries(path=str(tmp_path / "empty"), bindirs=str(tmp_path / "postgresql/*/bin"))
    assert found is not None
    assert found.bindir == tmp_path / "postgresql" / "15" / "bin"


def test_no_binaries_anywhere_is_none(tmp_path: Path) -> None:
    assert find_binaries(path=str(tmp_path), bindirs=str(tmp_path / "nothing/*/bin")) is None


def test_missing_binaries_skip_the_test_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgfixtures, "find_binaries", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="initdb, pg_ctl"):
        require_binaries()


def test_missing_binaries_fail_the_run_with_ci_true(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgfixtures, "find_binaries", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and no PostgreSQL"):
        require_binaries()


def test_tests_without_postgres_fixtures_are_not_marked(request: pytest.FixtureRequest) -> None:
    # `-m "not postgres"` must keep this test: it uses no PostgreSQL fixture.
    assert request.node.get_closest_marker("postgres") is None
