"""Only the game's own server may stop it (found in review): a moderator of ANOTHER
server once stopped this server's game with a forged Stop game click there (answers
checked the server, Stop did not)."""

from __future__ import annotations

from tests.e2e.harness import Recall, ephemeral_text
from tests.e2e.test_games import _custom_id, start_game, three_players


async def test_a_moderator_elsewhere_cannot_stop_the_game(recall: Recall) -> None:
    alice, _bob, _carol = await three_players(recall)
    await recall.running.tree.sync()
    message = await start_game(recall, alice, count=3)
    stop_id = _custom_id(message, "Stop game")
    other = recall.fake.create_guild("Other server")
    channel = recall.fake.create_text_channel(other, "general")
    mallory = recall.fake.add_member(other, "mallory", manage_guild=True).user
    target = await recall.fake.slash(mallory, "quiz help", guild=other, channel=channel)
    there = await target.wait_done()
    assert there is not None
    click = await recall.fake.click(mallory, there, stop_id, forged=True)
    await click.response()
    assert ephemeral_text(click) == "This game belongs to another server."
    row = await recall.sql_one("SELECT status FROM games")
    assert row is not None and row["status"] == "running", "another server's moderator stopped it"
    # Its own starter still can.
    mine = await recall.click(alice, message, "Stop game")
    assert ephemeral_text(mine) == "You stopped the game."
    row = await recall.sql_one("SELECT status FROM games")
    assert row is not None and row["status"] == "stopped"
