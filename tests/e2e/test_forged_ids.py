"""Forged custom ids, for every persistent button template: refused privately or ignored.

A tampered client can send any custom id. Numbers past SQLite's largest integer used
to overflow deep in a query ("something went wrong" and a traceback), and a daily
option index of 5-9 raised IndexError while discord.py rebuilt the button.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

import pytest

from cogs.common.ids import FORGED_TEXT
from cogs.reminders import Reminders
from tests.e2e.harness import Recall, custom_id_of, embed, ephemeral_text, labels
from tests.fakediscord.interactions import Interaction
from tests.fakediscord.models import FakeMessage, FakeUser

TOO_BIG = str(2**63)  # 19 digits, one past the largest id
LARGEST = str(2**63 - 1)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def _forged(recall: Recall, user: FakeUser, message: FakeMessage, custom_id: str) -> str:
    """Click a forged ``custom_id`` on ``message``; the private reply's text."""
    click = await recall.fake.click(user, message, custom_id, forged=True)
    await click.response()
    return ephemeral_text(click)


async def _ignored(recall: Recall, user: FakeUser, message: FakeMessage, custom_id: str) -> None:
    """Click a forged ``custom_id`` that no template matches: no answer at all.

    discord.py matches templates while it handles the gateway event, before it reads
    the next one; so once a later click is answered, the forged one was seen and
    dropped (no sleep needed to know that nothing will come).
    """
    click = await recall.fake.click(user, message, custom_id, forged=True)
    probe = await recall.fake.click(user, message, "recall:forget:1:no", forged=True)
    await probe.response()
    assert not click.responded


async def _daily_post(recall: Recall) -> FakeMessage:
    hall = recall.hall
    await recall.slash(
        hall.moderator,
        "quiz-admin daily set",
        {"channel": hall.channel, "time": "12:10", "zone": "UTC"},
    )
    recall.clock.advance(timedelta(minutes=11))
    cog = recall.running.get_cog("Reminders")
    await cast(Reminders, cog).loop.daily_tick()
    [post] = [m for m in recall.fake.messages_in(hall.channel) if m.embeds]
    return post


async def _quiz(recall: Recall, user: FakeUser, kind: str) -> tuple[Interaction, FakeMessage]:
    start = await recall.slash(user, "quiz start", {"kind": kind, "count": 1})
    message = start.message()
    assert message is not None
    return start, message


async def test_quiz_button_ids(recall: Recall, caplog: pytest.LogCaptureFixture) -> None:
    alice = recall.hall.learner
    _, message = await _quiz(recall, alice, "mcq")
    real = custom_id_of(message, labels(message)[0])  # recall:q:<sid>:0:o0xxxx
    fingerprint = real.rsplit(":", 1)[1][2:]
    with caplog.at_level(logging.DEBUG):
        assert await _forged(recall, alice, message, f"recall:q:{TOO_BIG}:0:reveal") == FORGED_TEXT
        # The largest id is in range: simply no such session.
        text = await _forged(recall, alice, message, f"recall:q:{LARGEST}:0:reveal")
        assert "something went wrong" not in text.lower()
        sid = real.split(":")[2]
        await _ignored(recall, alice, message, f"recall:q:{sid}:0:o7{fingerprint}")
        await _ignored(recall, alice, message, f"recall:q:{'9' * 20}:0:reveal")
        await _ignored(recall, alice, message, f"recall:q:{sid}:0:bogus")
    assert _errors(caplog) == []
    assert await recall.review_count() == 0


async def test_explain_modal_id(recall: Recall, caplog: pytest.LogCaptureFixture) -> None:
    alice = recall.hall.learner
    _, message = await _quiz(recall, alice, "explain")
    opened = await recall.click(alice, message, "Write my answer")
    assert opened.modal is not None
    [input_id] = opened.modal.text_inputs
    with caplog.at_level(logging.DEBUG):
        sent = await recall.fake.submit_modal(
            alice,
            opened.modal.custom_id,
            {input_id: "async"},
            message=message,
            forged_custom_id=f"recall:qm:{TOO_BIG}:0",
        )
        await sent.response()
    assert ephemeral_text(sent) == FORGED_TEXT
    assert _errors(caplog) == []
    assert await recall.review_count() == 0


async def test_forget_me_ids(recall: Recall, caplog: pytest.LogCaptureFixture) -> None:
    alice = recall.hall.learner
    confirm = await recall.slash(alice, "quiz forget-me")
    message = confirm.message()
    assert message is not None
    with caplog.at_level(logging.DEBUG):
        assert await _forged(recall, alice, message, f"recall:forget:{TOO_BIG}:yes") == FORGED_TEXT
        await _ignored(recall, alice, message, f"recall:forget:{alice.id}:maybe")
    assert _errors(caplog) == []


async def test_start_review_ids(recall: Recall, caplog: pytest.LogCaptureFixture) -> None:
    alice = recall.hall.learner
    _, message = await _quiz(recall, alice, "flashcard")
    with caplog.at_level(logging.DEBUG):
        assert await _forged(recall, alice, message, f"recall:review:{TOO_BIG}") == FORGED_TEXT
        await _ignored(recall, alice, message, f"recall:review:{'1' * 20}")
    assert _errors(caplog) == []


async def test_daily_option_ids(recall: Recall, caplog: pytest.LogCaptureFixture) -> None:
    alice = recall.hall.learner
    post = await _daily_post(recall)
    real = custom_id_of(post, labels(post)[0])  # recall:daily:<post>:o0xxxx
    post_id, option = real.split(":")[2:]
    with caplog.at_level(logging.DEBUG):
        forged = f"recall:daily:{TOO_BIG}:{option}"
        assert await _forged(recall, alice, post, forged) == FORGED_TEXT
        for index in range(5, 10):  # options are A to E
            await _ignored(recall, alice, post, f"recall:daily:{post_id}:o{index}{option[2:]}")
    assert _errors(caplog) == []
    assert await recall.review_count() == 0
    assert "0 answers" in embed(post)["footer"]["text"]


async def test_leaderboard_page_ids(recall: Recall, caplog: pytest.LogCaptureFixture) -> None:
    moderator = recall.hall.moderator
    reply = await recall.fake.slash(moderator, "leaderboard")
    message = await reply.wait_done()
    assert message is not None
    with caplog.at_level(logging.DEBUG):
        # The largest page the template allows, and a deck that does not exist.
        click = await recall.fake.click(
            moderator, message, "recall:lb:a:x:no-such-deck:999999:n", forged=True
        )
        await click.response()
        assert "Page 1 of 1" in embed(message)["footer"]["text"]
        await _ignored(recall, moderator, message, "recall:lb:a:x::9999999:n")
        await _ignored(recall, moderator, message, "recall:lb:y:x::0:n")
    assert _errors(caplog) == []
