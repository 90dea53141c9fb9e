"""Stop, a 429 on the session's update, a DM Slack refuses, a new session replacing an
open one: the learner's session goes on or ends cleanly, and is told why."""

from __future__ import annotations

from bot.core.learner import Identity, Platform
from tests.e2e_slack.harness import SlackRecall, button_id, eventually, labels


async def test_stop_ends_the_session_with_its_summary(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:3"
    )
    card = await slack_recall.click(alice, card, "Reveal answer")
    card = await slack_recall.click(alice, card, "Hard")
    card = await slack_recall.click(alice, card, "Stop")
    assert "Session stopped · 1 of 3 cards answered" in card.all_text()
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
    assert labels(card) == ["Again", "Hard", "Good", "Easy", "Stop"]
    updates = fake.calls_to("chat.update")
    assert [c.status for c in updates] == [429, 200]


async def test_a_dm_slack_refuses_is_said_privately(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    fake.fail("conversations.open", "cannot_dm_bot", times=1)
    action = await slack_recall.quiz(alice, "start deck:django-wsgi-asgi")
    reply = await action.wait_reply()
    assert "Slack refused a request of Recall's (cannot_dm_bot)" in reply.text
    assert not fake.dm_messages(alice)


async def test_start_while_a_session_is_open_asks_resume_or_start_new(
    slack_recall: SlackRecall,
) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, old = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:2"
    )
    old = await slack_recall.click(alice, old, "Reveal answer")
    old = await slack_recall.click(alice, old, "Good")  # card 2 of 2 open

    ask = await slack_recall.quiz(alice, "start deck:django-wsgi-asgi kind:mcq count:1")
    prompt = await ask.wait_reply()
    assert prompt.ephemeral_to is alice or prompt.response_type == "ephemeral"
    assert "You have a quiz open:* WSGI vs ASGI in Django · card 2 of 2 · 1 card answered" in (
        prompt.all_text()
    )
    assert prompt.labels == ["Resume", "Start new"]
    assert len(fake.dm_messages(alice)) == 1  # nothing started

    # Resume: the open session's card again, as a new DM message that is now its own.
    resume = await fake.click(alice, prompt, "Resume")
    shown = await resume.wait_dm()
    assert "card 2 of 2" in shown.all_text() and labels(shown) == ["Reveal answer", "Stop"]
    assert "direct messages with Recall" in (await resume.wait_update()).text
    shown = await slack_recall.click(alice, shown, "Reveal answer")

    # Start new: the open session ends (its answer kept), the one asked for starts.
    ask = await slack_recall.quiz(alice, "start deck:django-wsgi-asgi kind:mcq count:1")
    prompt = await ask.wait_reply()
    start_new = await fake.click(alice, prompt, "Start new")
    new = await start_new.wait_dm()
    assert "card 1 of 1" in new.all_text() and labels(new)[0].startswith("A · ")
    assert "direct messages with Recall" in (await start_new.wait_update()).text
    stats = await slack_recall.ctx.reports.learner_stats(Identity(Platform.SLACK, alice.id))
    assert stats.reviews == 1
    # The replaced session's old message says so when clicked, and changes nothing.
    click = await fake.click(alice, shown, button_id(shown, "Good"))
    assert "finished" in (await click.wait_reply()).text
    assert (
        await slack_recall.ctx.reports.learner_stats(Identity(Platform.SLACK, alice.id))
    ).reviews == 1


async def test_resume_and_start_new_refuse_anyone_else(slack_recall: SlackRecall) -> None:
    fake, alice, bob = slack_recall.fake, slack_recall.world.learner, slack_recall.world.learner2
    await slack_recall.start_session(alice, "start kind:flashcard count:1")
    prompt = await (await slack_recall.quiz(alice, "review")).wait_reply()
    resume_id, start_new_id = prompt.action_ids
    # Bob cannot see Alice's private question: a tampered client sends its ids.
    await slack_recall.start_session(bob, "start kind:flashcard count:1")
    bobs = await (await slack_recall.quiz(bob, "review")).wait_reply()
    for action_id in (resume_id, start_new_id):
        forged = await fake.click(bob, bobs, action_id, forged=True)
        assert "not your quiz" in (await forged.wait_reply()).text
    assert len(fake.dm_messages(alice)) == 1


async def test_summary_offers_review_missed_and_start_another(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:2"
    )
    card = await slack_recall.click(alice, card, "Reveal answer")
    card = await slack_recall.click(alice, card, "Again")
    card = await slack_recall.click(alice, card, "Reveal answer")
    card = await slack_recall.click(alice, card, "Easy")
    text = card.all_text()
    assert "Session complete" in text and "*Missed (1)*" in text
    assert "✗ What does WSGI stand for" in text
    assert card.labels == ["Review missed", "Start another"]

    missed = await fake.click(alice, card, "Review missed")
    again = await missed.wait_dm()
    assert again is not card and "card 1 of 1" in again.all_text()
    assert "What does WSGI stand for" in again.all_text()
    assert "*Missed (1)*" in card.all_text()  # the summary stays readable
    again = await slack_recall.click(alice, again, "Reveal answer")
    again = await slack_recall.click(alice, again, "Good")
    assert labels(again) == ["Start another"]  # nothing missed this time

    # Start another after a session of missed cards: a mixed one of the deck, as big.
    another = await fake.click(alice, again, "Start another")
    fresh = await another.wait_dm()
    assert fresh is not again and "card 1 of 1" in fresh.all_text()


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
    assert again is not card and labels(again) == ["Again", "Hard", "Good", "Easy", "Stop"]
    # The new message is the session's now (remembered right after it was posted): its
    # buttons work and it is the one updated.
    session_id = int(again.action_ids[0].split(":")[2])
    expected = f"{again.channel.id}:{again.ts}"

    async def remembered() -> bool:
        return (await slack_recall.ctx.study.view(session_id)).session.message == expected

    await eventually(remembered)
    click = await fake.click(alice, again, button_id(again, "Good"))
    await click.wait_update()
    assert "Session complete" in again.all_text()


async def test_a_first_session_on_utc_says_how_to_set_the_zone(slack_recall: SlackRecall) -> None:
    from slackapp.quiz import ZONE_TIP

    fake, bob = slack_recall.fake, slack_recall.world.learner2
    fake.fail("users.info", "user_not_found", times=1)  # Slack did not give his zone
    action, _ = await slack_recall.start_session(bob, "start kind:flashcard count:1")
    assert ZONE_TIP in (await action.wait_reply()).text
    # Alice's zone came from Slack: no tip.
    alice = slack_recall.world.learner
    action, _ = await slack_recall.start_session(alice, "start kind:flashcard count:1")
    assert ZONE_TIP not in (await action.wait_reply()).text


async def test_home_start_review_asks_while_a_session_is_open(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(alice, "start kind:flashcard count:2")
    home = await (await fake.open_home(alice)).wait_home()
    click = await fake.click(alice, home, "Start review")
    prompt = await click.wait_dm()
    assert prompt.labels == ["Resume", "Start new"]
    # The open session was left alone: its buttons still work.
    card = await slack_recall.click(alice, card, "Reveal answer")
    assert "Good" in labels(card)
