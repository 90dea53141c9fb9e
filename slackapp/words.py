"""What the Slack app says: the engine's errors and results in Slack's words.

The engine's errors (:mod:`bot.core.errors`) carry data; the sentences live here, as
the Discord ones live in ``cogs/common/words.py`` (the two front ends do not import
each other). Slack's command is also ``/quiz``, so most sentences read the same; the
differences are Slack's grammar (``/quiz remind time:19:30``) and plain relative
times instead of Discord's ``<t:…:R>`` timestamps. Nothing here contains ``&``,
``<`` or ``>``: a sentence that quotes a user's or a deck's text escapes that part.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot.core.errors import (
    EmptyAnswer,
    NothingReason,
    NothingToStudy,
    NotYourSession,
    RecallError,
    SessionNotFound,
    SessionOver,
    StaleReason,
    StaleStep,
)
from bot.core.reminders import OffReason
from bot.core.timezones import InvalidLocalTime, InvalidTimeZone
from bot.phrases import plural as plural  # the front end's words, all in one place
from bot.services import StorageError
from slackapp.escape import escape

log = logging.getLogger("recall.slack.errors")

NOT_YOURS = "This is not your quiz. Start your own with /quiz start."
FORGED = "That button is not one Recall made, so nothing was done."
EMPTY_ANSWER = (
    "Your answer was empty, so nothing was graded or recorded. Explain in your own words."
)
WHERE_TO_FIND = "Your quiz is in your direct messages with Recall (under Apps in the sidebar)."

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

_OFF_REASON_TEXT = {
    OffReason.DMS_CLOSED: (
        "Your daily reminders are off: Recall could not send you a direct message. "
        "Run /quiz remind time:HH:MM again once it can."
    ),
}


def relative(instant: datetime, now: datetime) -> str:
    """``in 3 days``, ``in 5 minutes``, ``now`` (Slack has no relative timestamp that
    every client shows, and ``<!date…>`` would be the only ``<`` Recall sends)."""
    seconds = (instant - now).total_seconds()
    if seconds <= 30:
        return "now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"in {n} {unit}{'s' if n != 1 else ''}"
    return "in less than a minute"


def describe_off_reason(reason: str) -> str:
    """The sentence telling a learner why Recall turned their reminders off."""
    try:
        return _OFF_REASON_TEXT[OffReason(reason)]
    except ValueError:
        return (
            f"Your daily reminders were turned off ({escape(reason[:100])}). "
            "Run /quiz remind time:HH:MM to resume."
        )


def describe(error: RecallError, now: datetime) -> str:
    """The sentence for ``error``, for the person who clicked or typed."""
    if isinstance(error, SessionNotFound):
        return "This quiz no longer exists. Start a new one with /quiz start."
    if isinstance(error, NotYourSession):
        return NOT_YOURS
    if isinstance(error, StaleStep):
        return STALE[error.reason]
    if isinstance(error, SessionOver):
        return SESSION_OVER.get(error.status, SESSION_OVER["finished"])
    if isinstance(error, NothingToStudy):
        return _nothing(error, now)
    if isinstance(error, EmptyAnswer):
        return EMPTY_ANSWER
    return "That can't be done right now."


def _nothing(error: NothingToStudy, now: datetime) -> str:
    if error.reason is NothingReason.NO_SUCH_DECK:
        return f"There is no deck called '{escape((error.deck_id or '')[:100])}'. See /quiz decks."
    if error.reason is NothingReason.BAD_COUNT:
        return f"Count must be between 1 and {error.limit}."
    if error.reason is NothingReason.NOTHING_MISSED:
        return "No card of that session was missed (or they left their deck)."
    if error.reason is NothingReason.NOTHING_DUE:
        when = f" The next one is due {relative(error.next_due, now)}." if error.next_due else ""
        return f"Nothing is due right now.{when} Try /quiz start."
    return "No cards match that deck, kind and level."


class UserFacingError(Exception):
    """An error whose message (already escaped) is meant for the person who typed."""


def message_for(error: BaseException, now: datetime) -> str:
    """The private reply for any error a handler met; unexpected ones are logged with an
    id that the reply quotes."""
    if isinstance(error, RecallError):
        return describe(error, now)
    if isinstance(error, UserFacingError):
        return str(error)
    if isinstance(error, InvalidTimeZone | InvalidLocalTime):
        return escape(str(error)[:300])
    error_id = secrets.token_hex(4)
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error") or "an error")
        log.warning("Slack refused a call %s: %s", error_id, code)
        return (
            f"Slack refused a request of Recall's ({escape(code[:60])}), so this step may "
            f"not show. Please try again in a moment. (error id {error_id})"
        )
    if isinstance(error, StorageError):
        log.warning("storage error %s: %s", error_id, error)
        return (
            "Recall's database is busy or unavailable right now, so nothing was saved. "
            f"Please try again in a moment. (error id {error_id})"
        )
    log.error("unexpected error %s", error_id, exc_info=error)
    return f"Sorry, something went wrong on our side. (error id {error_id})"


__all__ = [
    "EMPTY_ANSWER",
    "FORGED",
    "NOT_YOURS",
    "WHERE_TO_FIND",
    "UserFacingError",
    "describe",
    "describe_off_reason",
    "message_for",
    "plural",
    "relative",
]
