"""Test data for the read models: learners and review rows written through storage.

Direct INSERTs (rather than running sessions) let a test place a review at an exact
second, in an exact community and deck, with an exact outcome. They go through the
:class:`~bot.storage.Store` as transaction scripts, so they run on both backends and
the roll-up triggers of each dialect do the rest. Tests name learners and communities
by plain numbers; the Discord identity is that number as text.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import FakeClock
from bot.core.learner import Identity, Platform
from bot.core.streaks import StreakState, alive_until
from bot.decks import Deck, DeckLibrary
from bot.services.reports import ReportService
from bot.storage import DatabaseURL, PostgresURL, SQLiteURL, Store, communities, learners
from bot.storage.codec import to_epoch
from bot.storage.script import Dialect, Script, execute, execute_many, rows

GUILD = 1001
OTHER_GUILD = 2002
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
"""A Wednesday noon UTC; the instant the views are computed at, unless a test says."""


def person(user_id: int) -> Identity:
    """The Discord identity of test learner ``user_id``."""
    return Identity(Platform.DISCORD, str(user_id))


def server(guild_id: int) -> Identity:
    """The Discord identity of test community ``guild_id``."""
    return Identity(Platform.DISCORD, str(guild_id))


@dataclass(frozen=True)
class Review:
    """One row of the ``reviews`` table, with defaults for what a test does not care about."""

    user_id: int
    at: datetime = NOW
    guild_id: int | None = GUILD
    deck_id: str = "alpha"
    card_id: str = "a1"
    correct: bool = True
    xp: int = 10
    kind: str = "flashcard"
    missed: tuple[str, ...] | None = None
    raw_missed: str | None = None
    """Stored as-is in ``concepts_missed`` (to test corrupt rows); overrides ``missed``."""


@dataclass
class Env:
    """A test's database, the report service over it and the clock it reads."""

    store: Store
    reports: ReportService
    clock: FakeClock

    def at(self, now: datetime) -> ReportService:
        """The report service with the clock moved to ``now``."""
        self.clock.set(now)
        return self.reports


@pytest.fixture
def env(store: Store, clock: FakeClock) -> Env:
    """The test's store (either backend), reports over :func:`small_library`, at NOW."""
    clock.set(NOW)
    return Env(store, ReportService(store, small_library(), clock), clock)


@pytest.fixture(params=("sqlite", "postgres"))
def fresh_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], DatabaseURL]:
    """A maker of new, empty databases of each backend in turn (for property tests,
    which need one per example; PostgreSQL's are copies of the migrated template)."""
    counter = itertools.count()
    if request.param == "sqlite":
        return lambda: SQLiteURL(tmp_path / f"example-{next(counter)}" / "recall.db")
    template = request.getfixturevalue("pg_template")
    make = request.getfixturevalue("pg_databases")
    return lambda: PostgresURL(make(template=template))


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # PostgreSQL's SUM is numeric (Decimal); SQLite's an int: compare them as ints.
    return tuple(v if v is None or isinstance(v, str) else int(v) for v in row)


_CONCEPTS_FROM_LOG = {
    Dialect.SQLITE: (
        "SELECT r.community_id, r.deck_id, r.card_id, j.value, COUNT(*)"
        " FROM reviews r, json_each(r.concepts_missed) j WHERE r.community_id IS NOT NULL"
        " AND r.concepts_missed IS NOT NULL AND json_valid(r.concepts_missed)"
        " AND j.type = 'text' GROUP BY 1, 2, 3, 4"
    ),
    Dialect.POSTGRES: (
        "SELECT r.community_id, r.deck_id, r.card_id, j.raw #>> '{}', COUNT(*)"
        " FROM reviews r CROSS JOIN LATERAL json_array_elements(r.concepts_missed::json) j(raw)"
        " WHERE r.community_id IS NOT NULL AND left(r.concepts_missed, 1) = '['"
        " AND json_typeof(j.raw) = 'string' GROUP BY 1, 2, 3, 4"
    ),
}


async def rollups_match_the_log(store: Store) -> None:
    """Every roll-up table equals its recomputation from the review log (what a fresh
    backfill would make), on either backend."""
    checks: dict[str, str | dict[Dialect, str]] = {
        "SELECT community_id, learner_id, deck_id, reviews, correct, xp, last_at"
        " FROM review_totals": (
            "SELECT community_id, learner_id, deck_id, COUNT(*), SUM(correct), SUM(xp),"
            " MAX(reviewed_at) FROM reviews WHERE community_id IS NOT NULL GROUP BY 1, 2, 3"
        ),
        "SELECT community_id, deck_id, card_id, attempts, wrong FROM card_totals": (
            "SELECT community_id, deck_id, card_id, COUNT(*), SUM(1 - correct)"
            " FROM reviews WHERE community_id IS NOT NULL GROUP BY 1, 2, 3"
        ),
        "SELECT community_id, learner_id, reviews, correct, xp, last_at FROM community_learners": (
            "SELECT community_id, learner_id, COUNT(*), SUM(correct), SUM(xp), MAX(reviewed_at)"
            " FROM reviews WHERE community_id IS NOT NULL GROUP BY 1, 2"
        ),
        "SELECT community_id, day, learner_id, reviews, correct, xp FROM community_days": (
            "SELECT community_id, reviewed_at / 86400, learner_id, COUNT(*), SUM(correct),"
            " SUM(xp) FROM reviews WHERE community_id IS NOT NULL GROUP BY 1, 2, 3"
        ),
        "SELECT community_id, deck_id, card_id, concept, missed FROM concept_totals": (
            _CONCEPTS_FROM_LOG
        ),
    }
    dialect = store.dialect
    for table_sql, log_sql in checks.items():
        log = log_sql if isinstance(log_sql, str) else log_sql[dialect]
        got = sorted(_plain(r) for r in await query(store, table_sql))
        want = sorted(_plain(r) for r in await query(store, log))
        assert got == want, table_sql
    # And the stored alive_until is bot.core.streaks.alive_until of the stored streak.
    for current, best, freezes, last, until in await query(
        store,
        "SELECT streak, best_streak, freezes, last_active_date, streak_alive_until FROM learners",
    ):
        state = StreakState(current, best, freezes, date.fromisoformat(last) if last else None)
        expected = alive_until(state)
        assert until == (expected.isoformat() if expected else None), state


