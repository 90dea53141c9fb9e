"""Flashcard sessions click by click: Reveal answer, then Again/Hard/Good/Easy, then a summary."""

from __future__ import annotations

from fsrs import Rating

from bot.core.grading import Grade
from bot.services.reports import card_excerpt
from tests.e2e.harness import Recall, embed, field_named, field_names, grade_names, labels


async def test_flashcard_session_from_start_to_summary(recall: Recall) -> None:
    alice = recall.hall.learner
    deck = recall.running.decks.get("django-wsgi-asgi")
    assert deck is not None
    first, second = [c for c in deck.cards if c.type == "flashcard"][:2]

    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 2})
    message = start.message()
    assert message is not None and message.ephemeral
    assert embed(message)["description"] == first.front
    assert labels(message) == ["Reveal answer", "Stop"]

    await recall.click(alice, message, "Reveal answer")
    assert field_named(message, "Answer") == first.back
    assert grade_names(message) == ["Again", "Hard", "Good", "Easy"]

    await recall.click(alice, message, "Good")
    assert embed(message)["description"] == second.front
    assert "Last card: Good, +10 XP, next review in 10m" in embed(message)["footer"]["text"]
    assert labels(message) == ["Reveal answer", "Stop"]

    await recall.click(alice, message, "Reveal answer")
    await recall.click(alice, message, "Again")
    summary = embed(message)
    assert summary["title"].startswith("Session complete")
    assert field_named(message, "Score") == "1/2"
    assert {"XP gained", "Streak", "Next review"} <= set(field_names(message))
    assert "1 day" in field_named(message, "Streak")
    assert field_named(message, "Next review").startswith("<t:")
    # Again on the second card: the summary lists it and offers to go over it.
    assert field_named(message, "Missed (1)") == f"✗ {card_excerpt(second, 90)}"
    assert labels(message) == ["Review missed", "Start another"]
    assert await recall.review_count() == 2
    # Recorded right after the first reply, long done by now.
    row = await recall.sql_one("SELECT message FROM quiz_sessions")
    assert row is not None
    assert row["message"] == str(message.id)  # the session knows where it is shown


async def test_every_message_disables_mentions(recall: Recall) -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None
    await recall.click(alice, message, "Reveal answer")
    await recall.click(alice, message, "Easy")
    payloads = [
        r.json
        for r in recall.fake.requests
        if r.method in ("POST", "PATCH")
        and isinstance(r.json, dict)
        and ("content" in r.json or "embeds" in r.json or "data" in r.json)
    ]
    assert payloads
    for payload in payloads:
        body = payload.get("data", payload) if payload.get("type") in (4, 7) else payload
        assert body.get("allowed_mentions") == {"parse": []}, body


async def test_each_grade_button_records_its_rating(recall: Recall) -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 4})
    message = start.message()
    assert message is not None
    recorded: list[tuple[str, int]] = []
    for label in ("Hard", "Easy", "Again", "Good"):  # not in button order: a swap must show
        await recall.click(alice, message, "Reveal answer")
        await recall.click(alice, message, label)
        row = await recall.sql_one(
            "SELECT r.rating FROM reviews r JOIN learners l ON l.id = r.learner_id"
            " WHERE l.external_id = ? ORDER BY r.id DESC LIMIT 1",
            str(alice.id),
        )
        assert row is not None
        recorded.append((label, int(row["rating"])))
    assert recorded == [
        ("Hard", Grade.HARD),
        ("Easy", Grade.EASY),
        ("Again", Grade.AGAIN),
        ("Good", Grade.GOOD),
    ]
    # The log's numbers are FSRS's own ratings.
    assert [int(g) for g in (Grade.AGAIN, Grade.HARD, Grade.GOOD, Grade.EASY)] == [
        Rating.Again,
        Rating.Hard,
        Rating.Good,
        Rating.Easy,
    ]
    assert await recall.review_count() == 4
