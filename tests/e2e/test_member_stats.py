"""``/quiz stats member:``: a moderator sees this server's activity only, never the zone.

And in a DM, or naming someone who is not in the server, a clear private message
instead of "something went wrong".
"""

from __future__ import annotations

import json
import logging

import pytest

from tests.e2e.harness import (
    Recall,
    answer_mcqs,
    embed,
    ephemeral_text,
    field_named,
    field_names,
)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_moderator_sees_this_servers_activity_and_no_zone(recall: Recall) -> None:
    hall = recall.hall
    alice = hall.learner
    other = recall.fake.create_guild("Other server")
    recall.fake.add_member(other, alice)
    await recall.slash(alice, "quiz timezone", {"zone": "Pacific/Kiritimati"})
    await answer_mcqs(recall, alice, right=1, wrong=1, guild_id=hall.guild.id)  # here: 2, 50%
    await answer_mcqs(recall, alice, right=3, wrong=0, guild_id=other.id)
    await answer_mcqs(recall, alice, right=2, wrong=0, guild_id=None)  # a DM session

    own = await recall.fake.slash(alice, "quiz stats")
    mine = await own.wait_done()
    assert mine is not None
    assert field_named(mine, "Reviews") == "7"  # her own stats stay whole
    assert "Pacific/Kiritimati" in embed(mine)["footer"]["text"]
    own_xp = int(field_named(mine, "XP"))

    reply = await recall.fake.slash(hall.moderator, "quiz stats", {"member": alice})
    message = await reply.wait_done()
    assert message is not None and message.ephemeral
    assert embed(message)["title"] == "Stats for Alice in this server"
    assert field_names(message) == ["XP", "Reviews", "Accuracy"]  # no streak, due cards
    assert field_named(message, "Reviews") == "2"
    assert field_named(message, "Accuracy") == "50%"
    here = await recall.sql_one(
        "SELECT SUM(r.xp) FROM reviews r JOIN learners l ON l.id = r.learner_id"
        " JOIN communities c ON c.id = r.community_id"
        " WHERE l.external_id = ? AND c.external_id = ?",
        str(alice.id),
        str(hall.guild.id),
    )
    assert here is not None and int(field_named(message, "XP")) == here[0] < own_xp
    shown = json.dumps(message.embeds)
    assert "Kiritimati" not in shown and "zone" not in shown.lower()
    [picture] = message.attachments
    assert picture.filename == "activity.png"


async def test_member_stats_in_a_dm_or_of_a_non_member_say_why(
    recall: Recall, caplog: pytest.LogCaptureFixture
) -> None:
    hall = recall.hall
    await recall.running.tree.sync()  # global commands, as in production: usable in DMs
    stranger = recall.fake.create_user("carol")
    with caplog.at_level(logging.DEBUG):
        in_dm = await recall.slash(
            hall.moderator,
            "quiz stats",
            {"member": hall.learner},
            channel=recall.fake.dm_channel(hall.moderator),
        )
        assert "In a DM you can only see your own stats" in ephemeral_text(in_dm)
        outsider = await recall.slash(hall.moderator, "quiz stats", {"member": stranger})
        assert ephemeral_text(outsider) == "Carol is not a member of this server."
        refused = await recall.slash(hall.learner2, "quiz stats", {"member": stranger})
        assert "Only moderators" in ephemeral_text(refused)
        # One's own stats still work in a DM.
        own = await recall.fake.slash(
            hall.learner, "quiz stats", channel=recall.fake.dm_channel(hall.learner)
        )
        mine = await own.wait_done()
        assert mine is not None and embed(mine)["title"] == "Stats for Alice"
    assert _errors(caplog) == []
