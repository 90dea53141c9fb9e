"""A member who forges a shared leaderboard page id is refused the board (Slack)."""

from __future__ import annotations

from tests.e2e_slack.harness import SlackRecall
from tests.e2e_slack.test_slack_admin import answer, daily_post, reply_to


async def test_a_forged_shared_page_id_does_not_show_the_leaderboard(
    slack_recall: SlackRecall,
) -> None:
    fake, world = slack_recall.fake, slack_recall.world
    post = await daily_post(slack_recall, world.admin)
    for n in range(3):
        await answer(slack_recall, fake.add_user(f"member{n:02d}"), post, 0)
    # A plain member is refused the leaderboard...
    refused = await reply_to(slack_recall, world.learner, "leaderboard")
    assert refused.text.startswith("Only workspace admins and owners")
    # ...but a forged action id with the 'shared' flag skips the admin check.
    target = await reply_to(slack_recall, world.learner, "help")
    click = await fake.click(world.learner, target, "recall:lb:a:x::0:n:s", forged=True)
    reply = await click.wait_reply()

    assert "Leaderboard" not in reply.all_text(), "non-admin read the leaderboard"


async def test_a_forged_query_on_the_public_board_is_refused(slack_recall: SlackRecall) -> None:
    """The channel's board vouches for its own buttons only: another query forged onto
    it (all time, by accuracy) still needs an admin."""
    fake, world = slack_recall.fake, slack_recall.world
    post = await daily_post(slack_recall, world.admin)
    await answer(slack_recall, world.learner, post, 0)
    public = await reply_to(slack_recall, world.admin, "leaderboard public:true")
    assert public.ephemeral_to is None
    click = await fake.click(world.learner, public, "recall:lb:a:a::0:n:s", forged=True)
    reply = await click.wait_reply()
    assert reply.text.startswith("Only workspace admins and owners")
