"""The 3 s rule covers all the work a reply waits for, not only its first step."""

from __future__ import annotations

import asyncio

import pytest

from cogs.common.respond import DEFER_AFTER
from tests.e2e.harness import Recall, embed
from tests.fakediscord.interactions import DEFERRED_CHANNEL_MESSAGE


async def test_start_defers_when_the_reminder_notice_is_slow(
    recall: Recall, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /quiz start asks for the learner's reminder notice after starting the session,
    # before its first response: when that second call is the slow one, the
    # interaction must still be deferred in time.
    reminders = recall.running.reminders
    ask = reminders.take_off_notice

    async def slow(*args: object) -> str | None:
        await asyncio.sleep(DEFER_AFTER + 0.5)
        return await ask(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(reminders, "take_off_notice", slow)
    start = await recall.fake.slash(recall.hall.learner, "quiz start", {"count": 1})
    assert (await start.response(timeout=10)).type == DEFERRED_CHANNEL_MESSAGE
    await start.wait_done(timeout=10)
    message = start.message()
    assert message is not None and embed(message)["title"]
