"""/leaderboard, /quiz-admin progress and /quiz-admin export against the fake Discord."""

from __future__ import annotations

import csv
import io

import pytest

from bot.core.learner import Identity, Platform
from tests.e2e.harness import (
    Recall,
    answer_mcqs,
    embed,
    enabled_labels,
    ephemeral_text,
    field_named,
    labels,
)


async def test_leaderboard_is_for_moderators_even_with_an_override(recall: Recall) -> None:
    hall = recall.hall
    [command] = [c for c in recall.fake.commands_for(hall.guild) if c.name == "leaderboard"]
    assert int(command.default_member_permissions or 0) == 0x20
    with pytest.raises(PermissionError):
        await recall.fake.slash(hall.learner, "leaderboard")
    recall.fake.allow_command(hall.guild, "leaderboard", hall.learner)
    refused = await recall.slash(hall.learner, "leaderboard")
    assert "for moderators" in ephemeral_text(refused)


async def test_empty_server_board(recall: Recall) -> None:
    reply = await recall.fake.slash(recall.hall.moderator, "leaderboard")
    message = await reply.wait_done()
    assert message is not None and message.ephemeral
    assert "Nobody is ranked yet" in embed(message)["description"]
    assert enabled_labels(message) == []  # Previous and Next both disabled


async def test_ranking_paging_and_own_rank(recall: Recall) -> None:
    hall = recall.hall
    learners = [recall.fake.add_member(hall.guild, f"learner{i}").user for i in range(11)]
    for index, user in enumerate(learners):
        await answer_mcqs(recall, user, right=index % 5, wrong=1)
    await answer_mcqs(recall, hall.moderator, right=5, wrong=0)
    reply = await recall.fake.slash(hall.moderator, "leaderboard", {"metric": "xp"})
    message = await reply.wait_done()
    assert message is not None
    lines = embed(message)["description"].splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("🥇") and f"<@{hall.moderator.id}>" in lines[0]
    footer = embed(message)["footer"]["text"]
    assert "Page 1 of 2" in footer and "12 ranked" in footer and "You: #1" in footer
    assert enabled_labels(message) == ["Next"]
    await recall.click(hall.moderator, message, "Next")
    assert "Page 2 of 2" in embed(message)["footer"]["text"]
    assert len(embed(message)["description"].splitlines()) == 2
    assert enabled_labels(message) == ["Previous"]


async def test_public_board_and_private_paging(recall: Recall) -> None:
    hall = recall.hall
    for i in range(11):
        user = recall.fake.add_member(hall.guild, f"p{i}").user
        await answer_mcqs(recall, user, right=1, wrong=0)
    reply = await recall.fake.slash(hall.moderator, "leaderboard", {"public": True})
    public = await reply.wait_done()
    assert public is not None and not public.ephemeral
    before = len(public.versions)
    click = await recall.click(hall.moderator, public, "Next")
    private = click.message()
    assert private is not None and private.ephemeral
    assert "Page 2 of 2" in embed(private)["footer"]["text"]
    assert len(public.versions) == before  # the channel's board did not change


async def test_a_learner_pages_a_public_board_in_a_private_copy(recall: Recall) -> None:
    hall = recall.hall
    for i in range(11):
        await answer_mcqs(recall, recall.fake.add_member(hall.guild, f"p{i}").user, 1, 0)
    await answer_mcqs(recall, hall.learner, right=2, wrong=0)
    reply = await recall.fake.slash(hall.moderator, "leaderboard", {"public": True})
    public = await reply.wait_done()
    assert public is not None and not public.ephemeral
    before = len(public.versions)
    click = await recall.click(hall.learner, public, "Next")
    copy = click.message()
    assert copy is not None and copy.ephemeral
    assert "Page 2 of 2" in embed(copy)["footer"]["text"]
    assert "You: #1" in embed(copy)["footer"]["text"]  # the learner's own rank
    assert len(public.versions) == before  # the channel's board did not change
    # The copy pages in place for the learner, through the same ranking the channel sees.
    await recall.click(hall.learner, copy, "Previous")
    assert "Page 1 of 2" in embed(copy)["footer"]["text"]
    assert embed(copy)["description"] == embed(public)["description"]
    await recall.click(hall.learner, copy, "Next")
    mod_click = await recall.click(hall.moderator, public, "Next")
    mod_copy = mod_click.message()
    assert mod_copy is not None
    assert embed(copy)["description"] == embed(mod_copy)["description"]


async def test_class_progress(recall: Recall) -> None:
    hall = recall.hall
    # Five learners meet the same five questions in deck order: the first is answered
    # right, the other four wrong, so those four are the hardest (5/5 wrong each).
    for i in range(5):
        user = recall.fake.add_member(hall.guild, f"c{i}").user
        await answer_mcqs(recall, user, right=1, wrong=4)
    reply = await recall.fake.slash(hall.moderator, "quiz-admin progress")
    message = await reply.wait_done()
    assert message is not None and message.ephemeral
    assert field_named(message, "Active learners").startswith("5 (7 days)")
    assert field_named(message, "Accuracy") == "20%"
    hardest = field_named(message, "Hardest cards").splitlines()
    assert len(hardest) == 4
    assert all(line.startswith("**5/5** wrong") for line in hardest)


async def test_export_csv_parsed_back(recall: Recall) -> None:
    hall = recall.hall
    await answer_mcqs(recall, hall.learner, right=2, wrong=1)
    await answer_mcqs(recall, hall.learner2, right=1, wrong=0)
    reply = await recall.fake.slash(hall.moderator, "quiz-admin export")
    message = await reply.wait_done()
    assert message is not None and message.ephemeral
    [attachment] = message.attachments
    assert attachment.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(attachment.content.decode("utf-8-sig"))))
    by_user = {int(row["user_id"]): row for row in rows}
    assert set(by_user) == {hall.learner.id, hall.learner2.id}
    alice = by_user[hall.learner.id]
    assert alice["name"] == "Alice"
    assert alice["deck"] == "django-wsgi-asgi"
    assert (alice["reviews"], alice["correct"]) == ("3", "2")
    assert labels(message) == []


async def test_next_after_the_board_shrank_shows_the_last_page(recall: Recall) -> None:
    hall = recall.hall
    users = [recall.fake.add_member(hall.guild, f"s{i}").user for i in range(11)]
    for user in users:
        await answer_mcqs(recall, user, right=1, wrong=0)
    reply = await recall.fake.slash(hall.moderator, "leaderboard")
    message = await reply.wait_done()
    assert message is not None
    assert "Page 1 of 2" in embed(message)["footer"]["text"]
    for user in users[:2]:  # two learners delete their data: one page is left
        await recall.running.learners.forget(Identity(Platform.DISCORD, str(user.id)))
    await recall.click(hall.moderator, message, "Next")
    footer = embed(message)["footer"]["text"]
    assert "Page 1 of 1" in footer and "9 ranked" in footer
    assert enabled_labels(message) == []
