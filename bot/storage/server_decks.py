"""The ``server_decks`` table: decks a community's moderators uploaded, and its revision.

Only SQL lives here; :mod:`bot.services.decks` decides. A removed deck keeps its
row with ``source`` and ``deck_json`` NULL and a new revision, so that a process
reading ``changed_since`` learns of the removal (and the review log, keyed by the
deck's ``deck_key``, keeps its rows).

Every upload or removal takes the next value of ``server_deck_revision`` with one
``UPDATE ... RETURNING``: on PostgreSQL a second writer waits for the first to
commit, so revisions become visible in the order they were taken, and a process
that has seen revision *n* has seen every change up to *n*.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core.learner import Identity, Platform
from bot.storage.codec import from_epoch, to_epoch
from bot.storage.script import Row, Script, execute, for_update, one, rows, value


@dataclass(frozen=True, slots=True)
class DeckChange:
    """A deck's row as a process's catalog needs it: ``deck_json`` None = removed."""

    community_id: int
    community: Identity
    deck_id: str
    deck_key: str
    deck_json: str | None
    revision: int


@dataclass(frozen=True, slots=True)
class StoredDeck:
    """One uploaded deck as a moderator's list and download show it."""

    community_id: int
    deck_id: str
    deck_key: str
    title: str
    counts: Mapping[str, int]
    media_dropped: int
    source: str | None
    """The deck YAML; None once removed."""
    uploaded_by: str
    uploaded_at: datetime
    revision: int

    @property
    def removed(self) -> bool:
        """True when the deck was removed (the row only keeps its history)."""
        return self.source is None


FORGOTTEN_UPLOADER = ""
"""``uploaded_by`` of a deck whose uploader asked Recall to forget them (forget-me)."""


def uploader_of(who: Identity) -> str:
    """The ``uploaded_by`` text of an uploader: ``platform:external_id``."""
    return f"{who.platform}:{who.external_id}"


def forget_uploader(who: Identity) -> Script[int]:
    """Anonymise every deck ``who`` uploaded, in any community; how many rows held them.

    The deck stays (the community's learners study it); only the uploader's id goes.
    """
    changed = yield from execute(
        "UPDATE server_decks SET uploaded_by = ? WHERE uploaded_by = ?",
        FORGOTTEN_UPLOADER,
        uploader_of(who),
    )
    return changed


_COLUMNS = (
    "community_id, deck_id, deck_key, title, counts, media_dropped, source, uploaded_by,"
    " uploaded_at, revision"
)


def _stored(row: Row, *, with_source: bool = True) -> StoredDeck:
    return StoredDeck(
        community_id=int(row["community_id"]),
        deck_id=str(row["deck_id"]),
        deck_key=str(row["deck_key"]),
        title=str(row["title"]),
        counts={str(k): int(v) for k, v in json.loads(row["counts"]).items()},
        media_dropped=int(row["media_dropped"]),
        source=row["source"] if with_source else ("" if row["present"] else None),
        uploaded_by=str(row["uploaded_by"]),
        uploaded_at=from_epoch(int(row["uploaded_at"])),
        revision=int(row["revision"]),
    )


def latest_revision(*, alone: bool = False) -> Script[int]:
    """The revision of the last upload or removal in any community.

    ``alone`` when it is the whole script (a catalog refresh's own check): one round
    trip on PostgreSQL. A session start reads it as the first statement of its own
    transaction instead, which an alone query may not be.
    """
    found = yield from value("SELECT revision FROM server_deck_revision WHERE id = 1", alone=alone)
    return int(found or 0)


def changed_since(revision: int) -> Script[list[DeckChange]]:
    """Every deck whose row changed after ``revision``, oldest change first."""
    found = yield from rows(
        "SELECT d.community_id, c.platform, c.external_id, d.deck_id, d.deck_key,"
        " d.deck_json, d.revision"
        " FROM server_decks d JOIN communities c ON c.id = d.community_id"
        " WHERE d.revision > ? ORDER BY d.revision",
        revision,
    )
    return [
        DeckChange(
            community_id=int(r["community_id"]),
            community=Identity(Platform(r["platform"]), str(r["external_id"])),
            deck_id=str(r["deck_id"]),
            deck_key=str(r["deck_key"]),
            deck_json=r["deck_json"],
            revision=int(r["revision"]),
        )
        for r in found
    ]


