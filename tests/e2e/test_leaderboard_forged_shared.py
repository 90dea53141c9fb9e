"""A learner who forges a shared leaderboard page id onto another message is refused (Discord)."""

from __future__ import annotations

from tests.e2e.harness import Recall, embed, ephemeral_text


async def test_a_forged_shared_page_id_does_not_show_the_leaderboard(recall: Recall) -> None:
    alice = recall.hall.learner
    own = await recall.slash(alice, "quiz help")
    target = own.message()
    assert target is not None
    click = await recall.fake.click(alice, target, "recall:lb:a:x::0:n:s", forged=True)
    await click.response()
    shown = click.message() if hasattr(click, "message") else None
    title = embed(shown)["title"] if shown is not None and shown.embeds else ephemeral_text(click)

    assert "Leaderboard" not in title


async def test_a_forged_query_on_a_public_board_is_refused(recall: Recall) -> None:
    """A public board vouches for its own buttons only: another query forged onto it
    (all time, by accuracy) still needs Manage Server."""
    hall = recall.hall
    reply = await recall.fake.slash(hall.moderator, "leaderboard", {"public": True})
    public = await reply.wait_done()
    assert public is not None and not public.ephemeral
    click = await recall.fake.click(hall.learner, public, "recall:lb:a:a::0:n:s", forged=True)
    await click.response()
    shown = click.message()
    assert shown is None or not shown.embeds
    assert "Leaderboard" not in ephemeral_text(click)
