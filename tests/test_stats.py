"""learner_stats and deck_progress after real answers through the engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from bot.sessions import SessionKind, StudyEngine

from bot.charts import server_activity_by_day
from bot.core.clock import FakeClock
from bot.core.grading import Grade
from bot.decks import DeckLibrary, McqCard
from bot.stats import deck_progress, end_of_local_day, learner_stats, server_stats
from bot.storage import Database, learners
from tests.conftest import SHIPPED_DECK, START
from tests.review_rows import GUILD, NOW, OTHER_GUILD, Review, add_learner, add_reviews

ALICE = 111
BOB = 222


async def _study(engine: StudyEngine, clock: FakeClock) -> None:
    """Three MCQs (right, wrong, right) and one flashcard graded Easy, at START."""
    view = await engine.start(
        user_id=ALICE,
        guild_id=1,
        channel_id=2,
        deck_id=SHIPPED_DECK,
        kind=SessionKind.MCQ,
        count=3,
    )
    sid = view.session.id
    for step, right in enumerate((True, False, True)):
        view = await engine.view(sid)
        card = view.card
        assert isinstance(card, McqCard)
        answer = card.answer_index if right else (card.answer_index + 1) % len(card.options)
        await engine.answer_mcq(sid, ALICE, step, answer)
        await engine.next(sid, ALICE, step)
    view = await engine.start(
        user_id=ALICE,
        guild_id=1,
        channel_id=2,
        deck_id=SHIPPED_DECK,
        kind=SessionKind.FLASHCARD,
        count=1,
    )
    await engine.reveal(view.session.id, ALICE, 0)
    await engine.grade_flashcard(view.session.id, ALICE, 0, Grade.EASY)


async def test_stats_of_someone_who_never_studied(db: Database) -> None:
    stats = await learner_stats(db, 404, START)
    assert (stats.reviews, stats.correct, stats.xp, stats.due_today) == (0, 0, 0, 0)
    assert stats.accuracy is None
    assert stats.streak.current == 0
    assert stats.time_zone == "UTC"


async def test_learner_stats_after_answers(
    engine: StudyEngine, db: Database, clock: FakeClock
) -> None:
    await _study(engine, clock)
    stats = await learner_stats(db, ALICE, START)
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

    tomorrow = await learner_stats(db, ALICE, START + timedelta(days=1))
    assert tomorrow.streak.current == 1
    assert not tomorrow.streak.studied_today
    assert tomorrow.streak.at_risk
    assert tomorrow.due_today == 3


async def test_due_today_uses_the_learners_day(
    engine: StudyEngine, db: Database, clock: FakeClock
) -> None:
    await _study(engine, clock)
    rows = await db.fetchall("SELECT due FROM card_states ORDER BY due DESC")
    easy_due = datetime.fromtimestamp(rows[0]["due"], UTC)
    assert easy_due.hour == 12  # noon UTC, days after START
    # Ten hours before it: still the same day in UTC, the evening before in New York.
    now = easy_due - timedelta(hours=10)
    assert (await learner_stats(db, ALICE, now)).due_today == 4
    await learners.set_time_zone(db, ALICE, "America/New_York", START)
    stats = await learner_stats(db, ALICE, now)
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
    db: Database, zone: str, now: datetime, alive: bool
) -> None:
    await add_learner(db, ALICE, zone=zone, streak=4, last_active=date(2026, 3, 3))
    stats = await learner_stats(db, ALICE, now)
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


async def test_deck_progress(
    engine: StudyEngine, db: Database, library: DeckLibrary, clock: FakeClock
) -> None:
    before = await deck_progress(db, library, ALICE, START)
    deck = next(p for p in before if p.deck_id == SHIPPED_DECK)
    assert deck.cards == 12
    assert deck.by_type == {"flashcard": 5, "mcq": 5, "explain": 2}
    assert deck.title == "WSGI vs ASGI in Django"
    assert (deck.seen, deck.due_now) == (0, 0)

    await _study(engine, clock)
    progress = await deck_progress(db, library, ALICE, START)
    deck = next(p for p in progress if p.deck_id == SHIPPED_DECK)
    assert (deck.seen, deck.due_now) == (4, 0)
    later = await deck_progress(db, library, ALICE, START + timedelta(minutes=10))
    deck = next(p for p in later if p.deck_id == SHIPPED_DECK)
    assert deck.due_now == 3
    # Other learners see their own progress only.
    other = await deck_progress(db, library, 222, START + timedelta(minutes=10))
    assert all(p.seen == 0 for p in other)


async def test_server_stats_count_one_server_only(db: Database) -> None:
    # A learner active in two servers and in DMs: a moderator of GUILD sees GUILD only.
    yesterday = NOW - timedelta(days=1)
    await add_reviews(
        db,
        [
            Review(ALICE, at=yesterday, guild_id=GUILD, correct=True, xp=10),
            Review(ALICE, at=NOW, guild_id=GUILD, correct=False, xp=2),
            Review(ALICE, at=NOW, guild_id=OTHER_GUILD, correct=True, xp=30),
            Review(ALICE, at=NOW, guild_id=OTHER_GUILD, correct=True, xp=30),
            Review(ALICE, at=NOW, guild_id=None, correct=True, xp=50),  # a DM session
            Review(BOB, at=NOW, guild_id=GUILD, correct=True, xp=7),
        ],
    )
    here = await server_stats(db, ALICE, GUILD)
    assert (here.reviews, here.correct, here.xp) == (2, 1, 12)
    assert here.accuracy == 0.5
    elsewhere = await server_stats(db, ALICE, OTHER_GUILD)
    assert (elsewhere.reviews, elsewhere.correct, elsewhere.xp) == (2, 2, 60)
    never = await server_stats(db, ALICE, 4242)
    assert (never.reviews, never.xp, never.accuracy) == (0, 0, None)
    # Her own stats still cover everything.
    assert (await learner_stats(db, ALICE, NOW)).reviews == 5

    days = await server_activity_by_day(db, GUILD, ALICE, NOW)
    assert days[NOW.date()] == 1 and days[yesterday.date()] == 1
    assert sum(days.values()) == 2
    assert sum((await server_activity_by_day(db, OTHER_GUILD, ALICE, NOW)).values()) == 2


async def test_server_activity_days_are_utc_days(db: Database) -> None:
    # 23:30 UTC is already tomorrow in Kiritimati (UTC+14): the server view keeps UTC.
    late = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    await add_learner(db, ALICE, zone="Pacific/Kiritimati")
    await add_reviews(db, [Review(ALICE, at=late, guild_id=GUILD)])
    days = await server_activity_by_day(db, GUILD, ALICE, NOW)
    assert days[late.date()] == 1
    assert sum(days.values()) == 1