def get(community_id: int, deck_id: str, *, lock: bool = False) -> Script[StoredDeck | None]:
    """The row of ``deck_id`` in the community (removed or not); ``lock`` reads it
    ``FOR UPDATE`` (an upload deciding whether it replaces)."""
    sql = f"SELECT {_COLUMNS} FROM server_decks WHERE community_id = ? AND deck_id = ?"
    row = yield from one(for_update(sql) if lock else sql, community_id, deck_id)
    return None if row is None else _stored(row)


@dataclass(frozen=True, slots=True)
class Usage:
    """What a community's present uploaded decks hold (a removed deck holds nothing)."""

    decks: int
    chars: int
    """Characters of stored deck text: ``source`` plus ``deck_json``."""


def usage(community_id: int, *, besides: str) -> Script[Usage]:
    """The community's present decks other than ``besides`` (the deck being saved, whose
    old version a replacement frees): how many, and their stored text."""
    row = yield from one(
        "SELECT COUNT(*) AS decks,"
        " COALESCE(SUM(LENGTH(source) + LENGTH(deck_json)), 0) AS chars"
        " FROM server_decks WHERE community_id = ? AND source IS NOT NULL AND deck_id <> ?",
        community_id,
        besides,
    )
    assert row is not None
    return Usage(int(row["decks"]), int(row["chars"]))


def is_present(community_id: int, deck_id: str) -> Script[bool | None]:
    """Whether the community's deck ``deck_id`` is present (False: removed, None: never
    uploaded), read ``FOR UPDATE`` without its text (an upload deciding if it replaces)."""
    row = yield from one(
        for_update(
            "SELECT CASE WHEN source IS NULL THEN 0 ELSE 1 END AS present FROM server_decks"
            " WHERE community_id = ? AND deck_id = ?"
        ),
        community_id,
        deck_id,
    )
    return None if row is None else bool(row["present"])


def listing(community_id: int) -> Script[list[StoredDeck]]:
    """The community's present decks, by title, without their text."""
    found = yield from rows(
        "SELECT community_id, deck_id, deck_key, title, counts, media_dropped, uploaded_by,"
        " uploaded_at, revision, CASE WHEN source IS NULL THEN 0 ELSE 1 END AS present"
        " FROM server_decks WHERE community_id = ? AND source IS NOT NULL"
        " ORDER BY lower(title), deck_id",
        community_id,
    )
    return [_stored(r, with_source=False) for r in found]


def next_revision() -> Script[int]:
    """Take the next revision (queues behind any other upload until it commits)."""
    row = yield from one(
        "UPDATE server_deck_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision"
    )
    assert row is not None, "server_deck_revision has its one row from the migration"
    return int(row["revision"])


def save(
    *,
    community_id: int,
    deck_id: str,
    deck_key: str,
    title: str,
    counts: Mapping[str, int],
    media_dropped: int,
    source: str,
    deck_json: str,
    uploaded_by: str,
    now: datetime,
    revision: int,
) -> Script[None]:
    """Insert the deck, or replace the row of the same id in the community."""
    yield from execute(
        "INSERT INTO server_decks (community_id, deck_id, deck_key, title, counts,"
        " media_dropped, source, deck_json, uploaded_by, uploaded_at, revision)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (community_id, deck_id) DO UPDATE SET title = excluded.title,"
        " counts = excluded.counts, media_dropped = excluded.media_dropped,"
        " source = excluded.source, deck_json = excluded.deck_json,"
        " uploaded_by = excluded.uploaded_by, uploaded_at = excluded.uploaded_at,"
        " revision = excluded.revision",
        community_id,
        deck_id,
        deck_key,
        title,
        json.dumps(dict(counts), sort_keys=True),
        media_dropped,
        source,
        deck_json,
        uploaded_by,
        to_epoch(now),
        revision,
    )


def mark_removed(community_id: int, deck_id: str, revision: int) -> Script[bool]:
    """Drop the deck's text (its row stays, for other processes and the log); True if
    it was present."""
    changed = yield from execute(
        "UPDATE server_decks SET source = NULL, deck_json = NULL, revision = ?"
        " WHERE community_id = ? AND deck_id = ? AND source IS NOT NULL",
        revision,
        community_id,
        deck_id,
    )
    return changed > 0


__all__ = [
    "DeckChange",
    "StoredDeck",
    "changed_since",
    "get",
    "is_present",
    "latest_revision",
    "listing",
    "mark_removed",
    "next_revision",
    "save",
]
