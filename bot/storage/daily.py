"""The daily question's tables: settings in ``guild_settings``, ``daily_posts``, ``daily_answers``.

Only SQL lives here; :mod:`bot.daily_question` decides. Functions taking a ``conn``
run inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import aiosqlite

from bot.storage.codec import from_epoch, maybe_datetime, to_epoch
from bot.storage.script import Script, execute

if TYPE_CHECKING:
    # The rest of this module is still on the old API until the daily question is
    # ported; only forget_answers (used by LearnerService.forget) is a script yet.
    from bot.storage.database import Database  # type: ignore[import-not-found]

__all__ = [
    "DailyConfig",
    "DailyPost",
    "bump_counts",
    "clear_config",
    "configured",
    "forget_answers",
    "get_config",
    "get_post",
    "insert_answer",
    "insert_post",
    "mark_failed",
    "mark_posted",
    "post_by_message",
    "post_for_date",
    "previous_card",
    "set_config",
]


@dataclass(frozen=True)
class DailyConfig:
    """A guild's daily-question settings."""

    guild_id: int
    channel_id: int
    time: str  # 'HH:MM' in ``zone``
    zone: str
    deck_id: str | None  # None = every deck
    set_at: datetime  # a day's question is only due if its time came after this


@dataclass(frozen=True)
class DailyPost:
    """One day's question in one guild."""

    id: int
    guild_id: int
    local_date: date
    channel_id: int
    deck_id: str
    card_id: str
    status: str  # claimed | posted | failed
    message_id: int | None
    answers: int
    correct: int
    scheduled_at: datetime
    posted_at: datetime | None
    error: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> DailyPost:
        """Build from a ``SELECT * FROM daily_posts`` row."""
        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            local_date=date.fromisoformat(row["local_date"]),
            channel_id=row["channel_id"],
            deck_id=row["deck_id"],
            card_id=row["card_id"],
            status=row["status"],
            message_id=row["message_id"],
            answers=row["answers"],
            correct=row["correct"],
            scheduled_at=from_epoch(row["scheduled_at"]),
            posted_at=maybe_datetime(row["posted_at"]),
            error=row["error"],
        )


def _config(row: sqlite3.Row) -> DailyConfig:
    return DailyConfig(
        guild_id=row["guild_id"],
        channel_id=row["daily_channel_id"],
        time=row["daily_time"],
        zone=row["daily_zone"],
        deck_id=row["daily_deck_id"],
        set_at=from_epoch(row["updated_at"]),
    )


_CONFIGURED = (
    "SELECT guild_id, daily_channel_id, daily_time, daily_zone, daily_deck_id, updated_at"
    " FROM guild_settings WHERE daily_channel_id IS NOT NULL AND daily_time IS NOT NULL"
    " AND daily_zone IS NOT NULL"
)


async def set_config(db: Database, config: DailyConfig) -> None:
    """Store a guild's daily-question settings (``set_at`` becomes ``updated_at``)."""
    await db.execute(
        "INSERT INTO guild_settings (guild_id, daily_channel_id, daily_time, daily_zone,"
        " daily_deck_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET daily_channel_id = excluded.daily_channel_id,"
        " daily_time = excluded.daily_time, daily_zone = excluded.daily_zone,"
        " daily_deck_id = excluded.daily_deck_id, updated_at = excluded.updated_at",
        (
            config.guild_id,
            config.channel_id,
            config.time,
            config.zone,
            config.deck_id,
            to_epoch(config.set_at),
        ),
    )


async def clear_config(db: Database, guild_id: int, now: datetime) -> bool:
    """Turn the daily question off; True if it was on."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE guild_settings SET daily_channel_id = NULL, daily_time = NULL,"
            " daily_zone = NULL, daily_deck_id = NULL, updated_at = ?"
            " WHERE guild_id = ? AND daily_channel_id IS NOT NULL",
            (to_epoch(now), guild_id),
        )
        return cur.rowcount > 0


async def get_config(db: Database, guild_id: int) -> DailyConfig | None:
    """The guild's settings, or None when the daily question is off."""
    row = await db.fetchone(_CONFIGURED + " AND guild_id = ?", (guild_id,))
    return _config(row) if row else None


async def configured(conn: aiosqlite.Connection) -> list[DailyConfig]:
    """Every guild with the daily question on (inside a transaction)."""
    async with conn.execute(_CONFIGURED + " ORDER BY guild_id") as cur:
        return [_config(row) for row in await cur.fetchall()]


