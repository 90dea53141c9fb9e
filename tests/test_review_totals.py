"""Running totals (migrations V3, V4): kept by triggers, backfilled, removed with a learner."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import Database, learners
from bot.storage import migrations as migrations_module
from tests.review_rows import GUILD, OTHER_GUILD, Review, add_reviews


async def totals(db: Database) -> list[tuple[object, ...]]:
    rows = await db.fetchall(
        "SELECT guild_id, user_id, deck_id, reviews, correct, xp, last_at FROM review_totals"
        " ORDER BY guild_id, user_id, deck_id"
    )
    return [tuple(row) for row in rows]


async def cards(db: Database) -> list[tuple[object, ...]]:
    rows = await db.fetchall("SELECT * FROM card_totals ORDER BY guild_id, deck_id, card_id")
    return [tuple(row) for row in rows]


def log_sums_sql() -> str:
    return (
        "SELECT guild_id, user_id, deck_id, COUNT(*), SUM(correct), SUM(xp), MAX(reviewed_at)"
        " FROM reviews WHERE guild_id IS NOT NULL GROUP BY guild_id, user_id, deck_id"
        " ORDER BY guild_id, user_id, deck_id"
    )


async def test_triggers_keep_totals_equal_to_the_log(db: Database) -> None:
    await add_reviews(
        db,
        [
            Review(1, xp=5, correct=False, card_id="a1"),
            Review(1, xp=7, card_id="a2"),
            Review(1, xp=1, deck_id="beta", card_id="b1", guild_id=OTHER_GUILD),
            Review(2, xp=3, card_id="a1"),
            Review(3, xp=100, guild_id=None),  # a DM answer belongs to no server
        ],
    )
    assert await totals(db) == [tuple(r) for r in await db.fetchall(log_sums_sql())]
    assert [(row[0], row[1]) for row in await totals(db)] == [
        (GUILD, 1),
        (GUILD, 2),
        (OTHER_GUILD, 1),
    ]
    assert await cards(db) == [
        (GUILD, "alpha", "a1", 2, 1),
        (GUILD, "alpha", "a2", 1, 0),
        (OTHER_GUILD, "beta", "b1", 1, 0),
    ]


async def test_forgetting_a_learner_removes_their_totals(db: Database) -> None:
    await add_reviews(
        db,
        [
            Review(1, card_id="a1"),
            Review(1, deck_id="beta", card_id="b1", missed=("servers", "websockets")),
            Review(1, guild_id=None),
            Review(2, card_id="a1", correct=False),
            Review(2, deck_id="beta", card_id="b1", missed=("servers",)),
        ],
    )
    assert await learners.delete(db, 1)
    assert {row[1] for row in await totals(db)} == {2}
    # Their answers no longer count towards the class's card figures either.
    assert await cards(db) == [
        (GUILD, "alpha", "a1", 1, 1),
        (GUILD, "beta", "b1", 1, 0),
    ]
    # Nor are they in any table of migration V4 (per-learner rows go by cascade).
    for table in ("guild_learners", "guild_days", "learner_totals", "learner_hours"):
        users = await db.fetchall(f"SELECT DISTINCT user_id FROM {table}")
        assert [row[0] for row in users] == [2], table
    concepts = await db.fetchall("SELECT concept, missed FROM concept_totals ORDER BY concept")
    assert [tuple(row) for row in concepts] == [("servers", 1)]


async def test_migration_backfills_an_existing_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "recall.db"
    every = migrations_module.load_migrations()
    monkeypatch.setattr(migrations_module, "load_migrations", lambda: every[:2])
    old = await Database.open(path)
    try:
        await add_reviews(old, [Review(1, xp=4), Review(1, xp=6, correct=False), Review(2)])
    finally:
        await old.close()
    monkeypatch.undo()
    db = await Database.open(path)
    try:
        assert await totals(db) == [tuple(r) for r in await db.fetchall(log_sums_sql())]
        assert [row[3:6] for row in await totals(db)] == [(2, 1, 10), (1, 1, 10)]
        assert await cards(db) == [(GUILD, "alpha", "a1", 3, 1)]
    finally:
        await db.close()
