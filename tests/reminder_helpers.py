"""Test data for the reminder and daily-question tests, written through storage scripts.

Learners are named by their Discord id (``who(7)``); Recall's own ids differ on
PostgreSQL, so checks read rows back by identity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardMemory
from bot.core.streaks import StreakState
from bot.storage import card_states, learners
from bot.storage.script import Script, execute, rows
from bot.storage.store import Store


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An aware UTC instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def who(n: int, platform: Platform = Platform.DISCORD) -> Identity:
    """The learner (or community) with external id ``n`` on ``platform``."""
    return Identity(platform, str(n))


async def add_learner(
    store: Store,
    n: int | Identity,
    now: datetime,
    *,
    zone: str = "UTC",
    due_cards: int = 1,
    streak: StreakState | None = None,
) -> int:
    """A learner in ``zone`` with ``due_cards`` cards due long before ``now``; their id."""
    identity = n if isinstance(n, Identity) else who(n)
    long_ago = now - timedelta(days=30)

    def script() -> Script[int]:
        learner = yield from learners.ensure(identity, now)
        yield from learners.set_time_zone(learner.id, zone)
        for k in range(due_cards):
            memory = CardMemory(
                state=2,
                step=None,
                stability=3.0,
                difficulty=5.0,
                due=long_ago,
                last_review=long_ago - timedelta(days=3),
                reps=1,
            )
            yield from card_states.put(learner.id, "deck", f"card-{k}", memory)
        if streak is not None:
            yield from execute(
                "UPDATE learners SET streak = ?, best_streak = ?, freezes = ?,"
                " last_active_date = ? WHERE id = ?",
                streak.current,
                streak.best,
                streak.freezes,
                streak.last_active.isoformat() if streak.last_active else None,
                learner.id,
            )
        return learner.id

    return await store.write(script())


async def sends(store: Store) -> dict[tuple[int, str], str]:
    """Every recorded reminder decision: (external id, local date) -> status."""
    found = await store.read(
        rows(
            "SELECT l.external_id, s.local_date, s.status FROM reminder_sends s"
            " JOIN learners l ON l.id = s.learner_id"
        )
    )
    return {(int(r["external_id"]), r["local_date"]): r["status"] for r in found}


async def count(store: Store, table: str) -> int:
    """Rows in ``table``."""
    found = await store.read(rows(f"SELECT COUNT(*) AS n FROM {table}"))
    return int(found[0]["n"])
