"""Clicks that must change nothing, restarts, hostile deck text, removed decks and 429s."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from tests.e2e.harness import (
    Recall,
    custom_id_of,
    embed,
    ephemeral_text,
    field_named,
    grade_names,
    labels,
)


async def test_someone_elses_click_changes_nothing(recall: Recall) -> None:
    alice, bob = recall.hall.learner, recall.hall.learner2
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None
    versions = len(message.versions)
    click = await recall.click(bob, message, "Reveal answer")
    assert "not your quiz" in ephemeral_text(click)
    assert len(message.versions) == versions
    assert labels(message) == ["Reveal answer", "Stop"]
    assert await recall.review_count() == 0


async def test_second_click_on_an_answered_card_records_nothing(recall: Recall) -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 2})
    message = start.message()
    assert message is not None
    await recall.click(alice, message, "Reveal answer")
    revealed = len(message.versions) - 1
    good = custom_id_of(message, "Good")
    first = await recall.fake.click(alice, message, good)
    await first.response()
    # The same button again, on the message as it was before the first click landed.
    current = embed(message)
    again = await recall.fake.click(alice, message, good, as_of=revealed)
    await again.response()
    notice = await again.wait_followup()
    assert notice.ephemeral
    assert "already answered" in notice.content
    assert embed(message) == current  # redrawn as it stands: still the second card
    assert await recall.review_count() == 1


async def test_message_left_behind_by_a_crash_catches_up_on_the_next_click(
    recall: Recall,
) -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 2})
    message = start.message()
    assert message is not None
    await recall.click(alice, message, "Reveal answer")
    # The answer is saved but the bot dies before it updates the message.
    session_id = int(custom_id_of(message, "Good").split(":")[2])
    who = Identity(Platform.DISCORD, str(alice.id))
    await recall.running.study.grade_flashcard(who, session_id, 0, Grade.GOOD)
    await recall.restart()
    click = await recall.fake.click(alice, message, custom_id_of(message, "Good"))
    await click.response()
    assert "already answered" in (await click.wait_followup()).content
    assert "card 2 of 2" in embed(message)["title"]
    assert labels(message) == ["Reveal answer", "Stop"]
    await recall.click(alice, message, "Reveal answer")
    await recall.click(alice, message, "Easy")
    assert embed(message)["title"].startswith("Session complete")
    assert await recall.review_count() == 2


async def test_buttons_work_after_a_restart(recall: Recall) -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None
    await recall.restart()
    await recall.click(alice, message, "Reveal answer")
    assert grade_names(message) == ["Again", "Hard", "Good", "Easy"]
    await recall.restart()
    await recall.click(alice, message, "Hard")
    assert embed(message)["title"].startswith("Session complete")
    assert await recall.review_count() == 1


async def test_modal_submitted_after_a_restart_still_counts(recall: Recall) -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "explain", "count": 1})
    message = start.message()
    assert message is not None
    opened = await recall.click(alice, message, "Write my answer")
    assert opened.modal is not None
    [input_id] = opened.modal.text_inputs
    await recall.restart()
    sent = await recall.fake.submit_modal(
        alice, opened.modal.custom_id, {input_id: "async websocket"}, message=message
    )
    await sent.response()
    assert any(str(f["name"]).startswith("You got ") for f in embed(message)["fields"])


HOSTILE_DECK = """\
id: hostile
title: Hostile @everyone deck
cards:
  - id: ping
    type: flashcard
    level: beginner
    front: "@everyone look <@&123456789012345678> and @here"
    back: "<@123456789012345678> @everyone"
"""


async def test_deck_text_with_mentions_is_shown_never_pinging(
    recall: Recall, content_dir: Path
) -> None:
    (content_dir / "hostile.yaml").write_text(HOSTILE_DECK, encoding="utf-8")
    report = recall.running.decks.reload()
    assert "hostile" in report.added
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"deck": "hostile"})
    message = start.message()
    assert message is not None
    assert embed(message)["description"] == "@everyone look <@&123456789012345678> and @here"
    await recall.click(alice, message, "Reveal answer")
    assert field_named(message, "Answer") == "<@123456789012345678> @everyone"
    for version in message.versions:
        assert version.allowed_mentions == {"parse": []}


async def test_card_removed_from_disk_mid_session_is_skipped(
    recall: Recall, content_dir: Path
) -> None:
    deck_file = content_dir / "hostile.yaml"
    deck_file.write_text(HOSTILE_DECK, encoding="utf-8")
    recall.running.decks.reload()
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"deck": "hostile"})
    message = start.message()
    assert message is not None
    deck_file.unlink()
    await recall.restart()  # the new process loads content/ without the deck
    await recall.click(alice, message, "Reveal answer")
    assert "removed from its deck" in embed(message)["description"]
    assert labels(message) == ["Next", "Stop"]
    await recall.click(alice, message, "Next")
    assert embed(message)["title"].startswith("Session complete")
    assert await recall.review_count() == 0


async def test_rate_limited_reply_is_delivered_once(recall: Recall) -> None:
    rule = recall.fake.rate_limit(
        "POST", r"/interactions/\d+/[^/]+/callback", times=1, retry_after=0.3
    )
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None
    assert rule.hits == 1
    attempts = recall.fake.requests_matching("POST", r"/interactions/\d+/[^/]+/callback")
    assert [r.status for r in attempts] == [429, 200]
    assert labels(message) == ["Reveal answer", "Stop"]


async def test_unexpected_error_gets_an_apology_with_an_id(
    recall: Recall, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(recall.running.study, "start", broken)
    with caplog.at_level(logging.ERROR, logger="recall.errors"):
        reply = await recall.slash(recall.hall.learner, "quiz start")
    text = ephemeral_text(reply)
    assert text.startswith("Sorry, something went wrong")
    error_id = text.split("`")[1]
    assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records)
    # The bot keeps running: the next command works.
    monkeypatch.undo()
    again = await recall.slash(recall.hall.learner, "quiz start", {"count": 1})
    assert again.message() is not None and again.message().embeds  # type: ignore[union-attr]


async def test_option_button_after_a_reload_reordered_the_options(
    recall: Recall, content_dir: Path
) -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "mcq", "count": 1})
    message = start.message()
    assert message is not None
    old_labels = labels(message)
    deck_file = content_dir / "django-wsgi-asgi.yaml"
    text = deck_file.read_text(encoding="utf-8")
    # Reverse the first question's options in the file, then reload.
    line = next(li for li in text.splitlines() if li.strip().startswith("options:"))
    items = line.split("[", 1)[1].rsplit("]", 1)[0].split(", ")
    reordered = line.split("[", 1)[0] + "[" + ", ".join(reversed(items)) + "]"
    deck_file.write_text(text.replace(line, reordered, 1), encoding="utf-8")
    assert recall.running.decks.reload().updated
    await recall.click(alice, message, old_labels[0])
    assert labels(message) != old_labels  # redrawn with the new order, nothing graded
    assert await recall.review_count() == 0
