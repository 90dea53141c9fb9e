"""Reminder DMs and the daily question, end to end, with the loop's ticks driven by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from bot.decks import CardType
from bot.storage.script import one, value
from cogs.reminders import Reminders
from tests.e2e.harness import Recall, custom_id_of, embed, ephemeral_text, labels
from tests.fakediscord.models import FakeChannel, FakeMessage, FakeUser

DM_SEND = r"/channels/\d+/messages"


def _cog(recall: Recall) -> Reminders:
    cog = recall.running.get_cog("Reminders")
    # load_extension executes the module afresh, so compare by name, not by class object.
    assert type(cog).__name__ == "Reminders"
    return cast(Reminders, cog)


async def _fail_one_new_card(recall: Recall, user: FakeUser) -> None:
    start = await recall.slash(user, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None
    await recall.click(user, message, "Reveal answer")
    await recall.click(user, message, "Again")  # due again in a minute


def _dms(recall: Recall, user: FakeUser) -> list[FakeMessage]:
    return recall.fake.messages_in(recall.fake.dm_channel(user))


async def test_remind_set_validates_and_mentions_the_default_zone(recall: Recall) -> None:
    alice = recall.hall.learner
    bad = await recall.slash(alice, "quiz remind set", {"time": "7pm"})
    assert "HH:MM" in ephemeral_text(bad)
    good = await recall.slash(alice, "quiz remind set", {"time": "19:30"})
    text = ephemeral_text(good)
    assert "19:30" in text and "UTC until you set yours" in text
    off = await recall.slash(alice, "quiz remind off")
    assert ephemeral_text(off) == "Reminders are off."


async def test_dm_arrives_once_and_its_button_runs_a_review(recall: Recall) -> None:
    alice = recall.hall.learner
    await _fail_one_new_card(recall, alice)
    await recall.slash(alice, "quiz remind set", {"time": "12:05"})  # clock: 12:00 UTC
    recall.clock.advance(timedelta(minutes=6))
    await _cog(recall).loop.reminder_tick(drain=True)
    [dm] = _dms(recall, alice)
    assert "1 card is due" in dm.content
    assert labels(dm) == ["Start review"]
    assert dm.allowed_mentions == {"parse": []}

    # Ticking again, or after a restart, sends nothing more today.
    await _cog(recall).loop.reminder_tick(drain=True)
    await recall.restart()
    await _cog(recall).loop.reminder_tick(drain=True)
    assert len(_dms(recall, alice)) == 1

    clicked = await recall.click(alice, dm, "Start review")
    session = clicked.message()
    assert session is not None
    assert session.channel_id == recall.fake.dm_channel(alice).id
    assert "card 1 of 1" in embed(session)["title"]
    await recall.click(alice, session, "Reveal answer")
    await recall.click(alice, session, "Good")
    assert embed(session)["title"].startswith("Session complete")


async def test_closed_dms_turn_reminders_off_and_say_why(recall: Recall) -> None:
    alice = recall.hall.learner
    await _fail_one_new_card(recall, alice)
    await recall.slash(alice, "quiz remind set", {"time": "12:05"})
    closed = recall.fake.fail("POST", DM_SEND, status=403, code=50007)
    recall.clock.advance(timedelta(minutes=6))
    await _cog(recall).loop.reminder_tick(drain=True)
    assert closed.hits == 1
    recall.fake.clear_faults()
    row = await recall.running.store.read(
        one(
            "SELECT reminder_time, reminders_off_reason FROM learners"
            " WHERE platform = 'discord' AND external_id = ?",
            str(alice.id),
        )
    )
    assert row is not None and row["reminder_time"] is None
    assert row["reminders_off_reason"] == "dms_closed"
    # The next /quiz reply tells them, once.
    start = await recall.slash(alice, "quiz start", {"count": 1})
    assert "could not send you a DM" in ephemeral_text(start)
    stats = await recall.slash(alice, "quiz stats")
    stats_message = await stats.wait_done()
    assert stats_message is not None
    assert "could not send you a DM" in embed(stats_message)["footer"]["text"]


async def test_rate_limited_dm_is_delayed_not_duplicated(recall: Recall) -> None:
    alice = recall.hall.learner
    await _fail_one_new_card(recall, alice)
    await recall.slash(alice, "quiz remind set", {"time": "12:05"})
    limited = recall.fake.rate_limit("POST", DM_SEND, times=1, retry_after=0.3)
    recall.clock.advance(timedelta(minutes=6))
    await _cog(recall).loop.reminder_tick(drain=True)
    assert limited.hits == 1
    assert len(_dms(recall, alice)) == 1
    attempts = [r.status for r in recall.fake.requests_matching("POST", DM_SEND)]
    assert attempts[-2:] == [429, 200]


async def test_daily_question_posts_once_and_counts_answers(recall: Recall) -> None:
    hall = recall.hall
    refused = await recall.slash(
        hall.moderator,
        "quiz-admin daily set",
        {"channel": hall.channel, "time": "25:00", "zone": "UTC"},
    )
    assert "HH:MM" in ephemeral_text(refused)
    ok = await recall.slash(
        hall.moderator,
        "quiz-admin daily set",
        {"channel": hall.channel, "time": "12:10", "zone": "Europe/London"},
    )
    assert "12:10" in ephemeral_text(ok)
    recall.clock.advance(timedelta(minutes=11))
    cog = _cog(recall)
    await cog.loop.daily_tick()
    await cog.loop.daily_tick()  # a second tick the same day posts nothing
    [post] = [m for m in recall.fake.messages_in(hall.channel) if m.embeds]
    assert not post.ephemeral
    assert embed(post)["title"] == "Question of the day"
    card = next(
        c
        for d in recall.running.decks.all()
        for c in d.cards_of(CardType.MCQ)
        if c.question == embed(post)["description"]
    )
    right = f"{'ABCDE'[card.answer_index]} · {card.answer}"
    first = await recall.click(hall.learner, post, right)
    assert ephemeral_text(first).startswith("✓ Correct!")
    await recall.fake.wait_until(
        lambda: "1 answer" in embed(post)["footer"]["text"], what="the count to update"
    )
    again = await recall.click(hall.learner, post, right)
    assert "already" in ephemeral_text(again).lower()
    wrong = next(label for label in labels(post) if label != right)
    second = await recall.click(hall.learner2, post, wrong)
    assert ephemeral_text(second).startswith("✗")
    await recall.fake.wait_until(
        lambda: "2 answers · 1 correct" in embed(post)["footer"]["text"], what="the count"
    )
    assert await recall.review_count() == 2  # both count toward streak and XP
    off = await recall.slash(hall.moderator, "quiz-admin daily off")
    assert ephemeral_text(off) == "The daily question is off."


def _bot_message(recall: Recall, channel: FakeChannel) -> FakeMessage:
    """A message of Recall's in ``channel``, for a tampered client to click on."""
    return recall.fake.create_message(
        channel_id=channel.id,
        author=recall.fake.bot_user,
        payload={"content": "Recall was here", "allowed_mentions": {"parse": []}},
        files=[],
        source="test",
    )


