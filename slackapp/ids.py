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

from bot.core.custom_ids import ID_PATTERN, SPEC_PATTERN, StartSpec, parse_id

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
RESUME_PREFIX: Final = re.compile(r"^recall:qr:")
RESUME: Final = re.compile(rf"recall:qr:(?P<sid>{ID_PATTERN})")
START_NEW_PREFIX: Final = re.compile(r"^recall:qn:")
START_NEW: Final = re.compile(rf"recall:qn:(?P<sid>{ID_PATTERN}):(?P<spec>{SPEC_PATTERN})")
SUMMARY_PREFIX: Final = re.compile(r"^recall:qe:")
SUMMARY: Final = re.compile(rf"recall:qe:(?P<sid>{ID_PATTERN}):(?P<action>missed|another)")
ANSWER_BLOCK: Final = "answer"
ANSWER_INPUT: Final = "answer"


@dataclass(frozen=True, slots=True)
class QuizClick:
    """A parsed quiz button."""

    session_id: int
    step: int
    action: str


def resume_action(session_id: int) -> str:
    """The ``action_id`` of Resume (show open session ``session_id`` again)."""
    return f"recall:qr:{session_id}"


def start_new_action(session_id: int, spec: StartSpec) -> str:
    """The ``action_id`` of Start new (finish ``session_id``, then start ``spec``)."""
    action_id = f"recall:qn:{session_id}:{spec.encode()}"
    # The service refuses an unknown deck before it asks about an open session, so the
    # spec only carries a real deck id: the id parses (and fits Slack's 255).
    assert len(action_id) <= 255 and START_NEW.fullmatch(action_id), action_id
    return action_id


def summary_action(session_id: int, action: str) -> str:
    """The ``action_id`` of a summary's Review missed (``missed``) or Start another."""
    return f"recall:qe:{session_id}:{action}"


def parse_resume(action_id: str) -> int | None:
    """The session of a Resume button, or None."""
    match = RESUME.fullmatch(action_id)
    return None if match is None else parse_id(match["sid"])


def parse_start_new(action_id: str) -> tuple[int, StartSpec] | None:
    """(open session, what to start) of a Start new button, or None."""
    match = START_NEW.fullmatch(action_id)
    if match is None:
        return None
    session_id = parse_id(match["sid"])
    spec = StartSpec.decode(match["spec"])
    return None if session_id is None or spec is None else (session_id, spec)


def parse_summary(action_id: str) -> tuple[int, str] | None:
    """(finished session, missed|another) of a summary button, or None."""
    match = SUMMARY.fullmatch(action_id)
    if match is None:
        return None
    session_id = parse_id(match["sid"])
    return None if session_id is None else (session_id, match["action"])


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


def parse_quiz(action_id: str) -> QuizClick | None:
    """The click in a quiz ``action_id``, or None for an id Recall did not make."""
    match = QUIZ_ACTION.fullmatch(action_id)
    if match is None:
        return None
    session_id = parse_id(match["sid"])
    if session_id is None:
        return None
    return QuizClick(session_id, int(match["step"]), match["action"])


def parse_modal(callback_id: str) -> tuple[int, int] | None:
    """(session, step) of the explain modal's ``callback_id``, or None."""
    match = MODAL.fullmatch(callback_id)
    if match is None:
        return None
    session_id = parse_id(match["sid"])
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
    "RESUME_PREFIX",
    "REVIEW_PREFIX",
    "START_NEW_PREFIX",
    "SUMMARY_PREFIX",
    "QuizClick",
    "StartSpec",
    "forget_action",
    "modal_callback",
    "parse_forget",
    "parse_modal",
    "parse_quiz",
    "parse_resume",
    "parse_review",
    "parse_start_new",
    "parse_summary",
    "quiz_action",
    "resume_action",
    "review_action",
    "start_new_action",
    "summary_action",
]
