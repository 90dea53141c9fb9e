"""Test data for the moderator views: learners and review rows inserted into the real schema.

Direct INSERTs (rather than running sessions) let a test place a review at an exact
second, in an exact guild and deck, with an exact outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bot.decks import Deck, DeckLibrary
from bot.storage import Database
from bot.storage.codec import to_epoch

GUILD = 1001
OTHER_GUILD = 2002
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
"""A Wednesday noon UTC; the instant the views are computed at, unless a test says."""


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


async def add_learner(
    db: Database,
    user_id: int,
    *,
    zone: str = "UTC",
    streak: int = 0,
    best: int | None = None,
    freezes: int = 0,
    last_active: date | None = None,
) -> None:
    """Insert or replace a learner row with this streak state."""
    await db.execute(
        "INSERT OR REPLACE INTO learners (user_id, time_zone, streak, best_streak, freezes,"
        " last_active_date, created_at) VALUES (?, ?, ?, ?, ?, ?, 0)",
        (
            user_id,
            zone,
            streak,
            streak if best is None else best,
            freezes,
            last_active.isoformat() if last_active else None,
        ),
    )


async def add_reviews(db: Database, reviews: Iterable[Review]) -> None:
    """Insert the reviews (creating missing learners with defaults) in one transaction."""
    rows = list(reviews)
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT OR IGNORE INTO learners (user_id, created_at) VALUES (?, 0)",
            [(r.user_id,) for r in rows],
        )
        await conn.executemany(
            "INSERT INTO reviews (user_id, guild_id, deck_id, card_id, kind, rating, correct,"
            " xp, was_due, concepts_missed, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [
                (
                    r.user_id,
                    r.guild_id,
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
                for r in rows
            ],
        )


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
