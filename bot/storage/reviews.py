"""The append-only ``reviews`` log, and writing one answer's whole outcome."""

from __future__ import annotations

import json

from bot.core.review import ReviewOutcome
from bot.storage import card_states, learners
from bot.storage.codec import to_epoch
from bot.storage.script import Script, execute


def append(outcome: ReviewOutcome) -> Script[None]:
    """Log one review. The roll-up triggers update the boards in the same statement.

    A (session, step) that is already logged raises
    :class:`~bot.storage.errors.Conflict` and rolls the transaction back.
    """
    review = outcome.review
    yield from execute(
        "INSERT INTO reviews (learner_id, community_id, deck_id, card_id, kind, rating,"
        " correct, xp, was_due, concepts_missed, session_id, step, reviewed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        review.learner_id,
        review.community_id,
        review.deck_id,
        review.card_id,
        review.kind,
        int(review.grade),
        int(review.correct),
        review.xp,
        int(review.was_due),
        None if review.concepts_missed is None else json.dumps(list(review.concepts_missed)),
        review.session_id,
        review.step,
        to_epoch(review.reviewed_at),
    )


def record(outcome: ReviewOutcome) -> Script[None]:
    """Store everything one answer changed: the log entry, the card's memory, XP and
    streak. Run inside the transaction that decided it."""
    review = outcome.review
    yield from append(outcome)
    yield from card_states.put(review.learner_id, review.deck_id, review.card_id, outcome.memory)
    yield from learners.save_progress(review.learner_id, outcome)


__all__ = ["append", "record"]