async def test_daily_answer_from_another_server_or_a_dm_is_refused(recall: Recall) -> None:
    hall = recall.hall
    await recall.slash(
        hall.moderator,
        "quiz-admin daily set",
        {"channel": hall.channel, "time": "12:10", "zone": "UTC"},
    )
    recall.clock.advance(timedelta(minutes=11))
    await _cog(recall).loop.daily_tick()
    [post] = [m for m in recall.fake.messages_in(hall.channel) if m.embeds]
    answer_id = custom_id_of(post, labels(post)[0])
    other = recall.fake.create_guild("Other server")
    elsewhere = recall.fake.create_text_channel(other, "general")
    recall.fake.add_member(other, hall.learner)
    places = [
        _bot_message(recall, elsewhere),
        _bot_message(recall, recall.fake.dm_channel(hall.learner)),
    ]
    for message in places:
        click = await recall.fake.click(hall.learner, message, answer_id, forged=True)
        await click.response()
        assert "belongs to another server" in ephemeral_text(click)
    assert await recall.review_count() == 0
    assert await recall.running.store.read(value("SELECT COUNT(*) FROM daily_answers")) == 0
    assert "0 answers" in embed(post)["footer"]["text"]
    # From the post itself the same member can still answer.
    click = await recall.click(hall.learner, post, labels(post)[0])
    assert ephemeral_text(click).startswith(("✓", "✗"))
    assert await recall.review_count() == 1


async def test_start_review_clicked_in_a_server_channel_is_private(recall: Recall) -> None:
    alice = recall.hall.learner
    await _fail_one_new_card(recall, alice)
    recall.clock.advance(timedelta(minutes=2))  # the failed card is due again
    message = _bot_message(recall, recall.hall.channel)
    click = await recall.fake.click(alice, message, f"recall:review:{alice.id}", forged=True)
    await click.response()
    session = click.message()
    assert session is not None and session.ephemeral
    assert "card 1 of 1" in embed(session)["title"]
    public = [m for m in recall.fake.messages_in(recall.hall.channel) if not m.ephemeral]
    assert public == [message]  # only the message clicked on


async def test_start_review_from_a_dm_asks_when_a_session_is_open(recall: Recall) -> None:
    alice = recall.hall.learner
    await _fail_one_new_card(recall, alice)
    await recall.slash(alice, "quiz remind set", {"time": "12:05"})
    recall.clock.advance(timedelta(minutes=6))
    await _cog(recall).loop.reminder_tick(drain=True)
    [dm] = _dms(recall, alice)
    await recall.slash(alice, "quiz start", {"kind": "flashcard", "count": 2})  # left open
    clicked = await recall.click(alice, dm, "Start review")
    prompt = clicked.message()
    assert prompt is not None and prompt.ephemeral
    assert labels(prompt) == ["Resume", "Start new"]
    found = await recall.sql("SELECT status FROM quiz_sessions ORDER BY id")
    assert [r["status"] for r in found] == ["finished", "active"]  # nothing replaced
