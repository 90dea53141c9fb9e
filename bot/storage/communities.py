"""The ``communities`` table: a Discord server or a Slack workspace, by platform identity."""

from __future__ import annotations

from bot.core.learner import Identity
from bot.storage.script import Script, one, rows, value


def ensure(identity: Identity) -> Script[int]:
    """Recall's id of the community with ``identity``, created on first use.

    A known community (nearly always) is only read: no row version written and no row
    lock taken. An upsert (``DO UPDATE``) would lock the row against every answer in
    the community until this transaction commits, since each answer's foreign key
    check holds a share lock on it, and every session starting there would queue
    behind the one before. A first use inserts; if another transaction inserted the
    same community meanwhile, the insert waits for it and does nothing, and the row
    it committed is read.
    """
    found = yield from find(identity)
    if found is not None:
        return found
    row = yield from one(
        "INSERT INTO communities (platform, external_id) VALUES (?, ?)"
        " ON CONFLICT (platform, external_id) DO NOTHING RETURNING id",
        str(identity.platform),
        identity.external_id,
    )
    if row is not None:
        return int(row["id"])
    found = yield from find(identity)
    assert found is not None  # the competing insert committed: the conflict says so
    return found


def find(identity: Identity) -> Script[int | None]:
    """Recall's id of the community with ``identity``, or None if it never used Recall."""
    found = yield from value(
        "SELECT id FROM communities WHERE platform = ? AND external_id = ?",
        str(identity.platform),
        identity.external_id,
    )
    return None if found is None else int(found)


def of_learner(learner_id: int) -> Script[list[int]]:
    """Recall's ids of every community where the learner has answered a card."""
    # The learner's running totals per community and deck (review_totals_learner):
    # the same communities as their community_learners rows, which have no index by
    # learner (migration V11: the streak copy that needed one is gone).
    found = yield from rows(
        "SELECT DISTINCT community_id FROM review_totals WHERE learner_id = ?"
        " ORDER BY community_id",
        learner_id,
    )
    return [int(r["community_id"]) for r in found]


__all__ = ["ensure", "find", "of_learner"]
