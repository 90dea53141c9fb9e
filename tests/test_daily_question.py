"""Tests for the daily question: settings, one post per community and day, one answer
per learner, an answer as a review. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.daily import due_today, pick_card
from bot.core.errors import (
    AlreadyAnswered,
    CardChanged,
    NoQuestions,
    NotAnOption,
    UnknownPost,
    WrongCommunity,
)
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.core.session import option_fingerprint
from bot.core.timezones import InvalidLocalTime, InvalidTimeZone, parse_zone
from bot.decks import DeckLibrary
from bot.services.daily import DailyPostJob, DailyQuestionService, DailySchedule
from bot.storage import DatabaseURL, Store, learners, open_store
from bot.storage import daily as daily_table
from bot.storage.script import Script, rows
from tests.conftest import SHIPPED_DECK
from tests.reminder_helpers import count, utc, who

GUILD = who(4242)
CHANNEL = "99"
DISCORD = Platform.DISCORD


@pytest.fixture
def daily(
    store: Store, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock
) -> DailyQuestionService:
    return DailyQuestionService(store, library, scheduler, clock)


def at(service: DailyQuestionService, when: datetime) -> DailyQuestionService:
    assert isinstance(service.clock, FakeClock)
    service.clock.set(when)
    return service


async def configure(
    daily: DailyQuestionService,
    when: datetime,
    time: str = "09:00",
    zone: str = "UTC",
    deck: str | None = SHIPPED_DECK,
    community: Identity = GUILD,
) -> DailySchedule:
    return await at(daily, when).configure(community, CHANNEL, time, zone, deck)


async def claim(daily: DailyQuestionService, when: datetime) -> list[DailyPostJob]:
    return await at(daily, when).claim_due_posts(DISCORD)


# --- the rules: when, and which card ---------------------------------------------------

CARDS = [("d", f"q{n}") for n in range(5)]


def test_pick_is_deterministic_and_independent_of_candidate_order():
    day = date(2026, 3, 2)
    assert pick_card(42, day, CARDS, None) == pick_card(42, day, list(reversed(CARDS)), None)


def test_pick_never_repeats_yesterdays_card_and_varies():
    day, previous, picked = date(2026, 1, 1), None, []
    for _ in range(120):
        card = pick_card(42, day, CARDS, previous)
        assert card != previous
        picked.append(card)
        previous, day = card, day + timedelta(days=1)
    assert set(picked) == set(CARDS)
    communities = {pick_card(c, date(2026, 3, 2), CARDS, None) for c in range(1, 40)}
    assert len(communities) > 1


def test_pick_with_one_card_repeats_it_and_with_none_refuses():
    assert pick_card(1, date(2026, 3, 2), CARDS[:1], CARDS[0]) == CARDS[0]
    with pytest.raises(NoQuestions):
        pick_card(1, date(2026, 3, 2), [], None)


def test_due_today_from_its_time_and_only_if_set_up_before_it():
    paris = parse_zone("Europe/Paris")
    set_at = utc(2026, 3, 1)
    assert due_today(time(9), paris, set_at, utc(2026, 3, 2, 7, 59)) is None
    assert due_today(time(9), paris, set_at, utc(2026, 3, 2, 8)) == (
        date(2026, 3, 2),
        utc(2026, 3, 2, 8),
    )
    assert due_today(time(9), paris, utc(2026, 3, 2, 8), utc(2026, 3, 2, 12)) is None


# --- settings ------------------------------------------------------------------------


async def test_configure_validates_time_zone_and_deck(daily: DailyQuestionService):
    now = utc(2026, 3, 2, 8)
    with pytest.raises(InvalidLocalTime):
        await configure(daily, now, "25:00")
    with pytest.raises(InvalidTimeZone):
        await configure(daily, now, zone="Mars/Olympus")
    with pytest.raises(NoQuestions) as refused:
        await configure(daily, now, deck="no-such-deck")
    assert (refused.value.deck_id, refused.value.unknown_deck) == ("no-such-deck", True)
    assert await daily.schedule(GUILD) is None

    schedule = await configure(daily, now, "9:00", "europe/paris")
    assert (schedule.config.time, schedule.config.zone) == ("09:00", "Europe/Paris")
    assert (schedule.config.channel, schedule.config.community) == (CHANNEL, GUILD)
    assert schedule.next_post_at == utc(2026, 3, 3, 8)  # 09:00 CET today is now: tomorrow
    later = await configure(daily, now, "10:00", "Europe/Paris", None)
    assert later.next_post_at == utc(2026, 3, 2, 9)
    shown = await daily.schedule(GUILD)
    assert shown is not None and shown.config.deck_id is None
    assert await daily.turn_off(GUILD) is True
    assert await daily.turn_off(GUILD) is False
    assert await daily.turn_off(who(1)) is False  # a community Recall never saw
    assert await daily.schedule(GUILD) is None


# --- claiming posts ------------------------------------------------------------------


async def test_a_post_is_claimed_once_per_community_and_day(daily: DailyQuestionService):
    await configure(daily, utc(2026, 3, 2, 8))
    assert await claim(daily, utc(2026, 3, 2, 8, 59)) == []
    [job] = await claim(daily, utc(2026, 3, 2, 9))
    assert (job.community, job.channel, job.local_date) == (GUILD, CHANNEL, date(2026, 3, 2))
    assert (job.deck_id, job.card.id) in daily.candidates(SHIPPED_DECK)
    for hour in (9, 12, 23):
        assert await claim(daily, utc(2026, 3, 2, hour, 30)) == []
    [tomorrow] = await claim(daily, utc(2026, 3, 3, 9))
    assert tomorrow.card.id != job.card.id  # never the same card two days running


async def test_a_claim_is_for_one_platform_only(daily: DailyQuestionService):
    slack = who(4242, Platform.SLACK)
    await configure(daily, utc(2026, 3, 2, 8), community=slack)
    assert await claim(daily, utc(2026, 3, 2, 9)) == []
    [job] = await daily.claim_due_posts(Platform.SLACK)
    assert job.community == slack


async def test_catch_up_posts_late_the_same_day_but_not_for_a_day_already_over(
    daily: DailyQuestionService,
):
    await configure(daily, utc(2026, 3, 2, 12), zone="America/New_York", deck=None)
    # Down until 20:00 New York time: today's question is still posted, once.
    [late] = await claim(daily, utc(2026, 3, 3, 1))
    assert late.local_date == date(2026, 3, 2)
    # Down all of 03-03: nothing for it; 03-04 is posted on 03-04.
    assert await claim(daily, utc(2026, 3, 4, 13)) == []
    [next_one] = await claim(daily, utc(2026, 3, 4, 14))
    assert next_one.local_date == date(2026, 3, 4)


async def test_setting_it_up_after_todays_time_starts_tomorrow(daily: DailyQuestionService):
    await configure(daily, utc(2026, 3, 2, 15), deck=None)
    assert await claim(daily, utc(2026, 3, 2, 15, 1)) == []
    assert len(await claim(daily, utc(2026, 3, 3, 9))) == 1


async def test_two_processes_claim_each_post_once(
    database_url: DatabaseURL,
    store: Store,
    library: DeckLibrary,
    scheduler: CardScheduler,
):
    """Two stores on one database race: every community's post is claimed once."""
    setup = DailyQuestionService(store, library, scheduler, FakeClock(utc(2026, 3, 2, 8)))
    for n in range(1, 21):
        await setup.configure(who(n), CHANNEL, "09:00", "UTC", None)
    second = await open_store(database_url)
    try:
        services = [
            DailyQuestionService(db, library, scheduler, FakeClock(utc(2026, 3, 2, 9, 0, k)))
            for k in range(3)
            for db in (store, second)
        ]
        results = await asyncio.gather(*(s.claim_due_posts(DISCORD) for s in services))
        jobs = [job for batch in results for job in batch]
        assert sorted(int(job.community.external_id) for job in jobs) == list(range(1, 21))
        assert await count(store, "daily_posts") == 20
    finally:
        await second.close()


