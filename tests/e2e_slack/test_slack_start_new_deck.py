"""With a session open, /quiz start with a deck that does not exist is refused before
Resume/Start new is asked: the typed text never reaches a Start new action id."""

from __future__ import annotations

from tests.e2e_slack.harness import SlackRecall, labels


async def test_start_with_unknown_text_while_open_is_refused(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    await slack_recall.start_session(alice, "start deck:django-wsgi-asgi kind:flashcard count:2")
    for text in ('"Biology 101"', "x" * 150):
        ask = await slack_recall.quiz(alice, f"start deck:{text}")
        reply = await ask.wait_reply()
        assert "There is no deck called" in reply.all_text()
        assert "Start new" not in labels(reply)
