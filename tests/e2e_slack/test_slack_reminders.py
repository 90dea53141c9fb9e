"""Reminder DMs over Slack end to end: the real Slack app's reminder loop against the
fake Slack, on both backends.

Learners set their reminder with ``/quiz remind`` and study a flashcard they fail (so
it is due), the clock passes their reminder, and the test drives the loop's tick by
hand (the app runs no wall-clock scheduler in tests). Exactly once holds across two
app instances on one database; a 429 is waited out and the DM still goes out once; a
deactivated learner's reminders are turned off with the reason, and nothing is lost
for the others. The fixture's teardown checks that nothing sent mentions anyone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio

from bot.core.learner import Identity, Platform
from bot.core.reminders import OffReason
from bot.storage import DatabaseURL
from bot.storage.script import rows
from tests.e2e_slack.harness import SlackRecall
from tests.fakeslack import FakeMessage, FakeUser


def slack_id(user: FakeUser) -> Identity:
    return Identity(Platform.SLACK, user.id)


async def due_card_and_reminder(recall: SlackRecall, user: FakeUser, hhmm: str) -> None:
    """``user`` fails one flashcard (due again a minute later) and sets a reminder."""
    _, card = await recall.start_session(user, "start kind:flashcard count:1")
    card = await recall.click(user, card, "Reveal answer")
    await recall.click(user, card, "Again")
    reply = await (await recall.quiz(user, f"remind time:{hhmm}")).wait_reply()
    assert hhmm in reply.text


def reminders_to(recall: SlackRecall, user: FakeUser) -> list[FakeMessage]:
    return [m for m in recall.fake.dm_messages(user) if "due for review" in m.text]


@pytest_asyncio.fixture
async def second_instance(
    slack_recall: SlackRecall, database_url: DatabaseURL
) -> AsyncIterator[SlackRecall]:
    """Another app process (its own engine) on the same database and fake Slack."""
    other = SlackRecall(
        slack_recall.fake,
        slack_recall.world,
        database_url,
        slack_recall.content_dir,
        slack_recall.clock,
    )
    await other.start()
    try:
        yield other
    finally:
        await other.stop()


async def test_a_reminder_goes_out_once_from_two_app_instances_on_one_database(
    slack_recall: SlackRecall, second_instance: SlackRecall
) -> None:
    world = slack_recall.world
    # Alice is in Europe/Paris (UTC+1): 14:00 there is 13:00 UTC, an hour from now.
    await due_card_and_reminder(slack_recall, world.learner, "14:00")
    slack_recall.clock.advance(timedelta(hours=1, minutes=1))
    first, second = slack_recall.outbound(), second_instance.outbound()
    reports = await asyncio.gather(
        first.reminder_tick(drain=True), second.reminder_tick(drain=True)
    )
    assert sum(r.sent for r in reports) == 1
    assert sum(r.claimed for r in reports) == 1
    (dm,) = reminders_to(slack_recall, world.learner)
    assert dm.channel is slack_recall.fake.dm(world.learner)
    assert dm.labels == ["Start review"]
    # Later ticks, from either instance, never send that day's reminder again.
    for loop in (first, second):
        assert (await loop.reminder_tick(drain=True)).claimed == 0
    assert len(reminders_to(slack_recall, world.learner)) == 1

    # Its button starts a review in the learner's DM (the learner flows' handler).
    click = await slack_recall.fake.click(world.learner, dm, "Start review")
    session = await click.wait_dm(0)
    assert "card 1 of" in session.all_text()


async def test_a_429_on_chat_post_message_is_waited_out_and_the_dm_goes_out_once(
    slack_recall: SlackRecall,
) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    await due_card_and_reminder(slack_recall, alice, "14:00")
    slack_recall.clock.advance(timedelta(hours=1, minutes=1))
    limited = fake.rate_limit("chat.postMessage", times=1, retry_after=2)
    loop = slack_recall.outbound()
    report = await loop.reminder_tick(drain=True)
    assert limited.hits == 1
    # The 429 reached the pacer (which paused every send), not a retry inside the client.
    assert loop.pacer.stats.retries == 1 and loop.pacer.stats.rate_limited_seconds == 2
    assert (report.sent, report.failed) == (1, 0)
    assert len(reminders_to(slack_recall, alice)) == 1
    posts = [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == alice.id]
    assert [c.status for c in posts] == [429, 200]
    settings = await slack_recall.ctx.reminders.settings(slack_id(alice))
    assert settings is not None and settings.time == "14:00"


async def test_a_deactivated_learners_reminders_are_turned_off_with_the_reason(
    slack_recall: SlackRecall,
) -> None:
    fake, world = slack_recall.fake, slack_recall.world
    alice, bob = world.learner, world.learner2
    await due_card_and_reminder(slack_recall, alice, "14:00")
    # Bob is in New York (UTC-5): 08:00 there is 13:00 UTC too.
    await due_card_and_reminder(slack_recall, bob, "08:00")
    fake.deactivate(alice)
    slack_recall.clock.advance(timedelta(hours=1, minutes=1))
    loop = slack_recall.outbound()
    report = await loop.reminder_tick(drain=True)
    assert (report.sent, report.dms_closed) == (1, 1)
    assert reminders_to(slack_recall, alice) == []
    assert len(reminders_to(slack_recall, bob)) == 1
    settings = await slack_recall.ctx.reminders.settings(slack_id(alice))
    assert settings is not None and settings.time is None
    assert settings.off_reason == OffReason.DMS_CLOSED
    assert slack_recall.engine is not None
    recorded = await slack_recall.engine.store.read(
        rows(
            "SELECT s.status, s.error FROM reminder_sends s"
            " JOIN learners l ON l.id = s.learner_id WHERE l.external_id = ?",
            alice.id,
        )
    )
    assert [(r["status"], r["error"]) for r in recorded] == [("dms_closed", "slack: is_archived")]
    # The next day nothing is tried for her; Bob's goes on.
    slack_recall.clock.advance(timedelta(days=1))
    tried = len(fake.calls_to("chat.postMessage"))
    await loop.reminder_tick(drain=True)
    new = fake.calls_to("chat.postMessage")[tried:]
    assert [c.params.get("channel") for c in new] == [bob.id]
