"""The errors Recall's rules raise. They carry data, never words or markup.

Each front end (Discord, Slack, the terminal) turns them into its own text: the
engine does not know that a command is spelt ``/quiz start`` or that Discord
shows ``<t:…:R>`` as "in 3 days".
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class RecallError(Exception):
    """A request the rules refuse; the front end says why to the person who asked."""


class SessionNotFound(RecallError):
    """The session does not exist (it was pruned, or the learner deleted their data)."""


class NotYourSession(RecallError):
    """Someone other than the session's owner pressed one of its buttons."""


class StaleReason(StrEnum):
    """Why a click no longer fits the session."""

    ALREADY_ANSWERED = "already_answered"
    OUT_OF_DATE = "out_of_date"
    REVEAL_FIRST = "reveal_first"
    ANSWER_FIRST = "answer_first"
    WRONG_BUTTON = "wrong_button"
    NOT_A_FLASHCARD = "not_a_flashcard"
    NO_HINT = "no_hint"
    CARD_REMOVED = "card_removed"
    CARD_CHANGED = "card_changed"


class StaleStep(RecallError):
    """The click belongs to a step that was already answered or left, or does not fit it."""

    def __init__(self, reason: StaleReason = StaleReason.ALREADY_ANSWERED) -> None:
        super().__init__(reason.value)
        self.reason = reason


class CardRemoved(StaleStep):
    """The current card was removed from its deck since the session started."""

    def __init__(self) -> None:
        super().__init__(StaleReason.CARD_REMOVED)


class CardChanged(StaleStep):
    """The card's options changed (a deck reload) since its buttons were drawn."""

    def __init__(self) -> None:
        super().__init__(StaleReason.CARD_CHANGED)


class SessionOver(RecallError):
    """The session is finished, was replaced by a newer one, or expired."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class SessionOpen(RecallError):
    """The learner already has a session open (a start asked with ``IfOpen.ASK``).

    Carries the open session so the front end can offer to resume it: its id, the
    step (position) it is at, how many cards it has and how many were answered, its
    kind and deck (None: all decks). ``deck_id`` is the deck's key (an uploaded deck's
    carries its community): front ends look its title up in the deck catalog.
    """

    def __init__(
        self,
        session_id: int,
        *,
        step: int,
        total: int,
        answered: int,
        kind: str,
        deck_id: str | None,
    ) -> None:
        super().__init__(f"session {session_id} is open")
        self.session_id = session_id
        self.step = step
        self.total = total
        self.answered = answered
        self.kind = kind
        self.deck_id = deck_id


class EmptyAnswer(RecallError):
    """An explain answer with no word to grade (empty, whitespace, only punctuation or markup).

    Refused before anything is recorded: grading it would log a lapse the learner never
    meant to give. ``session_id`` and ``step`` name the card the answer was for.
    """

    def __init__(self, session_id: int, step: int) -> None:
        super().__init__(f"empty answer to step {step} of session {session_id}")
        self.session_id = session_id
        self.step = step


class NothingReason(StrEnum):
    """Why there is nothing to study."""

    NO_SUCH_DECK = "no_such_deck"
    NO_MATCH = "no_match"
    NOTHING_DUE = "nothing_due"
    NOTHING_MISSED = "nothing_missed"
    """Review missed, on a session whose every card was right (or whose cards are gone)."""
    BAD_COUNT = "bad_count"


class NothingToStudy(RecallError):
    """No card fits what the learner asked for.

    ``deck_id`` names the deck asked for (``NO_SUCH_DECK``); ``next_due`` is the
    learner's next scheduled review (``NOTHING_DUE``); ``limit`` the largest count
    allowed (``BAD_COUNT``).
    """

    def __init__(
        self,
        reason: NothingReason,
        *,
        deck_id: str | None = None,
        next_due: datetime | None = None,
        limit: int | None = None,
    ) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.deck_id = deck_id
        self.next_due = next_due
        self.limit = limit


# -- the daily question ---------------------------------------------------------------


class DailyError(RecallError):
    """A daily-question action that cannot be done."""


class AlreadyAnswered(DailyError):
    """This learner already answered this daily question (nothing changed)."""


class UnknownPost(DailyError):
    """No such daily question (deleted, or a button from another database)."""


class WrongCommunity(DailyError):
    """The answer did not come from the question's community (a DM, or an id copied
    onto another community's message): it counts nowhere, so nothing is recorded."""


class QuestionUnavailable(DailyError):
    """The question's card is gone from its deck (a deck reload removed it)."""


class NotAnOption(DailyError):
    """The chosen option is not on the question."""


class NoQuestions(DailyError):
    """No multiple-choice question to draw from: in deck ``deck_id`` (``unknown_deck``
    when there is no such deck), or in any deck when ``deck_id`` is None."""

    def __init__(self, deck_id: str | None = None, *, unknown_deck: bool = False) -> None:
        super().__init__(deck_id or "")
        self.deck_id = deck_id
        self.unknown_deck = unknown_deck


class DeckError(RecallError):
    """A moderator's deck command refused (upload, remove, download)."""


class UnknownDeck(DeckError):
    """No deck ``deck_id`` was uploaded in this community (a bundled deck is not
    removable nor downloadable here, and another community's deck is unknown)."""

    def __init__(self, deck_id: str, *, bundled: bool = False) -> None:
        super().__init__(deck_id)
        self.deck_id = deck_id
        self.bundled = bundled


class BundledDeckId(DeckError):
    """The upload's id is a bundled deck's: every community already has that deck."""

    def __init__(self, deck_id: str) -> None:
        super().__init__(deck_id)
        self.deck_id = deck_id


class DeckExists(DeckError):
    """The community already has an uploaded deck ``deck_id`` (and replace was not asked)."""

    def __init__(self, deck_id: str) -> None:
        super().__init__(deck_id)
        self.deck_id = deck_id


class UploadTooLarge(DeckError):
    """The file is ``size`` bytes, over ``limit``: refused before it is downloaded."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} > {limit}")
        self.size = size
        self.limit = limit


class TooManyDecks(DeckError):
    """The community holds ``limit`` uploaded decks already: a new deck is refused
    (replacing one of them is not)."""

    def __init__(self, limit: int) -> None:
        super().__init__(str(limit))
        self.limit = limit


class DeckSpaceFull(DeckError):
    """Saving this deck (``size`` characters of stored text) would take the community's
    decks over ``limit``; ``used`` is what its other decks hold now."""

    def __init__(self, size: int, used: int, limit: int) -> None:
        super().__init__(f"{used} + {size} > {limit}")
        self.size = size
        self.used = used
        self.limit = limit


class UploadBusy(DeckError):
    """Another upload in the same community is still being read or saved: one at a time."""


class ImportTimedOut(DeckError):
    """Reading the file took longer than ``seconds``; nothing was saved."""

    def __init__(self, seconds: float) -> None:
        super().__init__(str(seconds))
        self.seconds = seconds


__all__ = [
    "AlreadyAnswered",
    "BundledDeckId",
    "CardChanged",
    "CardRemoved",
    "DailyError",
    "DeckError",
    "DeckExists",
    "DeckSpaceFull",
    "ImportTimedOut",
    "NoQuestions",
    "NotAnOption",
    "NotYourSession",
    "NothingReason",
    "NothingToStudy",
    "QuestionUnavailable",
    "RecallError",
    "SessionNotFound",
    "SessionOpen",
    "SessionOver",
    "StaleReason",
    "StaleStep",
    "TooManyDecks",
    "UnknownDeck",
    "UnknownPost",
    "UploadBusy",
    "UploadTooLarge",
    "WrongCommunity",
]
