"""The daily question's tables: settings in ``community_settings``, ``daily_posts``,
``daily_answers``.

Only SQL lives here; :mod:`bot.services.daily` decides. Every function is a
transaction script (see :mod:`bot.storage.script`). Channels and messages are the
front end's opaque ids, stored as text.

A day's post is claimed by inserting it: ``UNIQUE (community_id, local_date)`` with
``ON CONFLICT DO NOTHING`` lets exactly one transaction win, whatever the backend or
the number of processes (on PostgreSQL a second inserter waits for the first to
commit, then inserts nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.learner import Identity, Platform
from bot.storage.codec import from_epoch, maybe_datetime, to_epoch
from bot.storage.script import Row, Script, execute, for_update, one, rows, value


@dataclass(frozen=True, slots=True)
class DailyConfig:
    """A community's daily-question settings."""

    community_id: int
    community: Identity
    channel: str
    time: str
    """'HH:MM' in ``zone``"""
    zone: str
    deck_id: str | None
    """None: every deck"""
    set_at: datetime
    """A day's question is only due if its time came after this."""


@dataclass(frozen=True, slots=True)
class DailyPost:
    """One day's question in one community."""

    id: int
    community_id: int
    local_date: date
    channel: str
    deck_id: str
    card_id: str
    status: str
    """claimed | posted | failed"""
    message: str | None
    answers: int
    correct: int
    scheduled_at: datetime
    posted_at: datetime | None
    error: str | None


def _post(row: Row) -> DailyPost:
    return DailyPost(
        id=int(row["id"]),
        community_id=int(row["community_id"]),
        local_date=date.fromisoformat(row["local_date"]),
        channel=str(row["channel"]),
        deck_id=row["deck_id"],
        card_id=row["card_id"],
        status=row["status"],
        message=row["message"],
        answers=int(row["answers"]),
        correct=int(row["correct"]),
        scheduled_at=from_epoch(row["scheduled_at"]),
        posted_at=maybe_datetime(row["posted_at"]),
        error=row["error"],
    )


_POST_COLUMNS = (
    "id, community_id, local_date, channel, deck_id, card_id, status, message, answers,"
    " correct, scheduled_at, posted_at, error"
)


def _config(row: Row) -> DailyConfig:
    return DailyConfig(
        community_id=int(row["community_id"]),
        community=Identity(Platform(row["platform"]), str(row["external_id"])),
        channel=str(row["daily_channel"]),
        time=row["daily_time"],
        zone=row["daily_zone"],
        deck_id=row["daily_deck_id"],
        set_at=from_epoch(row["updated_at"]),
    )


_CONFIGURED = (
    "SELECT s.community_id, c.platform, c.external_id, s.daily_channel, s.daily_time,"
    " s.daily_zone, s.daily_deck_id, s.updated_at"
    " FROM community_settings s JOIN communities c ON c.id = s.community_id"
    " WHERE s.daily_channel IS NOT NULL AND s.daily_time IS NOT NULL"
    " AND s.daily_zone IS NOT NULL"
)


def set_config(
    community_id: int,
    channel: str,
    time: str,
    zone: str,
    deck_id: str | None,
    set_at: datetime,
) -> Script[None]:
    """Store a community's daily-question settings (``set_at`` becomes ``updated_at``)."""
    yield from execute(
        "INSERT INTO community_settings (community_id, daily_channel, daily_time, daily_zone,"
        " daily_deck_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (community_id) DO UPDATE SET daily_channel = excluded.daily_channel,"
        " daily_time = excluded.daily_time, daily_zone = excluded.daily_zone,"
        " daily_deck_id = excluded.daily_deck_id, updated_at = excluded.updated_at",
        community_id,
        channel,
        time,
        zone,
        deck_id,
        to_epoch(set_at),
    )


def clear_config(community_id: int, now: datetime) -> Script[bool]:
    """Turn the daily question off; True if it was on."""
    changed = yield from execute(
        "UPDATE community_settings SET daily_channel = NULL, daily_time = NULL,"
        " daily_zone = NULL, daily_deck_id = NULL, updated_at = ?"
        " WHERE community_id = ? AND daily_channel IS NOT NULL",
        to_epoch(now),
        community_id,
    )
    return changed > 0


def get_config(community_id: int) -> Script[DailyConfig | None]:
    """The community's settings, or None when the daily question is off."""
    row = yield from one(_CONFIGURED + " AND s.community_id = ?", community_id)
    return _config(row) if row else None


