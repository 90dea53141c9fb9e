"""The gateway asks for a reconnect (op 7), then drops the connection, mid-session.

discord.py must RESUME (never IDENTIFY again), events sent while it was away are
replayed, and the learner's session carries on as if nothing happened.
"""

from __future__ import annotations

from tests.e2e.harness import Recall, custom_id_of, embed, grade_names

OP_IDENTIFY, OP_RESUME = 2, 6


async def test_session_continues_across_reconnect_and_dropped_connection(
    recall: Recall,
) -> None:
    fake, alice = recall.fake, recall.hall.learner
    start = await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 2})
    message = start.message()
    assert message is not None
    await recall.click(alice, message, "Reveal answer")

    await fake.request_reconnect()
    await fake.wait_for_gateway_op(OP_RESUME)
    await fake.wait_connected()
    await recall.click(alice, message, "Good")
    assert "card 2 of 2" in embed(message)["title"]

    await fake.drop_connection()
    # Clicked while the bot is offline: Discord keeps the event and replays it on
    # RESUME. The test is about resuming, so the 3 s window is not held against it.
    fake.interaction_timeout = None
    reveal = await fake.click(alice, message, custom_id_of(message, "Reveal answer"))
    await fake.wait_for_gateway_op(OP_RESUME, count=2)
    await reveal.wait_done()
    assert grade_names(message) == ["Again", "Hard", "Good", "Easy"]
    await recall.click(alice, message, "Easy")

    assert embed(message)["title"].startswith("Session complete")
    assert await recall.review_count() == 2
    assert len(fake.gateway.ops_received(OP_IDENTIFY)) == 1  # resumed, never re-identified