async def test_every_member_gets_the_same_card(
    daily: DailyQuestionService, library: DeckLibrary, scheduler: CardScheduler, store: Store
):
    # The card depends on the community and the date only: a second process (or the
    # same one on another day of the same deck) picks the same card.
    await configure(daily, utc(2026, 3, 2, 8), deck=None)
    [job] = await claim(daily, utc(2026, 3, 2, 9))
    [community_id] = [r["id"] for r in await store.read(rows("SELECT id FROM communities"))]
    key = pick_card(community_id, date(2026, 3, 2), daily.candidates(None), None)
    assert (job.deck_id, job.card.id) == key


# --- answering -----------------------------------------------------------------------


async def _posted(daily: DailyQuestionService) -> tuple[DailyPostJob, int, int]:
    await configure(daily, utc(2026, 3, 2, 8))
    [job] = await claim(daily, utc(2026, 3, 2, 9))
    right = job.card.options.index(job.card.answer)
    return job, right, (right + 1) % len(job.card.options)


async def test_one_answer_per_learner_counts_and_progress(
    daily: DailyQuestionService, store: Store
):
    job, right, wrong = await _posted(daily)
    at(daily, utc(2026, 3, 2, 9, 5))

    first = await daily.answer(who(1), job.post_id, right, community=GUILD)
    assert (first.correct, first.answers, first.correct_answers) == (True, 1, 1)
    assert first.right_answer == job.card.answer and first.card.explanation == job.card.explanation
    assert first.xp > 0 and first.streak == 1

    with pytest.raises(AlreadyAnswered):
        # A second click, another option.
        await daily.answer(who(1), job.post_id, wrong, community=GUILD)

    second = await daily.answer(who(2), job.post_id, wrong, community=GUILD)
    assert (second.correct, second.answers, second.correct_answers) == (False, 2, 1)

    post = await daily.post(job.post_id)
    assert post is not None and (post.answers, post.correct) == (2, 1)
    found = await store.read(
        rows(
            "SELECT l.external_id, c.external_id AS community, r.card_id, r.session_id,"
            " r.correct FROM reviews r JOIN learners l ON l.id = r.learner_id"
            " JOIN communities c ON c.id = r.community_id ORDER BY l.external_id"
        )
    )
    assert [tuple(r[k] for k in range(5)) for r in found] == [
        ("1", GUILD.external_id, job.card.id, None, 1),
        ("2", GUILD.external_id, job.card.id, None, 0),
    ]
    learner = await store.read(learners.find(who(1)))
    assert learner is not None and learner.xp == first.xp and learner.streak.current == 1
    # The review scheduled the card like any other answer.
    memory = await store.read(rows("SELECT reps FROM card_states WHERE learner_id = ?", learner.id))
    assert [r["reps"] for r in memory] == [1]


