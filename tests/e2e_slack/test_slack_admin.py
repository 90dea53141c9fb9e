"""The workspace admins' commands end to end: the real Slack app against the fake Slack,
on both backends.

Admins are who ``users.info`` says (``is_admin``/``is_owner``/``is_primary_owner``),
asked on every command and every click of a private board; everyone else is refused
privately and nothing happens. The learners' scores come from the daily question,
answered with its buttons in #general, so the whole path (``/quiz daily``, the post,
the clicks, the board) is Slack's. Nothing the app sends may mention anyone: the
fixture's teardown checks every payload.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot.core.learner import Identity, Platform
from bot.export import CSV_ENCODING, HEADER
from tests.e2e_slack.harness import SlackRecall
from tests.fakeslack import FakeMessage, FakeUser

ADMIN_COMMANDS = [
    "leaderboard",
    "leaderboard period:all metric:accuracy public:true",
    "progress",
    "export",
    "daily channel:<#{general}|general> time:09:00 zone:UTC",
    "daily off",
]


def workspace(recall: SlackRecall) -> Identity:
    return Identity(Platform.SLACK, recall.fake.team_id)


async def reply_to(recall: SlackRecall, user: FakeUser, text: str) -> FakeMessage:
    action = await recall.quiz(user, text)
    return await action.wait_reply()


async def daily_post(recall: SlackRecall, admin: FakeUser) -> FakeMessage:
    """An admin sets the daily question for 12:30 UTC; the clock passes it; it is posted."""
    general = recall.fake.general
    typed = await recall.fake.command(
        admin, "/quiz", "daily channel:#general time:12:30 zone:UTC", typed=True
    )
    reply = await typed.wait_reply()
    assert "every day at *12:30* (UTC)" in reply.text and "#general" in reply.text
    (announcement,) = recall.fake.channel_messages(general, ephemeral=False)
    assert "posted here every day at 12:30 (UTC)" in announcement.text
    recall.clock.advance(timedelta(minutes=31))
    assert await recall.outbound().daily_tick() == 1
    (post,) = [m for m in recall.fake.channel_messages(general) if "Question of the day" in m.text]
    return post


async def test_a_channel_recall_cannot_post_in_is_refused_and_nothing_is_saved(
    slack_recall: SlackRecall,
) -> None:
    ada = slack_recall.world.admin
    reply = await reply_to(
        slack_recall, ada, "daily channel:<#C0SECRET00|secret> time:09:00 zone:UTC"
    )
    assert reply.text.startswith("I can't post in #secret (channel_not_found).")
    assert "/invite @Recall" in reply.text
    assert await slack_recall.ctx.daily.schedule(workspace(slack_recall)) is None


async def answer(recall: SlackRecall, user: FakeUser, post: FakeMessage, index: int) -> str:
    click = await recall.fake.click(user, post, post.action_ids[index])
    return (await click.wait_reply()).text


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_every_admin_command_is_refused_to_a_member(
    slack_recall: SlackRecall, command: str
) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    reply = await reply_to(slack_recall, alice, command.format(general=fake.general.id))
    assert reply.ephemeral_to is alice
    assert reply.text.startswith("Only workspace admins and owners can use /quiz ")
    assert fake.files() == []
    assert await slack_recall.ctx.daily.schedule(workspace(slack_recall)) is None
    assert fake.channel_messages(fake.general, ephemeral=False) == []


async def test_a_users_info_failure_refuses_and_is_not_remembered(
    slack_recall: SlackRecall,
) -> None:
    fake, ada = slack_recall.fake, slack_recall.world.admin
    fake.fail("users.info", "internal_error", times=1)
    refused = await reply_to(slack_recall, ada, "progress")
    assert refused.text.startswith("Only workspace admins and owners")
    shown = await reply_to(slack_recall, ada, "progress")  # Slack answers again: asked again
    assert "Class progress" in shown.all_text()


async def test_owners_are_admins_and_see_the_class_view(slack_recall: SlackRecall) -> None:
    world = slack_recall.world
    post = await daily_post(slack_recall, world.owner)
    await answer(slack_recall, world.learner, post, 0)
    await answer(slack_recall, world.learner2, post, 1)
    view = await reply_to(slack_recall, world.owner, "progress")
    assert view.ephemeral_to is world.owner
    text = view.all_text()
    assert "Class progress" in text and "2 (7 days)" in text
    assert "Reviews" in text and "Accuracy" in text
    unknown = await reply_to(slack_recall, world.owner, "progress deck:no-such-deck")
    assert unknown.text == "There is no deck called 'no-such-deck'."


async def test_a_daily_question_answered_by_members_ranks_them_by_name_without_mentions(
    slack_recall: SlackRecall,
) -> None:
    fake, world = slack_recall.fake, slack_recall.world
    post = await daily_post(slack_recall, world.admin)
    assert post.ephemeral_to is None  # public, in #general
    assert all(label[:4] in {"A · ", "B · ", "C · ", "D · "} for label in post.labels)
    stored = await slack_recall.ctx.daily.post(int(post.action_ids[0].split(":")[2]))
    assert stored is not None
    card = slack_recall.ctx.daily.question(stored)
    right = card.options.index(card.answer)
    first = await answer(slack_recall, world.learner, post, right)
    assert first.startswith("✓ Correct!")
    second = await answer(slack_recall, world.learner2, post, (right + 1) % len(card.options))
    assert second.startswith("✗ Not quite.")
    again = await answer(slack_recall, world.learner, post, right)
    assert again == "You already answered today's question."
    # Bob's first contact with Recall was that click: he starts in the zone Slack gives.
    bob = await slack_recall.ctx.reports.learner_stats(Identity(Platform.SLACK, world.learner2.id))
    assert bob.time_zone == "America/New_York" and bob.reviews == 1
    await fake.wait_until(lambda: "2 answers · 1 correct" in post.all_text(), what="the count")

    board = await reply_to(slack_recall, world.admin, "leaderboard period:week metric:xp")
    assert board.ephemeral_to is world.admin
    text = board.all_text()
    assert "Leaderboard · XP · this week" in text
    lines = [line for line in text.splitlines() if line.startswith(("🥇", "🥈"))]
    assert lines[0].startswith("🥇 alice · ") and lines[1].startswith("🥈 bob · ")
    assert "<@" not in text and world.learner.id not in text

    public = await reply_to(slack_recall, world.admin, "leaderboard public:true")
    assert public.ephemeral_to is None and public.response_type == "in_channel"
    assert "alice" in public.all_text() and "<@" not in public.all_text()


async def test_the_leaderboard_pages_and_a_demoted_admin_is_refused_within_a_minute(
    slack_recall: SlackRecall,
) -> None:
    fake, world = slack_recall.fake, slack_recall.world
    post = await daily_post(slack_recall, world.admin)
    members = [fake.add_user(f"member{n:02d}") for n in range(11)]
    for member in members:
        await answer(slack_recall, member, post, 0)
    board = await reply_to(slack_recall, world.admin, "leaderboard")
    assert "Page 1 of 2" in board.all_text() and board.labels == ["Next"]
    click = await fake.click(world.admin, board, "Next")
    page = await click.wait_update()
    assert "Page 2 of 2" in page.all_text() and page.labels == ["Previous"]

    # A public board's pages are anyone's: a member's click shows them page 2 privately,
    # and the channel's board stays as it was.
    public = await reply_to(slack_recall, world.admin, "leaderboard public:true")
    assert public.ephemeral_to is None and public.labels == ["Next"]
    member_click = await fake.click(world.learner, public, "Next")
    copy = await member_click.wait_reply()
    assert copy.ephemeral_to is world.learner and "Page 2 of 2" in copy.all_text()
    assert public.edits == 0 and "Page 1 of 2" in public.all_text()

    world.admin.is_admin = False  # demoted in Slack; the app's answer is a minute old at most
    slack_recall.clock.advance(timedelta(seconds=61))
    refused = await fake.click(world.admin, page, "Previous")
    reply = await refused.wait_reply()
    assert reply.text.startswith("Only workspace admins and owners")
    assert "Page 2 of 2" in page.all_text()  # the board did not move


async def test_the_export_is_a_csv_file_in_the_admins_dm(slack_recall: SlackRecall) -> None:
    fake, world = slack_recall.fake, slack_recall.world
    post = await daily_post(slack_recall, world.admin)
    await answer(slack_recall, world.learner, post, 0)
    await answer(slack_recall, world.learner2, post, 1)
    reply = await reply_to(slack_recall, world.admin, "export")
    assert reply.ephemeral_to is world.admin
    assert "2 rows" in reply.text and "direct messages" in reply.text
    (exported,) = fake.files(fake.dm(world.admin))
    assert exported.filename.endswith(".csv") and exported.completed
    rows = list(csv.reader(io.StringIO(exported.content.decode(CSV_ENCODING))))
    assert tuple(rows[0]) == HEADER
    by_user = {row[0]: row for row in rows[1:]}
    assert by_user[world.learner.id][1] == "alice"
    assert by_user[world.learner2.id][1] == "bob"
    assert fake.files(fake.general) == []  # never in a channel


async def test_daily_off_stops_the_question(slack_recall: SlackRecall) -> None:
    world = slack_recall.world
    await daily_post(slack_recall, world.admin)
    off = await reply_to(slack_recall, world.admin, "daily off")
    assert off.text == "The daily question is off."
    assert await slack_recall.ctx.daily.schedule(workspace(slack_recall)) is None
    slack_recall.clock.advance(timedelta(days=1))
    assert await slack_recall.outbound().daily_tick() == 0
    again = await reply_to(slack_recall, world.admin, "daily off")
    assert again.text == "The daily question was not on."


async def test_daily_with_a_bad_zone_or_time_says_so_and_saves_nothing(
    slack_recall: SlackRecall,
) -> None:
    fake, ada = slack_recall.fake, slack_recall.world.admin
    general = f"<#{fake.general.id}|general>"
    zone = await reply_to(slack_recall, ada, f"daily channel:{general} time:09:00 zone:Mars/Base")
    assert "Mars/Base" in zone.text
    time = await reply_to(slack_recall, ada, f"daily channel:{general} time:25:00 zone:UTC")
    assert "25:00" in time.text
    assert await slack_recall.ctx.daily.schedule(workspace(slack_recall)) is None


async def test_a_name_that_tries_to_ping_is_shown_as_text(slack_recall: SlackRecall) -> None:
    fake, world = slack_recall.fake, slack_recall.world
    post = await daily_post(slack_recall, world.admin)
    for name in ("<!channel>", "<@" + world.admin.id + ">", "=cmd|' /C calc'!A0"):
        await answer(slack_recall, fake.add_user(name), post, 0)
    board = await reply_to(slack_recall, world.admin, "leaderboard public:true")
    text = board.all_text()
    assert "&lt;!channel&gt;" in text and f"&lt;@{world.admin.id}&gt;" in text
    assert "<!channel>" not in text and "<@" not in text
    await reply_to(slack_recall, world.admin, "export")
    (exported,) = fake.files(fake.dm(world.admin))
    names = {row[1] for row in csv.reader(io.StringIO(exported.content.decode(CSV_ENCODING)))}
    assert "'=cmd|' /C calc'!A0" in names  # a formula stays text in a spreadsheet
