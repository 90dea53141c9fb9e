"""The ``communities`` table: a Discord server or a Slack workspace, by platform identity."""

from __future__ import annotations

from bot.core.learner import Identity
from bot.storage.script import Script, one, rows, value


def ensure(identity: Identity) -> Script[int]:
    """Recall's id of the community with ``identity``, created on first use."""
    row = yield from one(
        "INSERT INTO communities (platform, external_id) VALUES (?, ?)"
        " ON CONFLICT (platform, external_id) DO UPDATE SET platform = excluded.platform"
        " RETURNING id",
        str(identity.platform),
        identity.external_id,
    )
    assert row is not None
    return int(row["id"])


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
