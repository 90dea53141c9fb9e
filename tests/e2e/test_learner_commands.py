"""/quiz review, decks, stats, timezone, forget-me and the autocompletes."""

from __future__ import annotations

import struct
from datetime import timedelta

from tests.e2e.harness import Recall, embed, ephemeral_text, field_named, labels


async def _answer_one_flashcard(recall: Recall, grade: str = "Again") -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None
    await recall.click(alice, message, "Reveal answer")
    await recall.click(alice, message, grade)


async def test_review_says_when_nothing_is_due_then_serves_due_cards(recall: Recall) -> None:
    alice = recall.hall.learner
    nothing = await recall.slash(alice, "quiz review")
    assert "Nothing is due" in ephemeral_text(nothing)

    await _answer_one_flashcard(recall, "Again")  # a failed new card is due a minute later
    recall.clock.advance(timedelta(minutes=2))
    review = await recall.slash(alice, "quiz review")
    message = review.message()
    assert message is not None and message.ephemeral
    assert "card 1 of 1" in embed(message)["title"]
    assert labels(message) == ["Reveal answer", "Stop"]


async def test_decks_lists_counts_and_progress(recall: Recall) -> None:
    await _answer_one_flashcard(recall, "Good")
    reply = await recall.slash(recall.hall.learner, "quiz decks")
    message = reply.message()
    assert message is not None and message.ephemeral
    value = field_named(message, "WSGI vs ASGI in Django")
    assert "`django-wsgi-asgi` · 12 cards" in value
    assert "5 flashcards" in value and "5 multiple choice" in value and "2 explain" in value
    assert "You: 1/12 seen" in value


async def test_stats_show_streak_reviews_accuracy_and_xp(recall: Recall) -> None:
    await _answer_one_flashcard(recall, "Good")
    reply = await recall.slash(recall.hall.learner, "quiz stats")
    message = await reply.wait_done()  # deferred: the picture is drawn off the event loop
    assert message is not None and message.ephemeral
    assert field_named(message, "Streak").startswith("🔥 1")
    assert field_named(message, "Reviews") == "1"
    assert field_named(message, "Accuracy") == "100%"
    assert int(field_named(message, "XP")) > 0
    # Good on a new card: due in 10 minutes, so not due now (as /quiz review says), but
    # later today.
    assert field_named(message, "Due now") == "0 (1 more later today)"
    # The activity heatmap is attached and shown in the embed.
    [picture] = message.attachments
    assert picture.filename == "activity.png"
    assert embed(message)["image"]["url"] == "attachment://activity.png"
    assert picture.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", picture.content[16:24])
    assert (width, height) == (800, 250)


async def test_stats_of_another_member_is_for_moderators(recall: Recall) -> None:
    hall = recall.hall
    refused = await recall.slash(hall.learner2, "quiz stats", {"member": hall.learner})
    assert "Only moderators" in ephemeral_text(refused)
    allowed = await recall.slash(hall.moderator, "quiz stats", {"member": hall.learner})
    message = await allowed.wait_done()
    assert message is not None
    assert embed(message)["title"] == "Stats for Alice in this server"


async def test_timezone_valid_invalid_and_autocomplete(recall: Recall) -> None:
    alice = recall.hall.learner
    choices = await recall.fake.autocomplete(
        alice, "quiz timezone", {"zone": "new york"}, focused="zone"
    )
    assert choices[0]["value"] == "America/New_York"
    ok = await recall.slash(alice, "quiz timezone", {"zone": "america/new_york"})
    assert "America/New_York" in ephemeral_text(ok)
    learner = await recall.sql_one(
        "SELECT time_zone FROM learners WHERE external_id = ?", str(alice.id)
    )
    assert learner is not None and learner["time_zone"] == "America/New_York"
    bad = await recall.slash(alice, "quiz timezone", {"zone": "Mars/Olympus_Mons"})
    assert "time zone" in ephemeral_text(bad).lower()


async def test_deck_autocomplete_and_unknown_deck(recall: Recall) -> None:
    alice = recall.hall.learner
    choices = await recall.fake.autocomplete(alice, "quiz start", {"deck": "asgi"}, focused="deck")
    assert choices == [{"name": "WSGI vs ASGI in Django", "value": "django-wsgi-asgi"}]
    unknown = await recall.slash(alice, "quiz start", {"deck": "no-such-deck"})
    assert "no deck called 'no-such-deck'" in ephemeral_text(unknown)


async def test_forget_me_needs_the_owner_to_confirm(recall: Recall) -> None:
    alice, bob = recall.hall.learner, recall.hall.learner2
    await _answer_one_flashcard(recall)
    ask = await recall.slash(alice, "quiz forget-me")
    message = ask.message()
    assert message is not None
    assert labels(message) == ["Delete all my data", "Keep my data"]
    refused = await recall.click(bob, message, "Delete all my data")
    assert "Only the person who asked" in ephemeral_text(refused)
    assert await recall.review_count() == 1
    await recall.click(alice, message, "Delete all my data")
    assert "deleted" in message.content
    assert await recall.review_count() == 0
    gone = await recall.sql_one("SELECT COUNT(*) FROM learners")
    assert gone is not None and gone[0] == 0
