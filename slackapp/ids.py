"""Action ids and view callback ids: everything a click needs, so that buttons keep
working after a restart (state lives in the database, never in memory).

A quiz button's ``action_id`` is ``recall:q:<session>:<step>:<action>``, as on
Discord; the modal's ``callback_id`` is ``recall:qm:<session>:<step>``. The app
registers its handlers on the prefixes and parses the rest here, strictly: an id
Recall could not have made (a forged or corrupted one) is refused, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

ID_PATTERN: Final = r"[0-9]{1,19}"
MAX_ID: Final = 2**63 - 1
"""The largest id SQLite stores."""
USER_PATTERN: Final = r"[UW][A-Z0-9]{1,20}"
"""A Slack user id (``U…``, or ``W…`` in Enterprise Grid)."""

QUIZ_ACTIONS: Final = r"reveal|hint|write|next|stop|g[1-4]|o[0-4][0-9a-f]{4}"
QUIZ_PREFIX: Final = re.compile(r"^recall:q:")
QUIZ_ACTION: Final = re.compile(
    rf"recall:q:(?P<sid>{ID_PATTERN}):(?P<step>[0-9]{{1,4}}):(?P<action>{QUIZ_ACTIONS})"
)
MODAL_PREFIX: Final = re.compile(r"^recall:qm:")
MODAL: Final = re.compile(rf"recall:qm:(?P<sid>{ID_PATTERN}):(?P<step>[0-9]{{1,4}})")
FORGET_PREFIX: Final = re.compile(r"^recall:forget:")
FORGET: Final = re.compile(rf"recall:forget:(?P<uid>{USER_PATTERN}):(?P<action>yes|no)")
REVIEW_PREFIX: Final = re.compile(r"^recall:review:")
REVIEW: Final = re.compile(rf"recall:review:(?P<uid>{USER_PATTERN})")
ANSWER_BLOCK: Final = "answer"
ANSWER_INPUT: Final = "answer"


@dataclass(frozen=True, slots=True)
class QuizClick:
    """A parsed quiz button."""

    session_id: int
    step: int
    action: str


def quiz_action(session_id: int, step: int, action: str) -> str:
    """The ``action_id`` of a quiz button."""
    return f"recall:q:{session_id}:{step}:{action}"


def modal_callback(session_id: int, step: int) -> str:
    """The ``callback_id`` of the explain modal."""
    return f"recall:qm:{session_id}:{step}"


def forget_action(user_id: str, action: str) -> str:
    """The ``action_id`` of forget-me's Delete (``yes``) and Keep (``no``) buttons."""
    return f"recall:forget:{user_id}:{action}"


def review_action(user_id: str) -> str:
    """The ``action_id`` of a Start review button (App Home, reminder DMs)."""
    return f"recall:review:{user_id}"


def _session(text: str) -> int | None:
    value = int(text)
    return value if value <= MAX_ID else None


def parse_quiz(action_id: str) -> QuizClick | None:
    """The click in a quiz ``action_id``, or None for an id Recall did not make."""
    match = QUIZ_ACTION.fullmatch(action_id)
    if match is None:
        return None
    session_id = _session(match["sid"])
    if session_id is None:
        return None
    return QuizClick(session_id, int(match["step"]), match["action"])


def parse_modal(callback_id: str) -> tuple[int, int] | None:
    """(session, step) of the explain modal's ``callback_id``, or None."""
    match = MODAL.fullmatch(callback_id)
    if match is None:
        return None
    session_id = _session(match["sid"])
    return None if session_id is None else (session_id, int(match["step"]))


def parse_forget(action_id: str) -> tuple[str, str] | None:
    """(user, yes|no) of a forget-me button, or None."""
    match = FORGET.fullmatch(action_id)
    return None if match is None else (match["uid"], match["action"])


def parse_review(action_id: str) -> str | None:
    """The user a Start review button was made for, or None."""
    match = REVIEW.fullmatch(action_id)
    return None if match is None else match["uid"]


__all__ = [
    "ANSWER_BLOCK",
    "ANSWER_INPUT",
    "FORGET_PREFIX",
    "MODAL_PREFIX",
    "QUIZ_PREFIX",
    "REVIEW_PREFIX",
    "QuizClick",
    "forget_action",
    "modal_callback",
    "parse_forget",
    "parse_modal",
    "parse_quiz",
    "parse_review",
    "quiz_action",
    "review_action",
]
