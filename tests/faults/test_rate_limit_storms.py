"""429 storms: every interaction reply and every reminder DM is rate limited first.

discord.py honours each 429's ``retry_after`` and retries; the outcome must be that
everything arrives exactly once, only later.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import cast

from bot.storage.script import value
from cogs.reminders import Reminders
from tests.e2e.harness import Recall
from tests.fakediscord.session_driver import run_session
from tests.faults.conftest import Classroom

CALLBACK = r"/interactions/\d+/[^/]+/callback"
DM_SEND = r"/channels/\d+/messages"
REFUSALS = 2
"""429s per request before it goes through (discord.py gives up after five tries)."""


async def test_every_reply_is_delivered_once_through_a_429_storm(
    recall: Recall, classroom: Classroom
) -> None:
    fake = recall.fake
    storm = fake.rate_limit("POST", CALLBACK, times=None, per_path=REFUSALS, retry_after=0.05)
    runs = await asyncio.gather(
        *(
            run_session(fake, user, {"kind": "flashcard", "count": 3})
            for user in classroom.learners[:4]
        )
    )
    assert all(run.finished for run in runs)
    # 4 learners x (start + 3 x (reveal + grade)) replies, each refused twice, then sent.
    replies = 4 * 7
    assert storm.hits == replies * REFUSALS
    statuses = Counter(r.status for r in fake.requests_matching("POST", CALLBACK))
    assert statuses == {429: replies * REFUSALS, 200: replies}
    assert all(inter.callback_attempts == 1 for inter in fake.interactions.values())
    assert await recall.review_count() == 4 * 3


async def test_every_reminder_dm_is_delivered_once_through_a_429_storm(
    recall: Recall, classroom: Classroom
) -> None:
    fake, learners = recall.fake, classroom.learners
    for user in learners:
        start = await recall.slash(user, "quiz start", {"kind": "flashcard", "count": 1})
        message = start.message()
        assert message is not None
        await recall.click(user, message, "Reveal answer")
        await recall.click(user, message, "Again")  # due again in a minute
        await recall.slash(user, "quiz remind set", {"time": "12:05"})  # clock: 12:00 UTC
    storm = fake.rate_limit("POST", DM_SEND, times=None, per_path=REFUSALS, retry_after=0.05)
    recall.clock.advance(timedelta(minutes=6))
    cog = cast(Reminders, recall.running.get_cog("Reminders"))
    await cog.loop.reminder_tick(drain=True)
    await cog.loop.reminder_tick(drain=True)  # a second tick sends nothing more

    for user in learners:
        dms = fake.messages_in(fake.dm_channel(user))
        assert len(dms) == 1, user.username
        assert "1 card is due" in dms[0].content
    assert storm.hits == len(learners) * REFUSALS
    sent = await recall.running.store.read(
        value("SELECT COUNT(*) FROM reminder_sends WHERE status = 'sent'")
    )
    assert sent == len(learners)
