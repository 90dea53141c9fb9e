"""Uploaded decks on Slack: the app's services share the engine's one deck catalog, and
each workspace sees the bundled decks and its own, never a Discord server's (or another
workspace's), as a Discord server does. Uploading is Discord's (``/quiz-admin deck
upload``); a workspace's deck is stored here through the same service."""

from __future__ import annotations

from bot.core.learner import Identity, Platform
from bot.decks.importers import ImportResult, import_deck
from tests.e2e_slack.harness import SlackRecall
from tests.fakeslack import FakeMessage, FakeUser

VOCAB = b"front,back\nhola,hello\nperro,dog\ngato,cat\n"
SERVER = Identity(Platform.DISCORD, "5000")
MOD = Identity(Platform.DISCORD, "900")


def deck(name: str) -> ImportResult:
    result = import_deck(name, VOCAB)
    assert result.ok, [str(p) for p in result.problems]
    return result


async def reply_to(recall: SlackRecall, user: FakeUser, text: str) -> FakeMessage:
    action = await recall.quiz(user, text)
    return await action.wait_reply()


async def daily_set(recall: SlackRecall, admin: FakeUser, deck_id: str) -> FakeMessage:
    typed = await recall.fake.command(
        admin, "/quiz", f"daily channel:#general time:09:00 zone:UTC deck:{deck_id}", typed=True
    )
    return await typed.wait_reply()


async def test_one_catalog_and_each_workspace_sees_its_own_decks(
    slack_recall: SlackRecall,
) -> None:
    engine, ctx, world = slack_recall.engine, slack_recall.ctx, slack_recall.world
    assert engine is not None
    # One catalog for the process: a refresh by one service is every service's.
    assert ctx.study.decks is engine.decks and ctx.reports.decks is engine.decks
    assert ctx.daily.decks is engine.decks and ctx.deck_admin.catalog is engine.decks
    assert ctx.decks is engine.decks

    # A Discord server's deck is not the workspace's.
    await engine.deck_admin.upload(SERVER, MOD, deck("vocab.csv"), replace=False)
    listed = (await reply_to(slack_recall, world.learner, "decks")).all_text()
    assert "`django-wsgi-asgi`" in listed and "`vocab`" not in listed
    refused = await reply_to(slack_recall, world.learner, "start deck:vocab")
    assert "There is no deck called 'vocab'" in refused.text
    assert not slack_recall.fake.dm_messages(world.learner)  # no session was started
    progress = await reply_to(slack_recall, world.admin, "progress deck:vocab")
    assert progress.text == "There is no deck called 'vocab'."
    daily = await daily_set(slack_recall, world.admin, "vocab")
    assert daily.text == "There is no deck 'vocab'."

    # The workspace's own deck is offered there, by its plain id.
    workspace = Identity(Platform.SLACK, slack_recall.fake.team_id)
    admin = Identity(Platform.SLACK, world.admin.id)
    saved = await engine.deck_admin.upload(workspace, admin, deck("words.csv"), replace=False)
    listed = (await reply_to(slack_recall, world.learner, "decks")).all_text()
    assert "`words`" in listed and saved.deck.key not in listed and "`vocab`" not in listed
    await slack_recall.start_session(world.learner, "start deck:words kind:flashcard count:2")
    opened = await ctx.study.open_session(Identity(Platform.SLACK, world.learner.id))
    assert opened is not None and opened.session.deck_id == saved.deck.key
    assert {q.deck_id for q in opened.session.queue} == {saved.deck.key}
    shown = await reply_to(slack_recall, world.admin, "progress deck:words")
    assert "Class progress · words" in shown.all_text()
    # Known here (its flashcards are no daily question, which says so by name).
    daily = await daily_set(slack_recall, world.admin, "words")
    assert daily.text == "There are no multiple-choice questions in deck 'words'."
    # ...and never in the Discord server.
    assert not await engine.deck_admin.knows(SERVER, "words")
