"""The append-only ``reviews`` log, and writing one answer's whole outcome."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.core.grading import MAX_ANSWER_CHARS
from bot.core.review import ReviewOutcome
from bot.storage import card_states, learners
from bot.storage.codec import to_epoch
from bot.storage.script import Script, Statement, execute, execute_together, rows


def append_statement(outcome: ReviewOutcome) -> Statement:
    """The INSERT of :func:`append`, for :func:`bot.storage.script.execute_together`."""
    review = outcome.review
    return (
        "INSERT INTO reviews (learner_id, community_id, deck_id, card_id, kind, rating,"
        " correct, xp, was_due, concepts_missed, session_id, step, reviewed_at, answer)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
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
            None if review.answer is None else review.answer[:MAX_ANSWER_CHARS],
        ),
    )


def append(outcome: ReviewOutcome) -> Script[None]:
    """Log one review. The roll-up triggers update the boards in the same statement.

    A (session, step) that is already logged raises
    :class:`~bot.storage.errors.Conflict` and rolls the transaction back.
    """
    sql, params = append_statement(outcome)
    yield from execute(sql, *params)


def session_answers(session_id: int) -> Script[list[tuple[int, bool]]]:
    """Each logged answer of a session as ``(step, correct)``, in step order (the
    unique (session_id, step) index)."""
    found = yield from rows(
        "SELECT step, correct FROM reviews WHERE session_id = ? ORDER BY step", session_id
    )
    return [(int(r["step"]), bool(r["correct"])) for r in found]


def record(outcome: ReviewOutcome, *, and_then: Sequence[Statement] = ()) -> Script[None]:
    """Store everything one answer changed: the log entry, the card's memory, XP and
    streak. Run inside the transaction that decided it.

    ``and_then``: more writes of the same transaction (such as the session's new
    state) that do not touch these rows; they go with the answer's writes in one
    round trip on PostgreSQL (see :func:`bot.storage.script.execute_together`).
    """
    review = outcome.review
    yield from execute_together(
        [
            append_statement(outcome),
            card_states.put_statement(
                review.learner_id,
                review.deck_id,
                review.card_id,
                outcome.memory,
                community_id=review.community_id,
            ),
            learners.save_progress_statement(review.learner_id, outcome),
            *and_then,
        ]
    )


__all__ = ["append", "append_statement", "record", "session_answers"]
