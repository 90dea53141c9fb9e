"""Shared engine fixtures: a fixed clock, a real SQLite file, the shipped deck, an engine.

Everything here is deterministic: the clock stands still until a test moves it,
FSRS fuzzing is off, each test gets its own database file in ``tmp_path``, and
Hypothesis draws the same examples on every run and machine (the ``deterministic``
profile below; ``HYPOTHESIS_PROFILE=explore`` draws fresh ones, to hunt for bugs).
End-to-end tests use the same fixtures, so keep them small. The fake-Discord
fixtures (``fake_discord``, ``study_hall``) are re-exported here for them.
The PostgreSQL fixtures (``pg_url``, ``pg_databases``) come from the plugin
``tests/pgfixtures.py``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from hypothesis import settings

from bot.core.clock import FakeClock
from bot.core.scheduling import CardScheduler
from bot.decks import DeckLibrary
from bot.sessions import StudyEngine
from bot.storage import Database
from tests.fakediscord.fixtures import fake_discord, study_hall  # noqa: F401  (e2e fixtures)

# Loaded before any test module is imported, so every @settings(...) in the suite
# inherits it: a verdict never depends on which examples a run happened to draw.
# No example database either: one machine's saved failures would replay there only.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

# PostgreSQL: a throwaway server for the run and a fresh database per test (pg_url, ...).
pytest_plugins = ["tests.pgfixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = REPO_ROOT / "content"
SHIPPED_DECK = "django-wsgi-asgi"
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
"""The instant every test starts at (a Monday, noon UTC)."""


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at :data:`START`; tests move it with ``set`` or ``advance``."""
    return FakeClock(START)


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in a fresh file, closed after the test."""
    database = await Database.open(tmp_path / "recall.db")
    try:
        yield database
    finally:
        await database.close()


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
def engine(
    db: Database, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock
) -> StudyEngine:
    """The study engine over :func:`db`, the shipped decks and :func:`clock`."""
    return StudyEngine(db, library, scheduler, clock)
