"""Decks at their text limits still play, in sessions and games (found in review): a
title near its 256 characters once made every embed title (``<title> · card 1 of 10``,
``<title> · round 1 of 5 · over``) longer than Discord's 256, so Discord refused each
message with 400, the session could not even be resumed, and the game held the
channel until its unseen rounds timed out. The fake Discord refuses what Discord
refuses (title, description, fields, labels, the 6,000 total)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.e2e.harness import Recall, embed, ephemeral_text
from tests.e2e.test_games import round_messages, tick
from tests.e2e.test_server_decks import upload

TITLE = "T" * 256
"""The longest title a deck may have (``limits.DECK_TITLE_MAX``)."""


def _deck(
    question: str = "Question {n}?", option: str = "Yes", explanation: str = "Because."
) -> str:
    cards = "".join(
        f"""  - id: q{n}
    type: mcq
    level: beginner
    question: "{question.format(n=n)}"
    options: ["{option}", "No"]
    answer: "{option}"
    explanation: "{explanation}"
"""
        for n in range(3)
    )
    return f"id: longtitle\ntitle: {TITLE}\ncards:\n{cards}"


DECK = _deck()
LONGEST = _deck(question="Q{n}" + "q" * 4094, option="A" * 1024, explanation="E" * 1024)
"""Every text of its cards at its limit: question 4,096, option 1,024, explanation 1,024."""


async def _shown(recall: Recall) -> None:
    """Wait until the bot stored which message shows round 1 (it does so after its
    reply): a tick before that would take the round for one never posted."""
    for _ in range(250):
        if await recall.sql_one("SELECT 1 FROM game_rounds WHERE message IS NOT NULL"):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("round 1's message was never stored")


async def _upload(recall: Recall, text: str = DECK) -> None:
    reply = await upload(recall, "longtitle.yaml", text.encode())
    assert reply.content.startswith("Added deck `longtitle`"), reply.content


async def test_a_game_of_a_deck_with_the_longest_title_shows_its_rounds(recall: Recall) -> None:
    await _upload(recall)
    start = await recall.fake.slash(recall.hall.learner, "quiz game", {"deck": "longtitle"})
    message = await start.wait_done()
    assert message is not None and not message.ephemeral and message.embeds, (
        "the game's first round was not shown"
    )
    title = embed(message)["title"]
    assert len(title) <= 256 and title.endswith(" · round 1 of 3")
    assert title.startswith("TTTT") and "…" in title
    # The closed round's title (" · over" longer) fits too.
    await _shown(recall)
    recall.clock.advance(timedelta(seconds=30))
    assert await tick(recall) == 1
    closed = embed(round_messages(recall)[0])["title"]
    assert len(closed) <= 256 and closed.endswith(" · round 1 of 3 · over"), closed


async def test_a_game_whose_first_round_discord_refuses_is_ended(recall: Recall) -> None:
    await _upload(recall)
    # Discord refuses the first round's message (whatever the reason): the game must
    # not hold the channel, and the starter is told.
    recall.fake.fail(
        "POST", r"interactions/.*/callback", status=400, code=50035, message="Invalid", times=1
    )
    start = await recall.fake.slash(recall.hall.learner, "quiz game", {"deck": "longtitle"})
    await start.wait_done()
    assert ephemeral_text(start).startswith("Discord refused to show this game's first question")
    row = await recall.sql_one("SELECT status FROM games")
    assert row is not None and row["status"] == "stopped", "a game nobody can see holds the channel"
    again = await recall.slash(recall.hall.learner2, "quiz game", {"deck": "longtitle"})
    second = again.message()
    assert second is not None and not second.ephemeral, "the channel is still held"


async def test_a_session_of_a_deck_with_the_longest_title(recall: Recall) -> None:
    await _upload(recall)
    start = await recall.fake.slash(recall.hall.learner, "quiz start", {"deck": "longtitle"})
    message = await start.wait_done()
    assert message is not None and message.embeds, message and message.content
    title = embed(message)["title"]
    assert len(title) <= 256 and title.endswith(" · card 1 of 3") and title.startswith("TTT")


async def test_the_longest_cards_are_shown_and_answered(recall: Recall) -> None:
    """Question 4,096 + answer 1,024 + explanation 1,024 + title once passed the 6,000
    characters of an embed, and the answer's sentence the 1,024 of a field."""
    await _upload(recall, LONGEST)
    start = await recall.fake.slash(recall.hall.learner, "quiz start", {"deck": "longtitle"})
    message = await start.wait_done()
    assert message is not None and message.embeds, message and message.content
    click = await recall.click(recall.hall.learner, message, "A · " + "A" * 75 + "…")
    answered = await click.wait_done()
    assert answered is not None and answered.embeds, answered and answered.content
    names = [f["name"] for f in embed(answered)["fields"]]
    assert names[:2] == ["✓ Correct!", "Why"], names
    assert await recall.review_count() == 1
