"""Tests for bot.daily_question: settings, one post per guild and day, one answer per member."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.core.scheduling import CardScheduler
from bot.core.timezones import InvalidLocalTime, InvalidTimeZone
from bot.daily_question import (
    AlreadyAnswered,
    DailyError,
    DailyQuestionService,
    NoQuestions,
    UnknownPost,
    WrongServer,
    pick_card,
)
from bot.decks import DeckLibrary
from bot.storage import Database, learners
from tests.conftest import SHIPPED_DECK
from tests.test_reminders import utc

GUILD = 4242
CHANNEL = 99


@pytest.fixture
def daily(db: Database, library: DeckLibrary, scheduler: CardScheduler) -> DailyQuestionService:
    return DailyQuestionService(db, library, scheduler)


# --- picking the card ----------------------------------------------------------------

CARDS = [("d", f"q{n}") for n in range(5)]


def test_pick_is_deterministic_and_independent_of_candidate_order():
    day = date(2026, 3, 2)
    assert pick_card(GUILD, day, CARDS, None) == pick_card(GUILD, day, list(reversed(CARDS)), None)


def test_pick_never_repeats_yesterdays_card_and_varies():
    day, previous, picked = date(2026, 1, 1), None, []
    for _ in range(120):
        card = pick_card(GUILD, day, CARDS, previous)
        assert card != previous
        picked.append(card)
        previous, day = card, day + timedelta(days=1)
    assert set(picked) == set(CARDS)
    guilds = {pick_card(g, date(2026, 3, 2), CARDS, None) for g in range(1, 40)}
    assert len(guilds) > 1


def test_pick_with_one_card_repeats_it_and_with_none_refuses():
    assert pick_card(1, date(2026, 3, 2), CARDS[:1], CARDS[0]) == CARDS[0]
    with pytest.raises(NoQuestions):
        pick_card(1, date(2026, 3, 2), [], None)


# --- settings ------------------------------------------------------------------------


async def test_configure_validates_time_zone_and_deck(daily: DailyQuestionService):
    now = utc(2026, 3, 2, 8)
    with pytest.raises(InvalidLocalTime):
        await daily.configure(GUILD, CHANNEL, "25:00", "UTC", None, now)
    with pytest.raises(InvalidTimeZone):
        await daily.configure(GUILD, CHANNEL, "09:00", "Mars/Olympus", None, now)
    with pytest.raises(NoQuestions, match="no deck"):
        await daily.configure(GUILD, CHANNEL, "09:00", "UTC", "no-such-deck", now)
    assert await daily.schedule(GUILD, now) is None

    schedule = await daily.configure(GUILD, CHANNEL, "9:00", "europe/paris", SHIPPED_DECK, now)
    assert (schedule.config.time, schedule.config.zone) == ("09:00", "Europe/Paris")
    assert schedule.next_post_at == utc(2026, 3, 3, 8)  # 09:00 CET today is now: tomorrow
    later = await daily.configure(GUILD, CHANNEL, "10:00", "Europe/Paris", None, now)
    assert later.next_post_at == utc(2026, 3, 2, 9)
    assert await daily.turn_off(GUILD, now) is True
    assert await daily.turn_off(GUILD, now) is False
    assert await daily.schedule(GUILD, now) is None


# --- claiming posts ------------------------------------------------------------------


async def test_a_post_is_claimed_once_per_guild_and_day(daily: DailyQuestionService):
    await daily.configure(GUILD, CHANNEL, "09:00", "UTC", SHIPPED_DECK, utc(2026, 3, 2, 8))
    assert await daily.claim_due_posts(utc(2026, 3, 2, 8, 59)) == []
    [job] = await daily.claim_due_posts(utc(2026, 3, 2, 9))
    assert (job.guild_id, job.channel_id, job.local_date) == (GUILD, CHANNEL, date(2026, 3, 2))
    assert (job.deck_id, job.card.id) in daily.candidates(SHIPPED_DECK)
    for hour in (9, 12, 23):
        assert await daily.claim_due_posts(utc(2026, 3, 2, hour, 30)) == []
    [tomorrow] = await daily.claim_due_posts(utc(2026, 3, 3, 9))
    assert tomorrow.card.id != job.card.id  # never the same card two days running


async def test_catch_up_posts_late_the_same_day_but_not_for_a_day_already_over(
    daily: DailyQuestionService,
):
    await daily.configure(GUILD, CHANNEL, "09:00", "America/New_York", None, utc(2026, 3, 2, 12))
    # Down until 20:00 New York time: today's question is still posted, once.
    [late] = await daily.claim_due_posts(utc(2026, 3, 3, 1))
    assert late.local_date == date(2026, 3, 2)
    # Down all of 03-03: nothing for it; 03-04 is posted on 03-04.
    assert await daily.claim_due_posts(utc(2026, 3, 4, 13)) == []
    [next_one] = await daily.claim_due_posts(utc(2026, 3, 4, 14))
    assert next_one.local_date == date(2026, 3, 4)


async def test_setting_it_up_after_todays_time_starts_tomorrow(daily: DailyQuestionService):
    await daily.configure(GUILD, CHANNEL, "09:00", "UTC", None, utc(2026, 3, 2, 15))
    assert await daily.claim_due_posts(utc(2026, 3, 2, 15, 1)) == []
    assert len(await daily.claim_due_posts(utc(2026, 3, 3, 9))) == 1


async def test_two_connections_claim_the_post_once(
    tmp_path: Path, library: DeckLibrary, scheduler: CardScheduler
):
    path = tmp_path / "shared.db"
    first, second = await Database.open(path), await Database.open(path)
    try:
        services = [DailyQuestionService(db, library, scheduler) for db in (first, second)]
        for guild in range(1, 21):
            await services[0].configure(guild, CHANNEL, "09:00", "UTC", None, utc(2026, 3, 2, 8))
        results = await asyncio.gather(
            *(s.claim_due_posts(utc(2026, 3, 2, 9, 0, n)) for n in range(3) for s in services)
        )
        jobs = [job for batch in results for job in batch]
        assert sorted(job.guild_id for job in jobs) == list(range(1, 21))
    finally:
        await first.close()
        await second.close()


async def test_every_member_gets_the_same_card(
    tmp_path: Path, library: DeckLibrary, scheduler: CardScheduler
):
    # Two separate databases (two deployments) pick the same card for a guild and day.
    cards = []
    for name in ("a.db", "b.db"):
        db = await Database.open(tmp_path / name)
        try:
            service = DailyQuestionService(db, library, scheduler)
            await service.configure(GUILD, CHANNEL, "09:00", "UTC", None, utc(2026, 3, 2, 8))
            [job] = await service.claim_due_posts(utc(2026, 3, 2, 9))
            cards.append((job.deck_id, job.card.id))
        finally:
            await db.close()
    assert cards[0] == cards[1]


# --- answering -----------------------------------------------------------------------


async def test_one_answer_per_member_counts_and_progress(daily: DailyQuestionService, db: Database):
    await daily.configure(GUILD, CHANNEL, "09:00", "UTC", SHIPPED_DECK, utc(2026, 3, 2, 8))
    [job] = await daily.claim_due_posts(utc(2026, 3, 2, 9))
    right = job.card.options.index(job.card.answer)
    wrong = (right + 1) % len(job.card.options)
    now = utc(2026, 3, 2, 9, 5)

    first = await daily.answer(job.post_id, 1, right, now, guild_id=GUILD)
    assert (first.correct, first.answers, first.correct_answers) == (True, 1, 1)
    assert first.right_answer == job.card.answer and first.explanation == job.card.explanation
    assert first.xp > 0 and first.streak == 1

    with pytest.raises(AlreadyAnswered):
        # A second click, another option.
        await daily.answer(job.post_id, 1, wrong, now, guild_id=GUILD)

    second = await daily.answer(job.post_id, 2, wrong, now, guild_id=GUILD)
    assert (second.correct, second.answers, second.correct_answers) == (False, 2, 1)

    post = await daily.post(job.post_id)
    assert post is not None and (post.answers, post.correct) == (2, 1)
    rows = await db.fetchall(
        "SELECT user_id, guild_id, card_id, session_id FROM reviews ORDER BY user_id"
    )
    assert [tuple(r) for r in rows] == [
        (1, GUILD, job.card.id, None),
        (2, GUILD, job.card.id, None),
    ]
    learner = await learners.get(db, 1)
    assert learner is not None and learner.xp == first.xp and learner.streak.current == 1


async def test_bad_answers_are_domain_errors(daily: DailyQuestionService):
    await daily.configure(GUILD, CHANNEL, "09:00", "UTC", SHIPPED_DECK, utc(2026, 3, 2, 8))
    [job] = await daily.claim_due_posts(utc(2026, 3, 2, 9))
    with pytest.raises(UnknownPost):
        await daily.answer(job.post_id + 100, 1, 0, utc(2026, 3, 2, 10), guild_id=GUILD)
    with pytest.raises(DailyError, match="not on this question"):
        await daily.answer(job.post_id, 1, 17, utc(2026, 3, 2, 10), guild_id=GUILD)
    post = await daily.post(job.post_id)
    assert post is not None and post.answers == 0


async def test_an_answer_from_another_server_or_a_dm_records_nothing(
    daily: DailyQuestionService, db: Database
):
    await daily.configure(GUILD, CHANNEL, "09:00", "UTC", SHIPPED_DECK, utc(2026, 3, 2, 8))
    [job] = await daily.claim_due_posts(utc(2026, 3, 2, 9))
    right = job.card.options.index(job.card.answer)
    for elsewhere in (GUILD + 1, None):
        with pytest.raises(WrongServer):
            await daily.answer(job.post_id, 1, right, utc(2026, 3, 2, 10), guild_id=elsewhere)
    post = await daily.post(job.post_id)
    assert post is not None and (post.answers, post.correct) == (0, 0)
    for table in ("reviews", "daily_answers", "learners"):
        row = await db.fetchone(f"SELECT COUNT(*) FROM {table}")
        assert row is not None and row[0] == 0, table
    # The same member may still answer from the post's own server.
    result = await daily.answer(job.post_id, 1, right, utc(2026, 3, 2, 10), guild_id=GUILD)
    assert result.answers == 1


async def test_forget_me_takes_the_answer_out_of_the_count(
    daily: DailyQuestionService, db: Database
):
    await daily.configure(GUILD, CHANNEL, "09:00", "UTC", SHIPPED_DECK, utc(2026, 3, 2, 8))
    [job] = await daily.claim_due_posts(utc(2026, 3, 2, 9))
    right = job.card.options.index(job.card.answer)
    wrong = (right + 1) % len(job.card.options)
    now = utc(2026, 3, 2, 10)
    await daily.answer(job.post_id, 1, right, now, guild_id=GUILD)
    await daily.answer(job.post_id, 2, wrong, now, guild_id=GUILD)
    await daily.answer(job.post_id, 3, right, now, guild_id=GUILD)
    assert await learners.delete(db, 1)
    post = await daily.post(job.post_id)
    assert post is not None and (post.answers, post.correct) == (2, 1)
    # Nothing of member 1 is kept: they answer again as someone new, counted once.
    again = await daily.answer(job.post_id, 1, wrong, now, guild_id=GUILD)
    assert (again.answers, again.correct_answers) == (3, 1)


async def test_a_failed_post_can_turn_the_daily_question_off(daily: DailyQuestionService):
    await daily.configure(GUILD, CHANNEL, "09:00", "UTC", None, utc(2026, 3, 2, 8))
    [job] = await daily.claim_due_posts(utc(2026, 3, 2, 9))
    await daily.mark_failed(job.post_id, "403 Missing Access", utc(2026, 3, 2, 9), disable=True)
    post = await daily.post(job.post_id)
    assert post is not None and (post.status, post.error) == ("failed", "403 Missing Access")
    assert await daily.schedule(GUILD, utc(2026, 3, 2, 9)) is None
    assert await daily.claim_due_posts(utc(2026, 3, 3, 9)) == []
