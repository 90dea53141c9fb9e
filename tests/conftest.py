"""Shared engine fixtures: a fixed clock, a real database, the shipped deck, the services.

Every test that touches the database runs twice, on SQLite and on PostgreSQL:
``database_url`` is parametrized by backend (test ids ``[sqlite]`` and
``[postgres]``), and ``store`` opens and migrates it. SQLite gets a new file in
``tmp_path``; PostgreSQL a new database copied from one migrated once per run
(13 ms instead of running the migrations for each test).

Everything here is deterministic: the clock stands still until a test moves it,
FSRS fuzzing is off, each test gets its own database, and
Hypothesis draws the same examples on every run and machine (the ``deterministic``
profile below; ``HYPOTHESIS_PROFILE=explore`` draws fresh ones, to hunt for bugs).
End-to-end tests use the same fixtures, so keep them small. The fake-Discord
fixtures (``fake_discord``, ``study_hall``) are re-exported here for them.
The PostgreSQL fixtures (``pg_url``, ``pg_databases``) come from the plugin
``tests/pgfixtures.py``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from hypothesis import settings

from bot.core.clock import FakeClock
from bot.core.scheduling import CardScheduler
from bot.decks import DeckLibrary
from bot.services.study import StudyService
from bot.storage import DatabaseURL, PostgresURL, SQLiteURL, Store, open_store
from tests.fakediscord.fixtures import fake_discord, study_hall  # noqa: F401  (e2e fixtures)

if TYPE_CHECKING:
    # Only for the annotation: pytest loads the plugin itself (pytest_plugins below),
    # and importing it first would stop pytest from rewriting its asserts.
    from tests.pgfixtures import PgAdmin

# Loaded before any test module is imported, so every @settings(...) in the suite
# inherits it: a verdict never depends on which examples a run happened to draw.
# No example database either: one machine's saved failures would replay there only.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

# PostgreSQL: a throwaway server for the run and a fresh database per test (pg_url, ...);
# the read models' fixtures (env, fresh_databases) from tests/review_rows.py.
pytest_plugins = ["tests.pgfixtures", "tests.review_rows"]

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = REPO_ROOT / "content"
SHIPPED_DECK = "django-wsgi-asgi"
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
"""The instant every test starts at (a Monday, noon UTC)."""


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at :data:`START`; tests move it with ``set`` or ``advance``."""
    return FakeClock(START)


BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def pg_template(pg_admin: PgAdmin) -> str:
    """A PostgreSQL database migrated to the newest schema, to copy for each test."""
    dsn = pg_admin.create()

    async def migrate() -> None:
        store = await open_store(PostgresURL(dsn))
        await store.close()

    # In a thread of its own: this may be set up while a test's event loop runs.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, migrate()).result()
    return urlsplit(dsn).path.lstrip("/")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseURL:
    """A new, empty database of each backend in turn (migrated on PostgreSQL)."""
    if request.param == "sqlite":
        return SQLiteURL(tmp_path / "data" / "recall.db")
    template = request.getfixturevalue("pg_template")
    return PostgresURL(request.getfixturevalue("pg_databases")(template=template))


@pytest.fixture
def backend(database_url: DatabaseURL) -> str:
    """``sqlite`` or ``postgres``: the backend of this run of the test."""
    return "sqlite" if isinstance(database_url, SQLiteURL) else "postgres"


@pytest_asyncio.fixture
async def store(database_url: DatabaseURL) -> AsyncIterator[Store]:
    """The test's database, open and migrated; closed after the test."""
    opened = await open_store(database_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(scope="session")
def library() -> DeckLibrary:
    """The decks shipped in ``content/`` (they must load without problems)."""
    loaded, problems = DeckLibrary.load(CONTENT_DIR)
    assert not problems, problems
    assert SHIPPED_DECK in loaded
    return loaded


@pytest.fixture
def scheduler() -> CardScheduler:
    """FSRS with default parameters and no fuzzing, so intervals are exact."""
    return CardScheduler(fuzz=False)


@pytest.fixture
def study(
    store: Store, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock
) -> StudyService:
    """The study service over :func:`store`, the shipped decks and :func:`clock`."""
    return StudyService(store, library, scheduler, clock)
