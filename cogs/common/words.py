"""What the Discord front end says for each of the engine's errors.

The engine's errors (:mod:`bot.core.errors`) carry data; the words, the command
names and Discord's ``<t:…:R>`` timestamps live here, so that another front end
(the terminal, Slack) can say the same things its own way.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.errors import (
    BundledDeckId,
    DeckError,
    DeckExists,
    DeckSpaceFull,
    EmptyAnswer,
    ImportTimedOut,
    NothingReason,
    NothingToStudy,
    NotYourSession,
    RecallError,
    SessionNotFound,
    SessionOpen,
    SessionOver,
    StaleReason,
    StaleStep,
    TooManyDecks,
    UnknownDeck,
    UploadBusy,
    UploadTooLarge,
)
from bot.core.reminders import OffReason
from bot.phrases import plural as plural  # the front end's words, all in one place


def relative(instant: datetime) -> str:
    """A Discord timestamp that every client shows in its own zone ("in 3 days")."""
    return f"<t:{int(instant.timestamp())}:R>"


STALE: dict[StaleReason, str] = {
    StaleReason.ALREADY_ANSWERED: "That card was already answered.",
    StaleReason.OUT_OF_DATE: "That button is out of date.",
    StaleReason.REVEAL_FIRST: "Reveal the answer first.",
    StaleReason.ANSWER_FIRST: "Answer this card first.",
    StaleReason.WRONG_BUTTON: "That button does not fit this card.",
    StaleReason.NOT_A_FLASHCARD: "Only flashcards have an answer to reveal.",
    StaleReason.NO_HINT: "This card has no hint.",
    StaleReason.CARD_REMOVED: "This card was removed from its deck. Press Next to skip it.",
    StaleReason.CARD_CHANGED: "This question changed since it was shown. Here it is again.",
}

SESSION_OVER: dict[str, str] = {
    "finished": "This quiz is finished. Start another with /quiz start.",
    "expired": "This quiz expired after a day unused. Start a new one with /quiz start.",
    "abandoned": "This quiz was replaced by a newer one.",
}

SESSION_OPEN = "You already have a quiz open. Run /quiz start again to resume it or start anew."


EMPTY_ANSWER = (
    "Your answer was empty, so nothing was graded or recorded. "
    "Press Answer again and explain in your own words."
)

_OFF_REASON_TEXT = {
    OffReason.DMS_CLOSED: (
        "Your daily reminders are off: Recall could not send you a DM (your DMs are "
        "closed). Allow direct messages from this server, then run /quiz remind set again."
    ),
}


def describe_off_reason(reason: str) -> str:
    """The sentence telling a learner why Recall turned their reminders off."""
    try:
        return _OFF_REASON_TEXT[OffReason(reason)]
    except ValueError:
        return f"Your daily reminders were turned off ({reason}). Run /quiz remind set to resume."


def describe(error: RecallError) -> str:
    """The sentence for ``error``, for the person who clicked or typed."""
    if isinstance(error, SessionNotFound):
        return "This quiz no longer exists. Start a new one with /quiz start."
    if isinstance(error, NotYourSession):
        return "This is not your quiz. Start your own with /quiz start."
    if isinstance(error, StaleStep):
        return STALE[error.reason]
    if isinstance(error, SessionOver):
        return SESSION_OVER.get(error.status, SESSION_OVER["finished"])
    if isinstance(error, NothingToStudy):
        return _nothing(error)
    if isinstance(error, EmptyAnswer):
        return EMPTY_ANSWER
    if isinstance(error, DeckError):
        return _deck(error)
    if isinstance(error, SessionOpen):
        return SESSION_OPEN
    return "That can't be done right now."


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def _deck(error: DeckError) -> str:
    if isinstance(error, BundledDeckId):
        return (
            f"`{error.deck_id[:100]}` is the id of a deck that comes with Recall, in every "
            "server: give your deck another id (rename the file, or change `id:` in the YAML)."
        )
    if isinstance(error, DeckExists):
        return (
            f"This server already has a deck `{error.deck_id[:100]}`. Upload again with "
            "`replace:true` to replace it (progress on unchanged cards is kept)."
        )
    if isinstance(error, UnknownDeck):
        if error.bundled:
            return (
                f"`{error.deck_id[:100]}` comes with Recall and serves every server: only "
                "decks uploaded here can be removed or downloaded."
            )
        return (
            f"This server has no uploaded deck `{error.deck_id[:100]}`. See /quiz-admin deck list."
        )
    if isinstance(error, UploadTooLarge):
        return (
            f"That file is {_mib(error.size)}; decks can be at most {_mib(error.limit)}. "
            "Nothing was saved."
        )
    if isinstance(error, TooManyDecks):
        return (
            f"This server already has {error.limit} uploaded decks, the most it can hold. "
            "Remove one with /quiz-admin deck remove, or replace one with `replace:true`. "
            "Nothing was saved."
        )
    if isinstance(error, DeckSpaceFull):
        return (
            f"This deck needs {_mib(error.size)} of storage and this server's other decks "
            f"use {_mib(error.used)}, over the {_mib(error.limit)} a server can hold. "
            "Remove a deck with /quiz-admin deck remove, or upload a smaller one. "
            "Nothing was saved."
        )
    if isinstance(error, UploadBusy):
        return (
            "Another deck upload for this server is still being read: one at a time. "
            "Upload again once it is done. Nothing was saved."
        )
    if isinstance(error, ImportTimedOut):
        return (
            f"Reading that file took over {error.seconds:.0f} s, so it was not imported. "
            "Nothing was saved: split it into smaller decks."
        )
    return "That deck can't be handled right now."


def _nothing(error: NothingToStudy) -> str:
    if error.reason is NothingReason.NO_SUCH_DECK:
        return f"There is no deck called '{(error.deck_id or '')[:100]}'. See /quiz decks."
    if error.reason is NothingReason.BAD_COUNT:
        return f"Count must be between 1 and {error.limit}."
    if error.reason is NothingReason.NOTHING_MISSED:
        return "No card of that session was missed (or its cards left their deck). Nice!"
    if error.reason is NothingReason.NOTHING_DUE:
        when = f" The next one is due {relative(error.next_due)}." if error.next_due else ""
        return f"Nothing is due right now.{when} Try /quiz start."
    return "No cards match that deck, kind and level."


__all__ = ["CROSS", "TICK", "describe", "describe_off_reason", "plural", "relative"]


TICK = "✓"
"""The one "right" glyph of every Discord message (MCQ, explain concepts, daily)."""
CROSS = "✗"
"""The one "wrong" glyph."""
