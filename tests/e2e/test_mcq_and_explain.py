"""Multiple-choice and explain cards click by click, including the modal."""

from __future__ import annotations

from bot.decks import ExplainCard, McqCard
from tests.e2e.harness import (
    Recall,
    embed,
    enabled_labels,
    field_named,
    field_names,
    labels,
)


def _mcq(recall: Recall) -> McqCard:
    deck = recall.running.decks.get("django-wsgi-asgi")
    assert deck is not None
    card = next(c for c in deck.cards if isinstance(c, McqCard))
    return card


def _explain(recall: Recall) -> ExplainCard:
    deck = recall.running.decks.get("django-wsgi-asgi")
    assert deck is not None
    return next(c for c in deck.cards if isinstance(c, ExplainCard))


async def test_right_option_then_next_then_summary(recall: Recall) -> None:
    alice = recall.hall.learner
    card = _mcq(recall)
    start = await recall.slash(alice, "quiz start", {"kind": "mcq", "count": 1})
    message = start.message()
    assert message is not None
    assert embed(message)["description"] == card.question
    letters = "ABCDE"
    assert labels(message) == [f"{letters[i]} · {o}" for i, o in enumerate(card.options)] + ["Stop"]

    right = f"{letters[card.answer_index]} · {card.answer}"
    await recall.click(alice, message, right)
    assert "✓ Correct!" in field_names(message)
    assert field_named(message, "Why") == card.explanation
    assert right in field_named(message, "✓ Correct!")
    assert enabled_labels(message) == ["Next", "Stop"]  # options are disabled once answered

    await recall.click(alice, message, "Next")
    assert embed(message)["title"].startswith("Session complete")
    assert field_named(message, "Score") == "1/1"


async def test_wrong_option_shows_cross_and_right_answer(recall: Recall) -> None:
    alice = recall.hall.learner
    card = _mcq(recall)
    start = await recall.slash(alice, "quiz start", {"kind": "mcq", "count": 1})
    message = start.message()
    assert message is not None
    wrong_index = (card.answer_index + 1) % len(card.options)
    await recall.click(alice, message, f"{'ABCDE'[wrong_index]} · {card.options[wrong_index]}")
    assert "✗ Not quite." in field_names(message)
    assert card.answer in field_named(message, "✗ Not quite.")
    row = await recall.sql_one("SELECT correct, rating FROM reviews")
    assert row is not None and (row["correct"], row["rating"]) == (0, 1)  # wrong → Again


async def test_explain_hint_modal_and_concepts(recall: Recall) -> None:
    alice = recall.hall.learner
    card = _explain(recall)
    start = await recall.slash(alice, "quiz start", {"kind": "explain", "count": 1})
    message = start.message()
    assert message is not None
    assert embed(message)["description"] == card.prompt
    assert labels(message) == ["Show hint", "Write my answer", "Stop"]

    await recall.click(alice, message, "Show hint")
    assert field_named(message, "Hint") == card.hint
    assert enabled_labels(message) == ["Write my answer", "Stop"]

    opened = await recall.click(alice, message, "Write my answer")
    modal = opened.modal
    assert modal is not None
    assert len(modal.title) <= 45
    [input_id] = modal.text_inputs
    answer = (
        "WSGI is synchronous and blocks a worker per request; ASGI is asynchronous with an "
        "event loop, so it serves many requests concurrently and speaks WebSocket as well as "
        "HTTP, keeping long-lived connections open."
    )
    submitted = await recall.fake.submit_modal(
        alice, modal.custom_id, {input_id: answer}, message=message
    )
    await submitted.response()
    [heading] = [n for n in field_names(message) if n.startswith("You got ")]
    assert heading.endswith("/5 concepts")
    covered = int(heading.removeprefix("You got ").split("/")[0])
    assert covered >= 3
    marks = field_named(message, heading).splitlines()
    assert len(marks) == 5
    assert sum(line.startswith("✓ ") for line in marks) == covered  # the one ✓/✗ set
    assert field_named(message, "Model answer") == card.model_answer
    assert labels(message) == ["Next", "Stop"]
    row = await recall.sql_one("SELECT kind, concepts_missed FROM reviews")
    assert row is not None and row["kind"] == "explain"


async def test_huge_and_hostile_modal_answers(recall: Recall) -> None:
    alice = recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "explain", "count": 2})
    message = start.message()
    assert message is not None
    hostile = [
        ("asynchronous websocket " * 200)[:4000],
        "**bold** `code` @everyone <@123456789012345678> <@&1> ||spoiler|| # heading\n> quote",
    ]
    for text in hostile:
        opened = await recall.click(alice, message, "Write my answer")
        assert opened.modal is not None
        [input_id] = opened.modal.text_inputs
        sent = await recall.fake.submit_modal(
            alice, opened.modal.custom_id, {input_id: text}, message=message
        )
        await sent.response()
        assert any(n.startswith("You got ") for n in field_names(message))
        # The learner's text is never echoed back into a message that could ping.
        assert message.allowed_mentions == {"parse": []}
        await recall.click(alice, message, "Next")
    assert await recall.review_count() == 2
