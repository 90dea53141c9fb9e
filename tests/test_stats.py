"""Learner stats, member stats and deck progress after real answers (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.grading import Grade
from bot.core.learner import Identity
from bot.core.reports import LearnerStats
from bot.core.session import SessionKind
from bot.decks import DeckLibrary, McqCard
from bot.services.reports import WEAK_SPOT_DAYS, ReportService, end_of_local_day
from bot.services.study import StudyService, Where
from bot.storage import Store, learners
from bot.storage.script import Script
from tests.conftest import SHIPPED_DECK, START
from tests.review_rows import (
    GUILD,
    NOW,
    OTHER_GUILD,
    Review,
    add_learner,
    add_reviews,
    person,
    query,
    server,
)

ALICE = person(111)
BOB = person(222)
HERE = Where(server(1), "2")


@pytest.fixture
def reports(store: Store, library: DeckLibrary, clock: FakeClock) -> ReportService:
    return ReportService(store, library, clock)


async def stats_at(
    reports: ReportService, clock: FakeClock, who: Identity, now: datetime
) -> LearnerStats:
    clock.set(now)
    return await reports.learner_stats(who)


async def _study(study: StudyService) -> None:
    """Three MCQs (right, wrong, right) and one flashcard graded Easy, at START."""
    view = await study.start(ALICE, HERE, deck_id=SHIPPED_DECK, kind=SessionKind.MCQ, count=3)
    sid = view.session.id
    for step, right in enumerate((True, False, True)):
        view = await study.view(sid)
        card = view.card
        assert isinstance(card, McqCard)
        answer = card.answer_index if right else (card.answer_index + 1) % len(card.options)
        await study.answer_mcq(ALICE, sid, step, answer, None)
        await study.next(ALICE, sid, step)
    view = await study.start(ALICE, HERE, deck_id=SHIPPED_DECK, kind=SessionKind.FLASHCARD, count=1)
    await study.reveal(ALICE, view.session.id, 0)
    await study.grade_flashcard(ALICE, view.session.id, 0, Grade.EASY)


async def test_stats_of_someone_who_never_studied(reports: ReportService, clock: FakeClock) -> None:
    stats = await stats_at(reports, clock, person(404), START)
    assert (stats.reviews, stats.correct, stats.xp, stats.due_today) == (0, 0, 0, 0)
    assert stats.accuracy is None
    assert stats.streak.current == 0
    assert stats.time_zone == "UTC"
    assert sum(stats.activity.values()) == 0
    # Reading creates nobody.
    assert await query(reports.store, "SELECT COUNT(*) FROM learners") == [(0,)]


async def test_learner_stats_after_answers(
    study: StudyService, reports: ReportService, clock: FakeClock
) -> None:
    await _study(study)
    stats = await stats_at(reports, clock, ALICE, START)
    assert stats.reviews == 4
    assert stats.correct == 3
    assert stats.accuracy == 0.75
    assert stats.xp == 10 + 2 + 10 + 12
    assert stats.streak.current == 1
    assert stats.streak.studied_today
    assert stats.best_streak == 1
    assert stats.freezes == 0
    # Two MCQs due in 10 minutes and one in a minute are due today; the Easy card is not.
    assert stats.due_today == 3

    assert stats.activity[START.date()] == 4
    assert stats.today == START.date()

    tomorrow = await stats_at(reports, clock, ALICE, START + timedelta(days=1))
    assert tomorrow.streak.current == 1
    assert not tomorrow.streak.studied_today
    assert tomorrow.streak.at_risk
    assert tomorrow.due_today == 3


async def test_due_today_uses_the_learners_day(
    study: StudyService, reports: ReportService, clock: FakeClock
) -> None:
    await _study(study)
    rows = await query(reports.store, "SELECT due FROM card_states ORDER BY due DESC")
    easy_due = datetime.fromtimestamp(rows[0][0], UTC)
    assert easy_due.hour == 12  # noon UTC, days after START
    # Ten hours before it: still the same day in UTC, the evening before in New York.
    now = easy_due - timedelta(hours=10)
    assert (await stats_at(reports, clock, ALICE, now)).due_today == 4

    def move() -> Script[None]:
        learner = yield from learners.find(ALICE)
        assert learner is not None
        yield from learners.set_time_zone(learner.id, "America/New_York")

    await reports.store.write(move())
    stats = await stats_at(reports, clock, ALICE, now)
    assert stats.time_zone == "America/New_York"
    assert stats.due_today == 3


@pytest.mark.parametrize(
    ("zone", "now", "alive"),
    [
        # 11:00 UTC on 03-04 is 01:00 on 03-05 in Kiritimati (UTC+14): 03-04 was missed.
        ("Pacific/Kiritimati", datetime(2026, 3, 4, 11, 0, tzinfo=UTC), False),
        # 03:00 UTC on 03-05 is 22:00 on 03-04 in New York: 03-04 is still running there.
        ("America/New_York", datetime(2026, 3, 5, 3, 0, tzinfo=UTC), True),
    ],
)
async def test_streak_follows_the_learners_date_not_utcs(
    reports: ReportService, clock: FakeClock, zone: str, now: datetime, alive: bool
) -> None:
    await add_learner(reports.store, 111, zone=zone, streak=4, last_active=date(2026, 3, 3))
    stats = await stats_at(reports, clock, ALICE, now)
    assert stats.time_zone == zone
    assert stats.streak.current == (4 if alive else 0)
    assert stats.streak.at_risk is alive


def test_end_of_local_day() -> None:
    noon = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert end_of_local_day(noon, "UTC") == datetime(2026, 3, 3, tzinfo=UTC)
    # 12:00 UTC is 21:00 in Tokyo: its day ends at 15:00 UTC.
    assert end_of_local_day(noon, "Asia/Tokyo") == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    # and 07:00 in New York: the day ends at 05:00 UTC the next day.
    assert end_of_local_day(noon, "America/New_York") == datetime(2026, 3, 3, 5, tzinfo=UTC)


async def test_deck_progress(study: StudyService, reports: ReportService, clock: FakeClock) -> None:
    before = await reports.deck_progress(ALICE)
    deck = next(p for p in before if p.deck_id == SHIPPED_DECK)
    assert deck.cards == 12
    assert deck.by_type == {"flashcard": 5, "mcq": 5, "explain": 2}
    assert deck.title == "WSGI vs ASGI in Django"
    assert (deck.seen, deck.due_now) == (0, 0)

    await _study(study)
    progress = await reports.deck_progress(ALICE)
    deck = next(p for p in progress if p.deck_id == SHIPPED_DECK)
    assert (deck.seen, deck.due_now) == (4, 0)
    clock.set(START + timedelta(minutes=10))
    later = await reports.deck_progress(ALICE)
    deck = next(p for p in later if p.deck_id == SHIPPED_DECK)
    assert deck.due_now == 3
    # Other learners see their own progress only.
    other = await reports.deck_progress(BOB)
    assert all(p.seen == 0 for p in other)


async def test_member_stats_count_one_community_only(
    reports: ReportService, clock: FakeClock
) -> None:
    # A learner active in two servers and in DMs: a moderator of GUILD sees GUILD only.
    yesterday = NOW - timedelta(days=1)
    clock.set(NOW)
    await add_reviews(
        reports.store,
        [
            Review(111, at=yesterday, guild_id=GUILD, correct=True, xp=10),
            Review(111, at=NOW, guild_id=GUILD, correct=False, xp=2),
            Review(111, at=NOW, guild_id=OTHER_GUILD, correct=True, xp=30),
            Review(111, at=NOW, guild_id=OTHER_GUILD, correct=True, xp=30),
            Review(111, at=NOW, guild_id=None, correct=True, xp=50),  # a DM session
            Review(222, at=NOW, guild_id=GUILD, correct=True, xp=7),
        ],
    )
    here = await reports.member_stats(server(GUILD), ALICE)
    assert (here.reviews, here.correct, here.xp) == (2, 1, 12)
    assert here.accuracy == 0.5
    elsewhere = await reports.member_stats(server(OTHER_GUILD), ALICE)
    assert (elsewhere.reviews, elsewhere.correct, elsewhere.xp) == (2, 2, 60)
    never = await reports.member_stats(server(4242), ALICE)
    assert (never.reviews, never.xp, never.accuracy) == (0, 0, None)
    # Her own stats still cover everything.
    assert (await reports.learner_stats(ALICE)).reviews == 5

    days = here.activity
    assert days[NOW.date()] == 1 and days[yesterday.date()] == 1
    assert sum(days.values()) == 2
    assert here.today == NOW.date()
    assert sum(elsewhere.activity.values()) == 2
    assert sum(never.activity.values()) == 0


async def test_member_activity_days_are_utc_days(reports: ReportService, clock: FakeClock) -> None:
    # 23:30 UTC is already tomorrow in Kiritimati (UTC+14): the member view keeps UTC.
    clock.set(NOW)
    late = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    await add_learner(reports.store, 111, zone="Pacific/Kiritimati")
    await add_reviews(reports.store, [Review(111, at=late, guild_id=GUILD)])
    days = (await reports.member_stats(server(GUILD), ALICE)).activity
    assert days[late.date()] == 1
    assert sum(days.values()) == 1


# -- weak spots ---------------------------------------------------------------------------


async def test_weak_spots_list_the_most_missed_cards_and_concepts(
    study: StudyService, reports: ReportService, clock: FakeClock
) -> None:
    # The same two MCQs three times: the first always wrong, the second wrong once.
    for round_ in range(3):
        view = await study.start(ALICE, HERE, deck_id=SHIPPED_DECK, kind=SessionKind.MCQ, count=2)
        sid = view.session.id
        for step in range(2):
            card = (await study.view(sid)).card
            assert isinstance(card, McqCard)
            wrong = step == 0 or round_ == 0
            choice = (card.answer_index + 1) % len(card.options) if wrong else card.answer_index
            await study.answer_mcq(ALICE, sid, step, choice, None)
            await study.next(ALICE, sid, step)
        clock.advance(timedelta(days=1))
    # An explanation that names only one concept misses the others.
    view = await study.start(ALICE, HERE, deck_id=SHIPPED_DECK, kind=SessionKind.EXPLAIN, count=1)
    explain = view.card
    assert explain is not None
    await study.answer_explain(ALICE, view.session.id, 0, "WSGI is synchronous.")

    stats = await reports.learner_stats(ALICE)
    weak = stats.weak_cards
    assert [(c.wrong, c.attempts) for c in weak[:2]] == [(3, 3), (1, 3)]
    assert weak[0].excerpt and weak[0].deck_title == "WSGI vs ASGI in Django"
    assert stats.weak_concepts, "the explanation's missed concepts are listed"
    assert all(c.card_id == explain.id and c.missed == 1 for c in stats.weak_concepts)
    assert all(c.attempts == 1 for c in stats.weak_concepts)
    # Bob's stats know nothing of Alice's misses.
    bobs = await reports.learner_stats(BOB)
    assert (bobs.weak_cards, bobs.weak_concepts) == ((), ())


async def test_weak_spots_forget_misses_older_than_the_window(
    study: StudyService, reports: ReportService, clock: FakeClock
) -> None:
    view = await study.start(ALICE, HERE, deck_id=SHIPPED_DECK, kind=SessionKind.MCQ, count=1)
    card = view.card
    assert isinstance(card, McqCard)
    await study.answer_mcq(ALICE, view.session.id, 0, (card.answer_index + 1) % 4, None)
    assert len((await reports.learner_stats(ALICE)).weak_cards) == 1
    clock.advance(timedelta(days=WEAK_SPOT_DAYS + 1))
    assert (await reports.learner_stats(ALICE)).weak_cards == ()