async def test_concurrent_clicks_of_one_learner_record_one_answer(
    daily: DailyQuestionService, store: Store
):
    job, right, _ = await _posted(daily)
    outcomes = await asyncio.gather(
        *(daily.answer(who(1), job.post_id, right, community=GUILD) for _ in range(6)),
        return_exceptions=True,
    )
    assert sum(1 for o in outcomes if not isinstance(o, BaseException)) == 1
    assert all(isinstance(o, AlreadyAnswered) for o in outcomes if isinstance(o, BaseException))
    assert await count(store, "reviews") == 1
    post = await daily.post(job.post_id)
    assert post is not None and post.answers == 1


async def test_bad_answers_are_domain_errors(daily: DailyQuestionService):
    job, right, wrong = await _posted(daily)
    with pytest.raises(UnknownPost):
        await daily.answer(who(1), job.post_id + 100, 0, community=GUILD)
    with pytest.raises(NotAnOption):
        await daily.answer(who(1), job.post_id, 17, community=GUILD)
    stale = option_fingerprint(job.card.options[wrong])
    with pytest.raises(CardChanged):
        await daily.answer(who(1), job.post_id, right, community=GUILD, fingerprint=stale)
    post = await daily.post(job.post_id)
    assert post is not None and post.answers == 0
    fresh = option_fingerprint(job.card.options[right])
    done = await daily.answer(who(1), job.post_id, right, community=GUILD, fingerprint=fresh)
    assert done.answers == 1


async def test_an_answer_from_another_community_or_a_dm_records_nothing(
    daily: DailyQuestionService, store: Store
):
    job, right, _ = await _posted(daily)
    await configure(daily, utc(2026, 3, 2, 8), community=who(7777))  # a community Recall knows
    for elsewhere in (who(7777), who(5555), None):
        with pytest.raises(WrongCommunity):
            await daily.answer(who(1), job.post_id, right, community=elsewhere)
    post = await daily.post(job.post_id)
    assert post is not None and (post.answers, post.correct) == (0, 0)
    for table in ("reviews", "daily_answers", "learners"):
        assert await count(store, table) == 0, table
    # The same learner may still answer from the post's own community.
    result = await daily.answer(who(1), job.post_id, right, community=GUILD)
    assert result.answers == 1


async def test_forget_me_takes_the_answer_out_of_the_count(
    daily: DailyQuestionService, store: Store
):
    job, right, wrong = await _posted(daily)
    await daily.answer(who(1), job.post_id, right, community=GUILD)
    await daily.answer(who(2), job.post_id, wrong, community=GUILD)
    await daily.answer(who(3), job.post_id, right, community=GUILD)
    learner = await store.read(learners.find(who(1)))
    assert learner is not None

    def forget(learner_id: int) -> Script[bool]:
        # As the forget-me service does: the counts first, then the cascade.
        yield from daily_table.forget_answers(learner_id)
        return (yield from learners.delete(learner_id))

    assert await store.write(forget(learner.id))
    post = await daily.post(job.post_id)
    assert post is not None and (post.answers, post.correct) == (2, 1)
    # Nothing of learner 1 is kept: they answer again as someone new, counted once.
    again = await daily.answer(who(1), job.post_id, wrong, community=GUILD)
    assert (again.answers, again.correct_answers) == (3, 1)


async def test_a_failed_post_can_turn_the_daily_question_off(daily: DailyQuestionService):
    await configure(daily, utc(2026, 3, 2, 8), deck=None)
    [job] = await claim(daily, utc(2026, 3, 2, 9))
    await daily.mark_failed(job.post_id, "403 Missing Access", disable=True)
    post = await daily.post(job.post_id)
    assert post is not None and (post.status, post.error) == ("failed", "403 Missing Access")
    assert await daily.schedule(GUILD) is None
    assert await claim(daily, utc(2026, 3, 3, 9)) == []


async def test_a_posted_question_remembers_its_message(daily: DailyQuestionService):
    job, _, _ = await _posted(daily)
    await daily.mark_posted(job.post_id, "123456789012345678")
    post = await daily.post(job.post_id)
    assert post is not None and (post.status, post.message) == ("posted", "123456789012345678")
