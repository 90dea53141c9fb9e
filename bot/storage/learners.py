"""The ``learners`` table: one row per person per platform who has used Recall.

A learner is found by their platform identity and known inside Recall by an id of
its own (see migration V5); every other table points at that id.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.core.learner import Identity, Learner, Platform
from bot.core.review import ReviewOutcome
from bot.core.streaks import StreakState
from bot.storage import communities
from bot.storage.codec import to_epoch
from bot.storage.script import (
    Dialect,
    Row,
    Script,
    Statement,
    dialect,
    execute,
    for_update,
    one,
)

_COLUMNS = (
    "id, platform, external_id, time_zone, reminder_time, reminders_off_reason, xp,"
    " streak, best_streak, freezes, last_active_date"
)


COLUMN_NAMES = tuple(name.strip() for name in _COLUMNS.split(","))


def columns_as(table: str, prefix: str) -> str:
    """The learner columns of ``table`` (an alias) selected as ``<prefix><column>``, for a
    query that joins learners to another table with columns of the same names."""
    return ", ".join(f"{table}.{name} AS {prefix}{name}" for name in COLUMN_NAMES)


def learner_from_row(row: Row, prefix: str = "") -> Learner:
    """Build a :class:`Learner` from a row with :data:`_COLUMNS` (named ``prefix`` + the
    column, see :func:`columns_as`)."""
    last = row[f"{prefix}last_active_date"]
    return Learner(
        id=int(row[f"{prefix}id"]),
        identity=Identity(Platform(row[f"{prefix}platform"]), str(row[f"{prefix}external_id"])),
        time_zone=row[f"{prefix}time_zone"],
        reminder_time=row[f"{prefix}reminder_time"],
        reminders_off_reason=row[f"{prefix}reminders_off_reason"],
        xp=int(row[f"{prefix}xp"]),
        streak=StreakState(
            current=int(row[f"{prefix}streak"]),
            best=int(row[f"{prefix}best_streak"]),
            freezes=int(row[f"{prefix}freezes"]),
            last_active=date.fromisoformat(last) if last else None,
        ),
    )


# The no-op update on conflict makes RETURNING give the existing row too: one
# statement finds or creates the learner.
_ENSURE = (
    "INSERT INTO learners (platform, external_id, created_at) VALUES (?, ?, ?)"
    " ON CONFLICT (platform, external_id) DO UPDATE SET platform = excluded.platform"
    f" RETURNING {_COLUMNS}"
)


def ensure(identity: Identity, now: datetime) -> Script[Learner]:
    """The learner with ``identity``, created with defaults on first use."""
    row = yield from one(_ENSURE, str(identity.platform), identity.external_id, to_epoch(now))
    assert row is not None  # RETURNING always gives the row
    return learner_from_row(row)


def ensure_in(
    identity: Identity, now: datetime, community: Identity | None
) -> Script[tuple[Learner, int | None]]:
    """:func:`ensure`, and Recall's id of ``community`` (created on first use; None
    for no community): one statement on PostgreSQL when the community is known."""
    if community is None:
        alone = yield from ensure(identity, now)
        return alone, None
    if (yield from dialect()) is Dialect.SQLITE:
        learner = yield from ensure(identity, now)
        return learner, (yield from communities.ensure(community))
    row = yield from one(
        _ENSURE_IN,
        str(community.platform),
        community.external_id,
        str(identity.platform),
        identity.external_id,
        to_epoch(now),
    )
    assert row is not None  # RETURNING always gives the row
    found = row["community_found"]
    if found is None:  # the community's first use: created now
        found = yield from communities.ensure(community)
    return learner_from_row(row), int(found)


# _ENSURE with the community's id read in the same statement (a plain read: see
# communities.ensure for why it takes no lock).
_ENSURE_IN = (
    "WITH c AS (SELECT id FROM communities WHERE platform = ? AND external_id = ?) "
    + _ENSURE
    + ", (SELECT id FROM c) AS community_found"
)


def find(identity: Identity, *, lock: bool = False) -> Script[Learner | None]:
    """The learner with ``identity``, or None if they never used Recall.

    ``lock``: the script is about to record an answer of theirs (see :func:`for_update`),
    so that their answers in other transactions wait instead of overwriting each
    other's streak and card memory.
    """
    sql = f"SELECT {_COLUMNS} FROM learners WHERE platform = ? AND external_id = ?"
    row = yield from one(
        for_update(sql) if lock else sql,
        str(identity.platform),
        identity.external_id,
    )
    return learner_from_row(row) if row else None


def get(learner_id: int) -> Script[Learner | None]:
    """The learner with Recall's id ``learner_id``, or None."""
    row = yield from one(f"SELECT {_COLUMNS} FROM learners WHERE id = ?", learner_id)
    return learner_from_row(row) if row else None


def save_progress_statement(learner_id: int, outcome: ReviewOutcome) -> Statement:
    """The UPDATE of :func:`save_progress`, for :func:`bot.storage.script.execute_together`."""
    state = outcome.streak.state
    return (
        "UPDATE learners SET xp = xp + ?, streak = ?, best_streak = ?, freezes = ?,"
        " last_active_date = ?, streak_alive_until = ? WHERE id = ?",
        (
            outcome.xp,
            state.current,
            state.best,
            state.freezes,
            state.last_active.isoformat() if state.last_active else None,
            outcome.alive_until.isoformat() if outcome.alive_until else None,
            learner_id,
        ),
    )


def save_progress(learner_id: int, outcome: ReviewOutcome) -> Script[None]:
    """Add the answer's XP and store the streak it left (in the answer's transaction)."""
    sql, params = save_progress_statement(learner_id, outcome)
    yield from execute(sql, *params)


def set_time_zone(learner_id: int, zone: str) -> Script[None]:
    """Set the learner's IANA time zone."""
    yield from execute("UPDATE learners SET time_zone = ? WHERE id = ?", zone, learner_id)


def delete(learner_id: int) -> Script[bool]:
    """Delete the learner and, by cascade, everything that points at them.

    ``/quiz forget-me`` first takes their daily answers out of the posts' public
    counts (:func:`bot.storage.daily.forget_answers`) in the same transaction.
    """
    count = yield from execute("DELETE FROM learners WHERE id = ?", learner_id)
    return count > 0


__all__ = [
    "COLUMN_NAMES",
    "columns_as",
    "delete",
    "ensure",
    "ensure_in",
    "find",
    "get",
    "learner_from_row",
    "save_progress",
    "save_progress_statement",
    "set_time_zone",
]
