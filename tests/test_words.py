"""The Discord front end's words for the engine's errors (``cogs.common.words``).

The engine's errors carry data; these are the sentences a learner reads, which the
engine's own messages used to hold (and ``tests/test_sessions.py`` checked).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.errors import (
    CardChanged,
    CardRemoved,
    NothingReason,
    NothingToStudy,
    NotYourSession,
    RecallError,
    SessionNotFound,
    SessionOver,
    StaleReason,
    StaleStep,
)
from cogs.common.words import STALE, describe, relative

DUE = datetime(2026, 3, 2, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (StaleStep(StaleReason.REVEAL_FIRST), "Reveal the answer first."),
        (StaleStep(StaleReason.NOT_A_FLASHCARD), "Only flashcards have an answer to reveal."),
        (StaleStep(StaleReason.ALREADY_ANSWERED), "That card was already answered."),
        (StaleStep(StaleReason.OUT_OF_DATE), "That button is out of date."),
        (StaleStep(StaleReason.ANSWER_FIRST), "Answer this card first."),
        (StaleStep(StaleReason.NO_HINT), "This card has no hint."),
        (CardRemoved(), "This card was removed from its deck. Press Next to skip it."),
        (CardChanged(), "This question changed since it was shown. Here it is again."),
        (NotYourSession(), "This is not your quiz. Start your own with /quiz start."),
        (SessionNotFound(), "This quiz no longer exists. Start a new one with /quiz start."),
        (SessionOver("finished"), "This quiz is finished. Start another with /quiz start."),
        (SessionOver("abandoned"), "This quiz was replaced by a newer one."),
        (
            SessionOver("expired"),
            "This quiz expired after a day unused. Start a new one with /quiz start.",
        ),
        (
            NothingToStudy(NothingReason.NO_MATCH),
            "No cards match that deck, kind and level.",
        ),
        (
            NothingToStudy(NothingReason.NO_SUCH_DECK, deck_id="nope"),
            "There is no deck called 'nope'. See /quiz decks.",
        ),
        (
            NothingToStudy(NothingReason.BAD_COUNT, limit=50),
            "Count must be between 1 and 50.",
        ),
        (
            NothingToStudy(NothingReason.NOTHING_DUE),
            "Nothing is due right now. Try /quiz start.",
        ),
        (
            NothingToStudy(NothingReason.NOTHING_DUE, next_due=DUE),
            f"Nothing is due right now. The next one is due <t:{int(DUE.timestamp())}:R>."
            " Try /quiz start.",
        ),
        (RecallError(), "That can't be done right now."),
    ],
)
def test_describe(error: RecallError, words: str) -> None:
    assert describe(error) == words


def test_every_stale_reason_has_words() -> None:
    assert set(STALE) == set(StaleReason)
    for reason in StaleReason:
        assert describe(StaleStep(reason)) == STALE[reason]


def test_a_long_deck_name_is_cut() -> None:
    words = describe(NothingToStudy(NothingReason.NO_SUCH_DECK, deck_id="x" * 500))
    assert "x" * 100 + "'" in words
    assert "x" * 101 not in words


def test_relative_is_a_discord_timestamp() -> None:
    assert relative(DUE) == f"<t:{int(DUE.timestamp())}:R>"


def test_an_empty_answer_says_nothing_was_recorded() -> None:
    from bot.core.errors import EmptyAnswer

    text = describe(EmptyAnswer(session_id=7, step=0))
    assert "nothing was graded or recorded" in text
    assert "Answer again" in text
