"""The learner's other commands end to end: decks, stats (naming the zone and where it
came from), timezone, remind, forget-me with its confirmation, help, usage errors,
and the App Home tab with its Start review button."""

from __future__ import annotations

from datetime import timedelta

from bot.core.learner import Identity, Platform
from tests.e2e_slack.harness import SlackRecall


async def test_usage_errors_are_answered_privately_in_the_ack(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    action = await slack_recall.quiz(alice, "start count:99 kind:mcq")
    assert action.ack is not None and action.ack["response_type"] == "ephemeral"
    assert "count must be a whole number from 1 to 50" in action.ack["text"]
    assert "Usage: /quiz start" in action.ack["text"]
    assert not slack_recall.fake.dm_messages(alice)  # no session was started
    dup = await slack_recall.quiz(alice, "timezone zone:UTC zone:UTC")
    assert dup.ack is not None and "given twice" in dup.ack["text"]


async def test_help_lists_every_command(slack_recall: SlackRecall) -> None:
    action = await slack_recall.quiz(slack_recall.world.learner, "help")
    text = (await action.wait_reply()).text
    for usage in ("/quiz start", "/quiz review", "/quiz remind time:19:30", "/quiz forget-me"):
        assert usage in text
    assert "Workspace admins" in text and "/quiz leaderboard" in text


async def test_decks_lists_the_decks_with_progress(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    action = await slack_recall.quiz(alice, "decks")
    reply = await action.wait_reply()
    text = reply.all_text()
    assert "WSGI vs ASGI in Django" in text and "`django-wsgi-asgi`" in text
    assert "You: 0/" in text


async def test_stats_names_the_zone_from_slack_then_the_one_set(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    action = await slack_recall.quiz(alice, "stats")
    text = (await action.wait_reply()).all_text()
    assert "*Time zone:* Europe/Paris (as in your Slack profile)" in text
    assert "*Streak:* 🔥 0" in text and "*Reviews:* 0" in text
    assert "⬜ ⬜ ⬜ ⬜ ⬜ ⬜ ⬜" in text and "🟩" not in text  # no activity yet

    changed = await slack_recall.quiz(alice, "timezone zone:Asia/Tokyo")
    assert "Your time zone is now *Asia/Tokyo*" in (await changed.wait_reply()).text
    again = await slack_recall.quiz(alice, "stats")
    assert (
        "*Time zone:* Asia/Tokyo (set with /quiz timezone)" in (await again.wait_reply()).all_text()
    )
    # A restart empties every cache: the zone set is kept, Slack's is not re-adopted.
    await slack_recall.restart()
    _, card = await slack_recall.start_session(alice, "start kind:flashcard count:1")
    card = await slack_recall.click(alice, card, "Reveal answer")
    await slack_recall.click(alice, card, "Good")
    after = await slack_recall.quiz(alice, "stats")
    text = (await after.wait_reply()).all_text()
    assert "Asia/Tokyo" in text
    assert "*Reviews:* 1" in text and text.count("🟩") == 1  # today's square


async def test_a_bad_zone_is_refused_and_changes_nothing(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    action = await slack_recall.quiz(alice, "timezone zone:Mars/Olympus")
    reply = await action.wait_reply()
    assert "Mars/Olympus" in reply.text
    stats = await slack_recall.ctx.reports.learner_stats(Identity(Platform.SLACK, alice.id))
    assert stats.time_zone == "Europe/Paris"


async def test_remind_on_and_off(slack_recall: SlackRecall) -> None:
    bob = slack_recall.world.learner2  # New York, as Slack reports
    on = await slack_recall.quiz(bob, "remind time:19:30")
    text = (await on.wait_reply()).text
    assert "at *19:30*" in text and "(America/New_York)" in text
    settings = await slack_recall.ctx.reminders.settings(Identity(Platform.SLACK, bob.id))
    assert settings is not None and settings.time == "19:30"
    bad = await slack_recall.quiz(bob, "remind time:25:99")
    assert "25:99" in (await bad.wait_reply()).text or "HH:MM" in (await bad.wait_reply()).text
    off = await slack_recall.quiz(bob, "remind off")
    assert (await off.wait_reply()).text == "Reminders are off."
    again = await slack_recall.quiz(bob, "remind off")
    assert (await again.wait_reply()).text == "Reminders were already off."


async def test_forget_me_asks_first_then_deletes(slack_recall: SlackRecall) -> None:
    fake, alice, bob = slack_recall.fake, slack_recall.world.learner, slack_recall.world.learner2
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:1"
    )
    card = await slack_recall.click(alice, card, "Reveal answer")
    await slack_recall.click(alice, card, "Good")
    who = Identity(Platform.SLACK, alice.id)

    ask = await slack_recall.quiz(alice, "forget-me")
    question = await ask.wait_reply()
    assert question.labels == ["Delete all my data", "Keep my data"]
    keep = await fake.click(alice, question, "Keep my data")
    assert "Nothing was deleted" in (await keep.wait_update()).text
    assert await slack_recall.ctx.learners.known(who)

    ask = await slack_recall.quiz(alice, "forget-me")
    question = await ask.wait_reply()
    # Bob cannot see Alice's ephemeral question: a tampered client sends its Delete
    # button's id from Bob's own question, and is refused.
    yes_id = question.action_ids[0]
    bobs = await (await slack_recall.quiz(bob, "forget-me")).wait_reply()
    forged = await fake.click(bob, bobs, yes_id, forged=True)
    assert "Only the person who asked" in (await forged.wait_reply()).text
    assert await slack_recall.ctx.learners.known(who)

    delete = await fake.click(alice, question, "Delete all my data")
    assert "All your Recall data was deleted" in (await delete.wait_update()).text
    assert not await slack_recall.ctx.learners.known(who)


async def test_app_home_shows_stats_and_starts_a_review(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    opened = await fake.open_home(alice)
    home = await opened.wait_home()
    assert "*Streak:* 🔥 0" in home.all_text()
    assert "Europe/Paris" in home.all_text()
    assert home.labels == ["Start review"]

    # Nothing is due for a new learner: Start review opens a short session of new cards.
    click = await fake.click(alice, home, "Start review")
    card = await click.wait_dm()
    assert "card 1 of 5" in card.all_text()
    assert card.channel is fake.dm(alice)

    # Someone else's Start review (a forged copy of Alice's button) is refused.
    bob = slack_recall.world.learner2
    bob_home = await (await fake.open_home(bob)).wait_home()
    forged = await fake.click(bob, bob_home, home.buttons()[0]["action_id"], forged=True)
    # A Home tab click has no response_url: the refusal comes in Bob's DM.
    assert "not yours" in (await forged.wait_dm()).text
    assert not slack_recall.fake.dm_messages(bob)[0].buttons()


async def test_users_info_failing_on_first_contact_costs_nothing_but_the_zone(
    slack_recall: SlackRecall,
) -> None:
    fake, bob = slack_recall.fake, slack_recall.world.learner2
    fake.fail("users.info", "ratelimited_forever", times=1)
    _, card = await slack_recall.start_session(bob, "start kind:flashcard count:1")
    assert "Reveal answer" in card.labels
    who = Identity(Platform.SLACK, bob.id)
    assert (await slack_recall.ctx.reports.learner_stats(who)).time_zone == "UTC"
    # The next command tries again (the learner is not marked as seen), but a learner
    # who now exists keeps the zone they have: first contact was the first command.
    again = await slack_recall.quiz(bob, "stats")
    assert "*Time zone:* UTC" in (await again.wait_reply()).all_text()


async def test_a_zone_recall_does_not_know_leaves_the_learner_on_utc(
    slack_recall: SlackRecall,
) -> None:
    fake = slack_recall.fake
    carol = fake.add_user("carol", tz="Mars/Olympus_Mons", tz_offset=0)
    first = await slack_recall.quiz(carol, "stats")
    assert "*Time zone:* UTC" in (await first.wait_reply()).all_text()
    asked = len(fake.calls_to("users.info"))
    slack_recall.clock.advance(timedelta(minutes=5))  # past the users.info cache
    await (await slack_recall.quiz(carol, "decks")).wait_reply()
    # Known now (in memory): the next command does not ask Slack again for her zone.
    assert len(fake.calls_to("users.info")) == asked
