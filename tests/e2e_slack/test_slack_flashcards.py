"""A flashcard session end to end: ``/quiz start`` answers privately, the session runs
in the learner's DM, each click updates that one message, the summary ends it."""

from __future__ import annotations

from datetime import timedelta

from bot.core.learner import Identity, Platform
from tests.e2e_slack.harness import SlackRecall, labels


async def test_flashcard_session_in_the_dm(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    action, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:2"
    )
    assert action.ack is None  # acknowledged at once, the work followed
    reply = await action.wait_reply()
    assert reply.ephemeral_to is alice or reply.response_type == "ephemeral"
    assert "direct messages with Recall" in reply.text
    assert card.channel is fake.dm(alice)
    assert "card 1 of 2" in card.all_text()
    assert labels(card) == ["Reveal answer", "Stop"]

    card = await slack_recall.click(alice, card, "Reveal answer")
    assert labels(card) == ["Again", "Hard", "Good", "Easy", "Stop"]
    card = await slack_recall.click(alice, card, "Good")
    assert "card 2 of 2" in card.all_text()
    card = await slack_recall.click(alice, card, "Reveal answer")
    card = await slack_recall.click(alice, card, "Easy")
    assert "Session complete" in card.all_text()
    assert "Score:* 2/2" in card.all_text()
    # One message for the whole session, updated in place.
    assert len(fake.dm_messages(alice)) == 1
    assert card.edits == 4

    # The answers were recorded for the Slack learner, in the zone Slack reported.
    stats = await slack_recall.ctx.reports.learner_stats(Identity(Platform.SLACK, alice.id))
    assert stats.reviews == 2
    assert stats.time_zone == "Europe/Paris"


async def test_review_brings_back_the_due_cards(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    nothing = await slack_recall.quiz(alice, "review")
    assert "Nothing is due right now." in (await nothing.wait_reply()).text

    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:2"
    )
    card = await slack_recall.click(alice, card, "Reveal answer")
    card = await slack_recall.click(alice, card, "Again")  # due again a minute later
    card = await slack_recall.click(alice, card, "Reveal answer")
    card = await slack_recall.click(alice, card, "Easy")  # due in days
    assert "Next review:* in 1 minute" in card.all_text()

    early = await slack_recall.quiz(alice, "review")
    assert "The next one is due in 1 minute." in (await early.wait_reply()).text
    slack_recall.clock.advance(timedelta(minutes=2))
    _, due = await slack_recall.start_session(alice, "review")
    assert "card 1 of 1" in due.all_text()
    assert labels(due) == ["Reveal answer", "Stop"]
