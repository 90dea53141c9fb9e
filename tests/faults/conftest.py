"""Shared pieces of the fault tests: a fake Discord with a class of learners.

The fault tests break things on purpose (a SIGKILL, a dropped gateway, 429 storms,
a locked or read-only database) and then check outcomes, never durations: every
acknowledged answer is stored exactly once, sessions stay consistent, the learner
gets a clean reply, and work resumes.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio

from bot.core.clock import FakeClock
from tests.conftest import CONTENT_DIR, START
from tests.e2e.harness import Recall, recall_settings
from tests.fakediscord import FakeDiscord, FakeUser, Interaction
from tests.fakediscord.fixtures import StudyHall, build_study_hall
from tests.fakediscord.interactions import (
    DEFERRED_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    UPDATE_MESSAGE,
)

GRADE_BUTTON = re.compile(r"recall:q:(?P<sid>[0-9]+):(?P<step>[0-9]+):g[1-4]")


@dataclass
class Classroom:
    """A started fake Discord with the Study Hall guild and ``learners`` more members."""

    fake: FakeDiscord
    hall: StudyHall
    learners: list[FakeUser]


@pytest_asyncio.fixture
async def classroom() -> AsyncIterator[Classroom]:
    """Study Hall plus eight extra learners, for concurrent sessions."""
    fake = FakeDiscord()
    hall = build_study_hall(fake)
    learners = [fake.add_member(hall.guild, f"learner{n}").user for n in range(8)]
    await fake.start()
    try:
        yield Classroom(fake, hall, learners)
    finally:
        await fake.stop()


def acknowledged_answers(fake: FakeDiscord) -> set[tuple[int, int]]:
    """(session id, step) of every grade click whose result the learner saw.

    A grade is acknowledged when its update reached Discord: an UPDATE_MESSAGE
    callback, or a deferred update followed by an edit. The bot answers only after
    the transaction committed, so each of these must be in the review log.
    """
    found: set[tuple[int, int]] = set()
    for inter in list(fake.interactions.values()):
        if inter.type != MESSAGE_COMPONENT or inter.callback is None:
            continue
        match = GRADE_BUTTON.fullmatch(str(inter.payload["data"]["custom_id"]))
        if match is None:
            continue
        shown = inter.callback.type == UPDATE_MESSAGE or (
            inter.callback.type == DEFERRED_UPDATE_MESSAGE and inter.edits_after_callback > 0
        )
        if shown:
            found.add((int(match["sid"]), int(match["step"])))
    return found


def reply_text(inter: Interaction) -> str:
    """The text of an interaction's ephemeral reply (response or first followup)."""
    message = inter.message()
    if message is not None and message.content and message.ephemeral:
        return message.content
    return "\n".join(m.content for m in inter.followups)


def read_rows(db_path: Path, sql: str) -> list[sqlite3.Row]:
    """Rows of a query on the bot's database file, through a separate connection."""
    conn = sqlite3.connect(db_path, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


@pytest_asyncio.fixture
async def recall(classroom: Classroom, tmp_path: Path) -> AsyncIterator[Recall]:
    """The Recall bot in this process (as in ``tests/e2e``), connected to ``classroom``.

    Faults that need no separate process (gateway drops, 429s, database trouble) use
    it: it is faster to start and the test can reach the bot's database.
    """
    settings = recall_settings(
        classroom.fake, classroom.hall, tmp_path / "data" / "recall.db", CONTENT_DIR
    )
    harness = Recall(classroom.fake, classroom.hall, settings, FakeClock(START))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
        classroom.fake.assert_no_unknown_routes()
