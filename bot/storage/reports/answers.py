"""Explain answers' texts for the teacher's view of grading (schema V9's reviews.answer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.learner import Identity, Platform
from bot.storage.codec import from_epoch
from bot.storage.script import Script, rows

__all__ = ["StoredAnswer", "recent_answers"]


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """One explain answer as written, with who wrote it and when."""

    learner: Identity
    answered_at: datetime
    text: str


def recent_answers(
    community_id: int, deck_id: str, card_id: str, limit: int
) -> Script[list[StoredAnswer]]:
    """The card's latest ``limit`` answers with a text in the community, newest first
    (the partial index ``reviews_community_card_answers``)."""
    found = yield from rows(
        "SELECT r.answer, r.reviewed_at, l.platform, l.external_id FROM reviews r"
        " JOIN learners l ON l.id = r.learner_id"
        " WHERE r.community_id = ? AND r.deck_id = ? AND r.card_id = ?"
        " AND r.answer IS NOT NULL"
        " ORDER BY r.reviewed_at DESC, r.id DESC LIMIT ?",
        community_id,
        deck_id,
        card_id,
        limit,
    )
    return [
        StoredAnswer(
            Identity(Platform(r["platform"]), str(r["external_id"])),
            from_epoch(r["reviewed_at"]),
            str(r["answer"]),
        )
        for r in found
    ]