def configured(platform: Platform) -> Script[list[DailyConfig]]:
    """Every community of ``platform`` with the daily question on."""
    found = yield from rows(
        _CONFIGURED + " AND c.platform = ? ORDER BY s.community_id", str(platform)
    )
    return [_config(row) for row in found]


def post_for_date(community_id: int, day: date) -> Script[int | None]:
    """The id of the community's post for ``day``, if one was claimed."""
    found = yield from value(
        "SELECT id FROM daily_posts WHERE community_id = ? AND local_date = ?",
        community_id,
        day.isoformat(),
    )
    return None if found is None else int(found)


def previous_card(community_id: int, before: date) -> Script[tuple[str, str] | None]:
    """(deck, card) of the community's latest question before ``before``."""
    row = yield from one(
        "SELECT deck_id, card_id FROM daily_posts WHERE community_id = ? AND local_date < ?"
        " ORDER BY local_date DESC LIMIT 1",
        community_id,
        before.isoformat(),
    )
    return None if row is None else (str(row["deck_id"]), str(row["card_id"]))


def insert_post(
    config: DailyConfig,
    day: date,
    card: tuple[str, str],
    scheduled_at: datetime,
    now: datetime,
) -> Script[int | None]:
    """Claim (community, day): the new post's id, or None if it was already claimed."""
    row = yield from one(
        "INSERT INTO daily_posts (community_id, local_date, channel, deck_id, card_id,"
        " scheduled_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (community_id, local_date) DO NOTHING RETURNING id",
        config.community_id,
        day.isoformat(),
        config.channel,
        card[0],
        card[1],
        to_epoch(scheduled_at),
        to_epoch(now),
    )
    return None if row is None else int(row["id"])


def get_post(post_id: int, *, lock: bool = False) -> Script[DailyPost | None]:
    """One post (``lock``: held until the transaction ends, on PostgreSQL)."""
    sql = f"SELECT {_POST_COLUMNS} FROM daily_posts WHERE id = ?"
    row = yield from one(for_update(sql) if lock else sql, post_id)
    return _post(row) if row else None


def mark_posted(post_id: int, message: str, now: datetime) -> Script[None]:
    """Record the message that shows the post."""
    yield from execute(
        "UPDATE daily_posts SET status = 'posted', message = ?, posted_at = ? WHERE id = ?",
        message,
        to_epoch(now),
        post_id,
    )


def mark_failed(post_id: int, error: str, now: datetime) -> Script[int | None]:
    """Record that the post could not be made (it is not retried: one post per day);
    the post's community, or None for an unknown post."""
    row = yield from one(
        "UPDATE daily_posts SET status = 'failed', error = ?, posted_at = ? WHERE id = ?"
        " RETURNING community_id",
        error,
        to_epoch(now),
        post_id,
    )
    return None if row is None else int(row["community_id"])


def insert_answer(
    post_id: int, learner_id: int, choice: int, correct: bool, now: datetime
) -> Script[bool]:
    """Record a learner's answer; False if they had already answered this post."""
    inserted = yield from execute(
        "INSERT INTO daily_answers (post_id, learner_id, choice, correct, answered_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        post_id,
        learner_id,
        choice,
        int(correct),
        to_epoch(now),
    )
    return inserted > 0


def bump_counts(post_id: int, correct: bool) -> Script[tuple[int, int]]:
    """Add one answer to the post's running counts; the new (answers, correct)."""
    row = yield from one(
        "UPDATE daily_posts SET answers = answers + 1, correct = correct + ? WHERE id = ?"
        " RETURNING answers, correct",
        int(correct),
        post_id,
    )
    assert row is not None  # the post was read in the same transaction
    return int(row["answers"]), int(row["correct"])


def forget_answers(learner_id: int) -> Script[None]:
    """Take a learner's answers out of the posts' running counts (forget-me).

    A post's count is the number of answers it holds: the rows themselves then go
    with the learner by cascade (:func:`bot.storage.learners.delete`), which must run
    in the same transaction. Nothing of the learner is kept, not even a marker, so
    they may answer those questions again afterwards.
    """
    yield from execute(
        "UPDATE daily_posts SET answers = answers - 1, correct = correct - ("
        " SELECT a.correct FROM daily_answers a"
        " WHERE a.post_id = daily_posts.id AND a.learner_id = ?)"
        " WHERE id IN (SELECT post_id FROM daily_answers WHERE learner_id = ?)",
        learner_id,
        learner_id,
    )


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
    "post_for_date",
    "previous_card",
    "set_config",
]