async def post_for_date(conn: aiosqlite.Connection, guild_id: int, day: date) -> int | None:
    """The id of the guild's post for ``day``, if one was claimed."""
    async with conn.execute(
        "SELECT id FROM daily_posts WHERE guild_id = ? AND local_date = ?",
        (guild_id, day.isoformat()),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else int(row[0])


async def previous_card(
    conn: aiosqlite.Connection, guild_id: int, before: date
) -> tuple[str, str] | None:
    """(deck, card) of the guild's latest question before ``before``, to avoid repeating it."""
    async with conn.execute(
        "SELECT deck_id, card_id FROM daily_posts WHERE guild_id = ? AND local_date < ?"
        " ORDER BY local_date DESC LIMIT 1",
        (guild_id, before.isoformat()),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


async def insert_post(
    conn: aiosqlite.Connection,
    config: DailyConfig,
    day: date,
    card: tuple[str, str],
    scheduled_at: datetime,
    now: datetime,
) -> int:
    """Claim (guild, day). Raises ``IntegrityError`` if it was already claimed."""
    cur = await conn.execute(
        "INSERT INTO daily_posts (guild_id, local_date, channel_id, deck_id, card_id,"
        " scheduled_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            config.guild_id,
            day.isoformat(),
            config.channel_id,
            card[0],
            card[1],
            to_epoch(scheduled_at),
            to_epoch(now),
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def get_post(conn: aiosqlite.Connection, post_id: int) -> DailyPost | None:
    """One post (inside a transaction)."""
    async with conn.execute("SELECT * FROM daily_posts WHERE id = ?", (post_id,)) as cur:
        row = await cur.fetchone()
    return DailyPost.from_row(row) if row else None


async def post_by_message(db: Database, message_id: int) -> DailyPost | None:
    """The post shown in Discord message ``message_id``."""
    row = await db.fetchone("SELECT * FROM daily_posts WHERE message_id = ?", (message_id,))
    return DailyPost.from_row(row) if row else None


async def mark_posted(db: Database, post_id: int, message_id: int, now: datetime) -> None:
    """Record the message that shows the post."""
    await db.execute(
        "UPDATE daily_posts SET status = 'posted', message_id = ?, posted_at = ? WHERE id = ?",
        (message_id, to_epoch(now), post_id),
    )


async def mark_failed(db: Database, post_id: int, error: str, now: datetime) -> None:
    """Record that the post could not be made (it is not retried: one post per day)."""
    await db.execute(
        "UPDATE daily_posts SET status = 'failed', error = ?, posted_at = ? WHERE id = ?",
        (error, to_epoch(now), post_id),
    )


async def insert_answer(
    conn: aiosqlite.Connection,
    post_id: int,
    user_id: int,
    choice: int,
    correct: bool,
    now: datetime,
) -> bool:
    """Record a member's answer; False if they had already answered this post."""
    cur = await conn.execute(
        "INSERT INTO daily_answers (post_id, user_id, choice, correct, answered_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (post_id, user_id, choice, int(correct), to_epoch(now)),
    )
    return cur.rowcount > 0


async def bump_counts(conn: aiosqlite.Connection, post_id: int, correct: bool) -> tuple[int, int]:
    """Add one answer to the post's running counts; the new (answers, correct)."""
    async with conn.execute(
        "UPDATE daily_posts SET answers = answers + 1, correct = correct + ? WHERE id = ?"
        " RETURNING answers, correct",
        (int(correct), post_id),
    ) as cur:
        row = await cur.fetchone()
    assert row is not None  # the post was read in the same transaction
    return int(row[0]), int(row[1])


def forget_answers(learner_id: int) -> Script[None]:
    """Take a learner's answers out of the posts' running counts (``/quiz forget-me``).

    A post's count is the number of answers it holds: the rows themselves then go
    with the learner by cascade, in the caller's transaction. Nothing of the learner
    is kept, not even a marker, so they may answer those questions again afterwards.
    """
    yield from execute(
        "UPDATE daily_posts SET answers = answers - 1, correct = correct - ("
        " SELECT a.correct FROM daily_answers a"
        " WHERE a.post_id = daily_posts.id AND a.learner_id = ?)"
        " WHERE id IN (SELECT post_id FROM daily_answers WHERE learner_id = ?)",
        learner_id,
        learner_id,
    )
