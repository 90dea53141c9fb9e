"""Buttons of sessions that were expired or pruned by the housekeeping job."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

import pytest

from bot.core.session import SESSION_IDLE, SESSION_KEEP
from cogs.reminders import Reminders
from tests.e2e.harness import Recall, custom_id_of, embed


async def _prune_tick(recall: Recall) -> None:
    cog = cast(Reminders, recall.running.get_cog("Reminders"))
    await cog.loop.prune_tick()


async def test_an_expired_sessions_button_says_it_expired(
    recall: Recall, caplog: pytest.LogCaptureFixture
) -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 2})
    message = start.message()
    assert message is not None
    recall.clock.advance(SESSION_IDLE + timedelta(minutes=1))
    await _prune_tick(recall)
    with caplog.at_level(logging.WARNING):
        click = await recall.fake.click(alice, message, custom_id_of(message, "Reveal answer"))
        await click.response()
        notice = await click.wait_followup()
    assert notice.ephemeral
    assert "expired" in notice.content
    assert "Session" in str(embed(message).get("title", ""))  # redrawn as its summary
    assert await recall.review_count() == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_pruned_sessions_button_gets_a_clear_private_reply(
    recall: Recall, caplog: pytest.LogCaptureFixture
) -> None:
    alice = recall.hall.learner
    options = {"kind": "flashcard", "count": 2}
    old = (await recall.slash(alice, "quiz start", options)).message()
    prompt = (await recall.slash(alice, "quiz start", options)).message()
    assert old is not None and prompt is not None
    await recall.click(alice, prompt, "Start new")  # ends the old session
    recall.clock.advance(SESSION_KEEP + timedelta(minutes=1))
    await _prune_tick(recall)
    row = await recall.sql_one("SELECT COUNT(*) FROM quiz_sessions")
    assert row is not None and row[0] == 1
    with caplog.at_level(logging.WARNING):
        click = await recall.click(alice, old, "Reveal answer")
    reply = click.message()
    assert reply is not None and reply.ephemeral
    assert "no longer exists" in reply.content
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
