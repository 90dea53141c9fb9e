"""Buttons survive a restart (new app instance, new engine, same database), a click by
someone else is refused privately and changes nothing, ids Recall did not make are
refused, an old copy's button redraws the session as it stands."""

from __future__ import annotations

from bot.core.learner import Identity, Platform
from tests.e2e_slack.harness import SlackRecall, labels


async def test_a_restart_between_message_and_click(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:1"
    )
    first = slack_recall.ctx
    await slack_recall.restart()
    assert slack_recall.ctx is not first and slack_recall.starts == 2
    card = await slack_recall.click(alice, card, "Reveal answer")
    assert labels(card) == ["Again", "Hard", "Good", "Easy", "Stop"]
    await slack_recall.restart()
    card = await slack_recall.click(alice, card, "Good")
    assert "Session complete" in card.all_text()
    assert fake.connections >= 3


async def test_the_explain_modal_survives_a_restart(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:explain count:1"
    )
    click = await fake.click(alice, card, "Write my answer")
    modal = await click.wait_view()
    await slack_recall.restart()
    await fake.submit_view(alice, modal, {"answer": "ASGI is asynchronous, WSGI synchronous."})
    await fake.wait_until(lambda: "concepts" in card.all_text(), what="the graded card")


async def test_a_click_by_someone_else_is_refused_and_changes_nothing(
    slack_recall: SlackRecall,
) -> None:
    fake, alice, bob = slack_recall.fake, slack_recall.world.learner, slack_recall.world.learner2
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:1"
    )
    before = (card.edits, card.all_text())
    forged = await fake.click(bob, card, "Reveal answer")
    refusal = await forged.wait_reply()
    assert "This is not your quiz" in refusal.text
    assert refusal.ephemeral_to is bob or refusal.response_type == "ephemeral"
    assert (card.edits, card.all_text()) == before
    # Bob's attempt created no session state for him, and Alice's card is untouched.
    step = await slack_recall.ctx.study.view(int(card.action_ids[0].split(":")[2]))
    assert step.session.phase.name == "QUESTION"
    # Alice goes on as if nothing happened.
    card = await slack_recall.click(alice, card, "Reveal answer")
    assert "Good" in labels(card)


async def test_forged_action_ids_are_refused(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:1"
    )
    sid = card.action_ids[0].split(":")[2]
    before = card.edits
    for action_id in (
        f"recall:q:{sid}:0:g9",  # no such grade
        f"recall:q:{2**63}:0:reveal",  # past SQLite's integers
        "recall:q:1:0:reveal;drop",
        "recall:forget:U1:maybe",
    ):
        click = await fake.click(alice, card, action_id, forged=True)
        reply = await click.wait_reply()
        assert "not one Recall made" in reply.text, action_id
    assert card.edits == before
    who = Identity(Platform.SLACK, alice.id)
    assert (await slack_recall.ctx.reports.learner_stats(who)).reviews == 0


async def test_a_stale_copy_redraws_the_session(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:2"
    )
    card = await slack_recall.click(alice, card, "Reveal answer")
    card = await slack_recall.click(alice, card, "Good")
    assert "card 2 of 2" in card.all_text()
    # A second device still shows version 1 (card 1 revealed): its Good is out of date.
    sid = card.action_ids[0].split(":")[2]
    stale = await fake.click(alice, card, f"recall:q:{sid}:0:g3", as_of=1)
    reply = await stale.wait_reply()
    assert "already answered" in reply.text
    assert "card 2 of 2" in card.all_text()
    who = Identity(Platform.SLACK, alice.id)
    assert (await slack_recall.ctx.reports.learner_stats(who)).reviews == 1


async def test_a_socket_mode_refresh_mid_session_loses_nothing(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:flashcard count:1"
    )
    # Slack asks apps to reconnect every few hours ("refresh_requested").
    await fake.disconnect("refresh_requested", timeout=30)
    card = await slack_recall.click(alice, card, "Reveal answer")
    before = fake.connections
    await fake.drop_connections()  # and a connection may simply drop
    await fake.wait_connected(before + 1, timeout=30)
    card = await slack_recall.click(alice, card, "Good")
    assert "Session complete" in card.all_text()
