"""Stop, a 429 on the session's update, a DM Slack refuses, a new session replacing an
open one: the learner's session goes on or ends cleanly, and is told why."""

from __future__ import annotations

from bot.core.learner import Identity, Platform
from tests.e2e_slack.harness import SlackRecall, eventually


async def test_stop_ends_the_session_with_its_summary(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:3"
    )
    card = await slack_recall.click(alice, card, "Reveal answer")
    card = await slack_recall.click(alice, card, "Hard")
    card = await slack_recall.click(alice, card, "Stop")
    assert "Session complete" in card.all_text()
    assert "Score:* 1/1" in card.all_text()  # the one answer given stays recorded
    stats = await slack_recall.ctx.reports.learner_stats(Identity(Platform.SLACK, alice.id))
    assert stats.reviews == 1


async def test_a_rate_limited_update_is_retried_after_retry_after(
    slack_recall: SlackRecall,
) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:1"
    )
    fault = fake.rate_limit("chat.update", times=1, retry_after=1)
    card = await slack_recall.click(alice, card, "Reveal answer")
    assert fault.hits == 1
    assert card.labels == ["Again", "Hard", "Good", "Easy", "Stop"]
    updates = fake.calls_to("chat.update")
    assert [c.status for c in updates] == [429, 200]


async def test_a_dm_slack_refuses_is_said_privately(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    fake.fail("conversations.open", "cannot_dm_bot", times=1)
    action = await slack_recall.quiz(alice, "start deck:django-wsgi-asgi")
    reply = await action.wait_reply()
    assert "Slack refused a request of Recall's (cannot_dm_bot)" in reply.text
    assert not fake.dm_messages(alice)


async def test_a_new_session_replaces_the_open_one(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, old = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:2"
    )
    _, new = await slack_recall.start_session(alice, "start deck:django-wsgi-asgi kind:mcq count:1")
    assert new is not old
    click = await fake.click(alice, old, "Reveal answer")
    reply = await click.wait_reply()
    assert "replaced by a newer one" in reply.text
    # The old message was redrawn as its session stands (over): no buttons left.
    await click.wait_update()
    assert old.labels == []


async def test_a_flood_from_one_user_is_told_to_slow_down(slack_recall: SlackRecall) -> None:
    from bot.core.throttle import InteractionLimiter
    from slackapp.app import SLOW_DOWN

    alice, bob = slack_recall.world.learner, slack_recall.world.learner2
    # A frozen clock: the bucket never refills, so exactly three get through.
    slack_recall.ctx.limiter = InteractionLimiter(burst=3, clock=lambda: 0.0)
    acks = []
    for _ in range(5):
        action = await slack_recall.quiz(alice, "help")
        acks.append(action.ack)
    assert acks[:3] == [None, None, None]
    assert acks[3:] == [{"response_type": "ephemeral", "text": SLOW_DOWN}] * 2
    # Someone else is not held up by Alice's flood.
    other = await slack_recall.quiz(bob, "help")
    assert other.ack is None
    assert "/quiz start" in (await other.wait_reply()).text


async def test_a_deleted_session_message_is_posted_again(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:1"
    )
    fake.fail("chat.update", "message_not_found", times=1)
    click = await fake.click(alice, card, "Reveal answer")
    again = await click.wait_dm()
    assert again is not card and again.labels == ["Again", "Hard", "Good", "Easy", "Stop"]
    # The new message is the session's now (remembered right after it was posted): its
    # buttons work and it is the one updated.
    session_id = int(again.action_ids[0].split(":")[2])
    expected = f"{again.channel.id}:{again.ts}"

    async def remembered() -> bool:
        return (await slack_recall.ctx.study.view(session_id)).session.message == expected

    await eventually(remembered)
    click = await fake.click(alice, again, "Good")
    await click.wait_update()
    assert "Session complete" in again.all_text()