def _set_state(learner_id: int, zone: str, state: StreakState) -> Script[None]:
    until = alive_until(state)
    yield from execute(
        "UPDATE learners SET time_zone = ?, streak = ?, best_streak = ?, freezes = ?,"
        " last_active_date = ?, streak_alive_until = ? WHERE id = ?",
        zone,
        state.current,
        state.best,
        state.freezes,
        state.last_active.isoformat() if state.last_active else None,
        until.isoformat() if until else None,
        learner_id,
    )


async def add_learner(
    store: Store,
    user_id: int,
    *,
    zone: str = "UTC",
    streak: int = 0,
    best: int | None = None,
    freezes: int = 0,
    last_active: date | None = None,
) -> int:
    """Create (or reset) learner ``user_id`` with this zone and streak; Recall's id."""
    state = StreakState(
        current=streak,
        best=streak if best is None else best,
        freezes=freezes,
        last_active=last_active,
    )

    def script() -> Script[int]:
        learner = yield from learners.ensure(person(user_id), NOW)
        yield from _set_state(learner.id, zone, state)
        return learner.id

    return await store.write(script())


async def set_state(store: Store, user_id: int, zone: str, state: StreakState) -> None:
    """Give existing learner ``user_id`` this zone and streak (as an answer would store it)."""

    def script() -> Script[None]:
        learner = yield from learners.ensure(person(user_id), NOW)
        yield from _set_state(learner.id, zone, state)

    await store.write(script())


async def add_reviews(store: Store, reviews: Iterable[Review]) -> None:
    """Insert the reviews (creating missing learners and communities) in one transaction."""
    batch = list(reviews)

    def script() -> Script[None]:
        ids: dict[int, int] = {}
        for user in dict.fromkeys(r.user_id for r in batch):
            ids[user] = (yield from learners.ensure(person(user), NOW)).id
        places: dict[int | None, int | None] = {None: None}
        for guild in dict.fromkeys(r.guild_id for r in batch if r.guild_id is not None):
            places[guild] = yield from communities.ensure(server(guild))
        yield from execute_many(
            "INSERT INTO reviews (learner_id, community_id, deck_id, card_id, kind, rating,"
            " correct, xp, was_due, concepts_missed, reviewed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [
                (
                    ids[r.user_id],
                    places[r.guild_id],
                    r.deck_id,
                    r.card_id,
                    r.kind,
                    3 if r.correct else 1,
                    int(r.correct),
                    r.xp,
                    r.raw_missed
                    if r.raw_missed is not None
                    else (None if r.missed is None else json.dumps(list(r.missed))),
                    to_epoch(r.at),
                )
                for r in batch
            ],
        )

    await store.write(script())


async def forget(store: Store, user_id: int) -> bool:
    """Delete learner ``user_id`` (forget-me); False if they never existed."""

    def script() -> Script[bool]:
        learner = yield from learners.find(person(user_id))
        if learner is None:
            return False
        return (yield from learners.delete(learner.id))

    return await store.write(script())


async def query(store: Store, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Every row of a read-only query, as plain tuples (for checks on the tables)."""

    def script() -> Script[list[tuple[Any, ...]]]:
        found = yield from rows(sql, *params)
        return [tuple(r[i] for i in range(len(list(r.keys())))) for r in found]

    return await store.read(script())


async def run(store: Store, sql: str, *params: Any) -> int:
    """Run one statement in its own write transaction; the rows it changed."""

    def script() -> Script[int]:
        return (yield from execute(sql, *params))

    return await store.write(script())


def small_library() -> DeckLibrary:
    """Two decks built in code: ``alpha`` (flashcards, an MCQ) and ``beta`` (an explain card)."""
    alpha = Deck.model_validate(
        {
            "id": "alpha",
            "title": "Alpha deck",
            "cards": [
                {
                    "id": f"a{i}",
                    "type": "flashcard",
                    "level": "beginner",
                    "front": f"Alpha question {i}?",
                    "back": "An answer.",
                }
                for i in range(1, 5)
            ]
            + [
                {
                    "id": "a-long",
                    "type": "mcq",
                    "level": "beginner",
                    "question": "Which  interface\nis async? " + "padding " * 20,
                    "options": ["WSGI", "ASGI"],
                    "answer": "ASGI",
                    "explanation": "ASGI is async.",
                }
            ],
        }
    )
    beta = Deck.model_validate(
        {
            "id": "beta",
            "title": "Beta deck",
            "cards": [
                {
                    "id": "b1",
                    "type": "explain",
                    "level": "intermediate",
                    "prompt": "Explain WSGI and ASGI.",
                    "concepts": [
                        {"name": "sync vs async", "keywords": ["sync"]},
                        {"name": "websockets", "keywords": ["websocket"]},
                        {"name": "servers", "keywords": ["uvicorn"]},
                    ],
                    "model_answer": "A model answer.",
                }
            ],
        }
    )
    return DeckLibrary(Path("unused"), {"alpha": alpha, "beta": beta})
