"""In a DM with a session open, /quiz start with a deck that does not exist is refused
(NO_SUCH_DECK) before Resume/Start new is asked: the raw text never reaches a
Start new custom id (a dead button, or over Discord's 100 characters)."""

from __future__ import annotations

import re

from cogs.quiz.buttons import START_NEW_TEMPLATE
from tests.e2e.harness import Recall, custom_id_of, labels


async def test_dm_start_with_unknown_text_while_open_is_refused(recall: Recall) -> None:
    alice = recall.hall.learner
    await recall.running.tree.sync()
    dm = recall.fake.dm_channel(alice)
    await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 2}, channel=dm)
    reply = await recall.slash(alice, "quiz start", {"deck": "Biology 101"}, channel=dm)
    message = reply.message()
    assert message is not None
    assert "There is no deck called 'Biology 101'" in (message.content or "")
    assert "Start new" not in labels(message)


async def test_dm_start_with_long_text_while_open_is_refused(recall: Recall) -> None:
    alice = recall.hall.learner
    await recall.running.tree.sync()
    dm = recall.fake.dm_channel(alice)
    await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 2}, channel=dm)
    reply = await recall.slash(alice, "quiz start", {"deck": "x" * 150}, channel=dm)
    message = reply.message()
    assert message is not None
    assert "went wrong" not in (message.content or "")
    assert "There is no deck called" in (message.content or "")


async def test_dm_start_with_a_real_deck_while_open_asks_with_a_working_id(
    recall: Recall,
) -> None:
    alice = recall.hall.learner
    await recall.running.tree.sync()
    dm = recall.fake.dm_channel(alice)
    await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 2}, channel=dm)
    reply = await recall.slash(alice, "quiz start", {"deck": "django-wsgi-asgi"}, channel=dm)
    message = reply.message()
    assert message is not None
    cid = custom_id_of(message, "Start new")
    assert re.fullmatch(START_NEW_TEMPLATE, cid) and len(cid) <= 100
