"""The CSV export's SQL: a community's (learner, deck) running totals in keyset pages.

The review log can be millions of rows, so it is never read: each page is one seek on
``review_totals``' primary key after the last (learner, deck) of the previous page,
which does not slow down as the export moves on the way ``OFFSET`` would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.learner import Identity, Platform
from bot.core.streaks import StreakState
from bot.storage.script import Script, rows

__all__ = ["FIRST_KEY", "ExportRecord", "export_page", "learners_of"]

FIRST_KEY: tuple[int, str] = (-(2**63), "")
"""The keyset before every row (below every bigint learner id)."""


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One (learner, deck) of a community with the learner's stored streak."""

    learner_id: int
    learner: Identity
    deck_id: str
    reviews: int
    correct: int
    xp: int
    last_at: int
    time_zone: str
    streak: StreakState


_PAGE_SQL = """
    SELECT t.learner_id, l.platform, l.external_id, t.deck_id, t.reviews, t.correct, t.xp,
           t.last_at, l.time_zone, l.streak, l.best_streak, l.freezes, l.last_active_date
    FROM review_totals t
    JOIN learners l ON l.id = t.learner_id
    WHERE t.community_id = ? AND (t.learner_id, t.deck_id) > (?, ?)
    ORDER BY t.learner_id, t.deck_id
    LIMIT ?
"""


def export_page(
    community_id: int, after: tuple[int, str], limit: int
) -> Script[list[ExportRecord]]:
    """Up to ``limit`` rows of the community after the key ``after`` (learner id, deck),
    in key order. (A learner's rows go with them by cascade: the join always matches.)"""
    found = yield from rows(_PAGE_SQL, community_id, after[0], after[1], limit)
    records: list[ExportRecord] = []
    for r in found:
        last = r["last_active_date"]
        records.append(
            ExportRecord(
                learner_id=int(r["learner_id"]),
                learner=Identity(Platform(r["platform"]), str(r["external_id"])),
                deck_id=str(r["deck_id"]),
                reviews=int(r["reviews"]),
                correct=int(r["correct"]),
                xp=int(r["xp"]),
                last_at=int(r["last_at"]),
                time_zone=str(r["time_zone"]),
                streak=StreakState(
                    current=int(r["streak"]),
                    best=int(r["best_streak"]),
                    freezes=int(r["freezes"]),
                    last_active=date.fromisoformat(last) if last else None,
                ),
            )
        )
    return records


def learners_of(community_id: int) -> Script[list[Identity]]:
    """Everyone with results in the community (the export looks their names up)."""
    found = yield from rows(
        "SELECT l.platform, l.external_id FROM learners l WHERE l.id IN"
        " (SELECT learner_id FROM community_learners WHERE community_id = ?)"
        " ORDER BY l.id",
        community_id,
    )
    return [Identity(Platform(r["platform"]), str(r["external_id"])) for r in found]
