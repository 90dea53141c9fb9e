"""Pytest plugin: a throwaway PostgreSQL for the run, and a fresh empty database per test.

Loaded by ``tests/conftest.py`` (``pytest_plugins``). Fixtures:

- ``pg_server`` (session): the server every PostgreSQL test of the run shares.
  Started on first use only (a run that selects no PostgreSQL test starts
  nothing) by :class:`tests.pgserver.PgServer`, and stopped at the end of the
  session, also when the run fails or is interrupted by Ctrl-C or SIGTERM
  (a run killed with SIGKILL leaves it to the next run, which reaps it). With
  ``RECALL_TEST_POSTGRES_URL=postgresql://...`` set, that server is used
  instead; its role needs ``CREATEDB``.
- ``pg_url`` (test): the DSN of a new empty database, dropped after the test.
- ``pg_databases`` (test): a factory for tests that need several databases,
  or one copied from a template: ``pg_databases()`` or
  ``pg_databases(template="recall_migrated")``; each is dropped after the test.

Every test that uses one of them gets the ``postgres`` marker, so
``pytest -m "not postgres"`` leaves them out.

When the machine has no PostgreSQL server binaries, these tests are skipped
with the reason; with ``CI=true`` they fail instead (issue 10: CI must not go
green without running them).

Databases are created by one admin connection held by a helper thread with its
own event loop, so the fixtures work for sync and async tests alike and do not
touch pytest-asyncio's per-test loops. A database costs one ``CREATE
DATABASE`` (``STRATEGY FILE_COPY`` on PostgreSQL 15+, the faster one for a
small template) and one ``DROP DATABASE ... WITH (FORCE)``, which also ends
connections a test forgot to close.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.pgserver import (
    PgBinaries,
    PgServer,
    PgServerError,
    find_binaries,
    missing_binaries_message,
)

POSTGRES_URL_ENV = "RECALL_TEST_POSTGRES_URL"
"""Set to a running server's DSN to use it instead of starting one."""

POSTGRES_FIXTURES = frozenset({"pg_binaries", "pg_server", "pg_admin", "pg_databases", "pg_url"})
"""Fixtures that need PostgreSQL: a test using any of them is marked ``postgres``."""

_T = TypeVar("_T")


def running_in_ci() -> bool:
    """True when ``CI`` is set to true (GitHub Actions, GitLab and our ``.ci/run`` set it)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def with_database(dsn: str, database: str) -> str:
    """``dsn`` with its database replaced by ``database`` (user, host, port and options kept)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


@dataclass(frozen=True)
class PgCluster:
    """The server the tests use: its superuser DSN, and our own server when we started it."""

    dsn: str
    server: PgServer | None = None


class PgAdmin:
    """Creates and drops the tests' databases over one connection, on a thread of its own.

    The thread runs its own event loop, so the calls here are plain blocking
    calls, usable from any fixture or test whatever loop it runs in.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pg-admin", daemon=True)
        self._thread.start()
        self._prefix = f"recall_t{os.getpid()}_{secrets.token_hex(3)}_"
        self._count = 0
        self._live: set[str] = set()
        try:
            self._conn: asyncpg.Connection = self._call(asyncpg.connect(dsn, timeout=30))
            self._file_copy = self._conn.get_server_version() >= (15, 0)
        except BaseException:
            self._stop_loop()
            raise

    def create(self, template: str = "template0") -> str:
        """Create a new database copied from ``template``; return its DSN.

        A template other than ``template0`` must have no open connection while
        it is copied (PostgreSQL refuses otherwise).
        """
        self._count += 1
        name = f"{self._prefix}{self._count}"
        strategy = " STRATEGY FILE_COPY" if self._file_copy else ""
        self._call(
            self._conn.execute(
                f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(template)}{strategy}"
            )
        )
        self._live.add(name)
        return with_database(self.dsn, name)

    def drop(self, dsn: str) -> None:
        """Drop a database made by :meth:`create`, ending any connection still open to it."""
        name = urlsplit(dsn).path.lstrip("/")
        self._call(self._conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)"))
        self._live.discard(name)

    def close(self) -> None:
        """Drop the databases left (on a user's own server), close the connection, end the loop."""
        try:
            for name in sorted(self._live):
                self.drop(with_database(self.dsn, name))
            self._call(self._conn.close())
        finally:
            self._stop_loop()

    def _call(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=120)

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


def _quote(identifier: str) -> str:
    """A quoted SQL identifier (database names cannot be bound as parameters)."""
    return '"' + identifier.replace('"', '""') + '"'


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a PostgreSQL fixture ``postgres`` (for ``-m``)."""
    for item in items:
        if POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


def require_binaries() -> PgBinaries:
    """The machine's server binaries; without them skip the test, or fail it with ``CI=true``."""
    binaries = find_binaries()
    if binaries is None:
        if running_in_ci():
            pytest.fail(
                f"CI=true and no PostgreSQL to test on: {missing_binaries_message()}",
                pytrace=False,
            )
        pytest.skip(missing_binaries_message())
    return binaries


@pytest.fixture(scope="session")
def pg_binaries() -> PgBinaries:
    """The server binaries, for tests of :mod:`tests.pgserver` itself (:func:`require_binaries`)."""
    return require_binaries()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgCluster]:
    """The run's PostgreSQL: ``RECALL_TEST_POSTGRES_URL``, or a throwaway server of our own.

    No server binaries: skip (fail with ``CI=true``). Binaries that fail to
    start a server always fail: that is a broken machine, not a missing tool.
    """
    external = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if external:
        yield PgCluster(dsn=external)
        return
    binaries = require_binaries()
    try:
        server = PgServer.start(binaries)
    except PgServerError as error:
        pytest.fail(f"could not start a throwaway PostgreSQL: {error}", pytrace=False)
    try:
        with _sigterm_as_keyboard_interrupt():
            yield PgCluster(dsn=server.dsn, server=server)
    finally:
        server.stop()


@contextlib.contextmanager
def _sigterm_as_keyboard_interrupt() -> Iterator[None]:
    """While inside, SIGTERM (a CI timeout, ``kill``) interrupts pytest like Ctrl-C.

    By default SIGTERM ends Python at once, without teardown or ``atexit``, and
    the server would outlive the run. As a KeyboardInterrupt, pytest stops the
    run and tears down its fixtures, this one included. A handler someone else
    installed is kept.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="session")
def pg_admin(pg_server: PgCluster) -> Iterator[PgAdmin]:
    """The session's database maker (see :class:`PgAdmin`)."""
    admin = PgAdmin(pg_server.dsn)
    try:
        yield admin
    finally:
        admin.close()


@pytest.fixture
def pg_databases(pg_admin: PgAdmin) -> Iterator[Callable[..., str]]:
    """A factory of new databases for this test: ``pg_databases(template=...)`` returns a DSN."""
    made: list[str] = []

    def make(template: str = "template0") -> str:
        dsn = pg_admin.create(template)
        made.append(dsn)
        return dsn

    try:
        yield make
    finally:
        for dsn in made:
            pg_admin.drop(dsn)


@pytest.fixture
def pg_url(pg_databases: Callable[..., str]) -> str:
    """The DSN of a new empty database, dropped after the test."""
    return pg_databases()
