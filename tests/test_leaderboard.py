"""The community leaderboard: rankings, ties, periods, deck filter, accuracy minimum, paging.

Every test runs on SQLite and on PostgreSQL (the ``store`` fixture behind ``env``).
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core.grading import Grade
from bot.core.leaderboard import (
    MIN_ACCURACY_REVIEWS,
    LeaderboardPage,
    LeaderboardRow,
    Metric,
    Period,
)
from bot.core.review import review_answer
from bot.core.scheduling import CardScheduler
from bot.core.streaks import StreakState
from bot.core.streaks import view as streak_view
from bot.core.timezones import local_date, parse_zone
from bot.storage import communities, learners, reviews
from bot.storage.reports.leaderboard import ranked_sql
from bot.storage.script import Script
from tests.review_rows import (
    GUILD,
    NOW,
    OTHER_GUILD,
    Env,
    Review,
    add_learner,
    add_reviews,
    person,
    query,
    server,
    set_state,
)


async def board(
    env: Env,
    metric: Metric = Metric.XP,
    period: Period = Period.WEEK,
    *,
    deck: str | None = None,
    page: int = 0,
    size: int = 10,
    viewer: int | None = None,
    now: datetime = NOW,
) -> LeaderboardPage:
    return await env.at(now).leaderboard(
        server(GUILD),
        period,
        metric,
        deck,
        page,
        viewer=None if viewer is None else person(viewer),
        page_size=size,
    )


async def rank(
    env: Env, period: Period, metric: Metric, deck: str | None, user: int
) -> LeaderboardRow | None:
    return await env.at(NOW).rank_of(server(GUILD), period, metric, deck, person(user))


def ranking(page: LeaderboardPage) -> list[tuple[int, int, int | float]]:
    return [(row.rank, int(row.learner.external_id), row.value) for row in page.rows]


def users(page: LeaderboardPage) -> list[int]:
    return [int(row.learner.external_id) for row in page.rows]


async def test_xp_ranks_with_competition_ties(env: Env) -> None:
    # user 4: 50 XP; users 1 and 2: 30 XP each (2 with more answers); user 3: 10 XP.
    await add_reviews(
        env.store,
        [
            Review(4, xp=50),
            Review(1, xp=30),
            Review(2, xp=15),
            Review(2, xp=15),
            Review(3, xp=10),
        ],
    )
    page = await board(env)
    assert ranking(page) == [(1, 4, 50), (2, 2, 30), (2, 1, 30), (4, 3, 10)]
    assert [row.reviews for row in page.rows] == [1, 2, 1, 1]
    assert page.total == 4
    assert page.pages == 1


async def test_only_this_servers_reviews_count(env: Env) -> None:
    await add_reviews(
        env.store,
        [
            Review(1, xp=10),
            Review(1, xp=500, guild_id=OTHER_GUILD),
            Review(2, xp=100, guild_id=OTHER_GUILD),
            Review(3, xp=100, guild_id=None),  # a DM session belongs to no server
        ],
    )
    page = await board(env)
    assert ranking(page) == [(1, 1, 10)]


@pytest.mark.parametrize(("period", "days"), [(Period.WEEK, 7), (Period.MONTH, 30)])
async def test_period_is_a_rolling_window_inclusive_at_its_start(
    env: Env, period: Period, days: int
) -> None:
    start = NOW - timedelta(days=days)
    assert period.start(NOW) == start
    await add_reviews(
        env.store,
        [
            Review(1, at=start + timedelta(seconds=1), xp=1),  # 1 s inside
            Review(2, at=start, xp=2),  # exactly at the start: inside
            Review(3, at=start - timedelta(seconds=1), xp=3),  # 1 s outside
            Review(4, at=NOW + timedelta(seconds=1), xp=4),  # after now: not yet
        ],
    )
    page = await board(env, period=period)
    assert set(users(page)) == {1, 2}
    # All time is everything logged so far (read from the running totals).
    everything = await board(env, period=Period.ALL)
    assert set(users(everything)) == {1, 2, 3, 4}
    assert Period.ALL.start(NOW) is None


async def test_week_does_not_depend_on_the_weekday(env: Env) -> None:
    # A rolling window, not a calendar week: a review stays on the board for exactly
    # 7 × 24 h, whichever weekday "now" falls on (no empty board on Mondays).
    reviewed = NOW - timedelta(days=10)
    await add_reviews(env.store, [Review(1, at=reviewed)])
    for days in range(7):
        page = await board(env, now=reviewed + timedelta(days=days, hours=23))
        assert page.total == 1, days
    assert (await board(env, now=reviewed + timedelta(days=7))).total == 1
    assert (await board(env, now=reviewed + timedelta(days=7, seconds=1))).total == 0


async def test_deck_filter(env: Env) -> None:
    await add_reviews(
        env.store,
        [
            Review(1, deck_id="alpha", xp=100),
            Review(2, deck_id="beta", xp=20),
            Review(1, deck_id="beta", xp=5),
        ],
    )
    beta = await board(env, deck="beta")
    assert ranking(beta) == [(1, 2, 20), (2, 1, 5)]
    assert beta.deck_id == "beta"
    assert ranking(await board(env, deck="alpha")) == [(1, 1, 100)]
    assert (await board(env, deck="gamma")).empty
    # Without the filter, both decks add up.
    assert ranking(await board(env)) == [(1, 1, 105), (2, 2, 20)]


async def test_accuracy_needs_a_minimum_of_answers_and_ties_equal_fractions(
    env: Env,
) -> None:
    assert MIN_ACCURACY_REVIEWS == 5
    reviews = [
        # user 1: 4/5 right; user 2: 8/10 right (the same 0.8); user 3: 5/5
        *[Review(1, correct=i < 4) for i in range(5)],
        *[Review(2, correct=i < 8) for i in range(10)],
        *[Review(3) for _ in range(5)],
        # user 4: 4/4 right, one answer short of being ranked
        *[Review(4) for _ in range(4)],
    ]
    await add_reviews(env.store, reviews)
    page = await board(env, Metric.ACCURACY, viewer=4)
    assert ranking(page) == [(1, 3, 1.0), (2, 2, 0.8), (2, 1, 0.8)]
    assert page.min_reviews == MIN_ACCURACY_REVIEWS
    assert page.viewer is None  # user 4 is not ranked yet
    assert await rank(env, Period.WEEK, Metric.ACCURACY, None, 4) is None
    # The minimum counts answers in the period only.
    later = await board(env, Metric.ACCURACY, now=NOW + timedelta(days=8))
    assert later.empty


async def test_streak_is_the_displayed_streak_of_learners_active_here(env: Env) -> None:
    today = NOW.date()
    await add_learner(env.store, 1, streak=9, freezes=0, last_active=today)
    await add_learner(env.store, 2, streak=20, freezes=0, last_active=today - timedelta(days=2))
    await add_learner(env.store, 3, streak=5, freezes=1, last_active=today - timedelta(days=2))
    await add_learner(env.store, 4, streak=50, last_active=today)  # active in another server only
    await add_learner(env.store, 5, streak=0, best=3, last_active=today - timedelta(days=10))
    await add_reviews(
        env.store,
        [
            Review(1, at=NOW - timedelta(days=1)),
            Review(2, at=NOW - timedelta(days=2)),
            Review(3, at=NOW - timedelta(days=2)),
            Review(4, guild_id=OTHER_GUILD),
            Review(5, at=NOW - timedelta(days=6)),
        ],
    )
    page = await board(env, Metric.STREAK)
    # 2 missed a day without a freeze: their stored 20 is shown as 0, as /quiz stats does.
    assert ranking(page) == [(1, 1, 9), (2, 3, 5), (3, 2, 0), (3, 5, 0)]


async def test_streak_uses_each_learners_own_today(env: Env) -> None:
    # 02:00 UTC on the 5th is still the 4th in New York.
    now = NOW.replace(day=5, hour=2)
    last = date(2026, 3, 3)
    await add_learner(env.store, 1, zone="America/New_York", streak=4, last_active=last)
    await add_learner(env.store, 2, zone="UTC", streak=4, last_active=last)
    await add_reviews(env.store, [Review(1, at=now - timedelta(days=1)), Review(2, at=now)])
    page = await board(env, Metric.STREAK, now=now)
    # New York: today is the 4th, yesterday counted, streak alive. UTC: the 4th was
    # missed with no freeze, so the streak is gone.
    assert ranking(page) == [(1, 1, 4), (2, 2, 0)]


async def test_streak_sql_agrees_with_streaks_view(env: Env) -> None:
    zones = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata"]
    expected: dict[int, int] = {}
    cases = itertools.product(zones, (0, 1, 7), (0, 1, 2), (None, -1, 0, 1, 2, 3, 4))
    for user, (zone, current, freezes, offset) in enumerate(cases, start=1):
        last = None if offset is None else NOW.date() - timedelta(days=offset)
        state = StreakState(current=current, best=current, freezes=freezes, last_active=last)
        await add_learner(
            env.store, user, zone=zone, streak=current, freezes=freezes, last_active=last
        )
        expected[user] = streak_view(state, local_date(NOW, parse_zone(zone))).current
    await add_reviews(env.store, [Review(u) for u in expected])
    page = await board(env, Metric.STREAK, size=len(expected))
    assert {int(row.learner.external_id): row.value for row in page.rows} == expected
    assert len(set(expected.values())) > 2  # the cases do exercise several outcomes


async def test_paging_and_clamping_past_the_end(env: Env) -> None:
    # 25 learners with distinct XP: user u has u XP, so rank = 26 - u.
    await add_reviews(env.store, [Review(u, xp=u) for u in range(1, 26)])
    first = await board(env, viewer=3)
    assert first.pages == 3
    assert users(first) == list(range(25, 15, -1))
    assert not first.has_previous
    assert first.has_next
    assert first.viewer is not None
    assert (first.viewer.rank, first.viewer.value) == (23, 3)
    assert first.rank_of(person(3)) == 23  # the viewer, though not on this page
    assert first.rank_of(person(25)) == 1

    last = await board(env, page=2)
    assert [row.rank for row in last.rows] == [21, 22, 23, 24, 25]
    assert (last.page, last.clamped, last.has_next) == (2, False, False)

    past = await board(env, page=7)
    assert (past.page, past.clamped) == (2, True)
    assert past.rows == last.rows

    before = await board(env, page=-1)
    assert (before.page, before.clamped) == (0, True)
    assert before.rows == first.rows


async def test_paging_keeps_a_tie_group_in_order_across_pages(env: Env) -> None:
    # 12 learners all tied: every row ranks 1, and the pages split them by user id.
    await add_reviews(env.store, [Review(u, xp=7) for u in range(1, 13)])
    first = await board(env, size=10)
    second = await board(env, page=1, size=10)
    assert {row.rank for row in (*first.rows, *second.rows)} == {1}
    assert users(first) + users(second) == list(range(1, 13))


@pytest.mark.parametrize("metric", list(Metric))
@pytest.mark.parametrize("period", list(Period))
async def test_empty_server(env: Env, metric: Metric, period: Period) -> None:
    await add_reviews(env.store, [Review(1, guild_id=OTHER_GUILD)])
    page = await board(env, metric, period, page=3, viewer=1)
    assert page.empty
    assert (page.rows, page.total, page.pages, page.page) == ((), 0, 1, 0)
    assert page.viewer is None
    assert not page.has_next
    assert not page.has_previous


async def test_rank_of_finds_the_caller_anywhere(env: Env) -> None:
    await add_reviews(env.store, [Review(u, xp=100 - u) for u in range(1, 40)])
    row = await rank(env, Period.ALL, Metric.XP, None, 33)
    assert row is not None
    assert (row.rank, row.learner, row.value, row.reviews) == (33, person(33), 67, 1)
    assert await rank(env, Period.ALL, Metric.XP, None, 999) is None


async def test_bad_page_size_is_refused(env: Env) -> None:
    with pytest.raises(ValueError, match="page_size"):
        await board(env, size=0)


# --- fixed cases for what the random board test (tests/test_fast_boards.py) also checks


@pytest.mark.parametrize("period", [Period.WEEK, Period.ALL])
async def test_a_viewer_tied_with_others_gets_the_shared_rank(env: Env, period: Period) -> None:
    # XP: user 1 50; users 2, 3 and 4 30 each; user 5 10. The tie ranks 2, 2, 2.
    await add_reviews(
        env.store, [Review(1, xp=50), *(Review(u, xp=30) for u in (2, 3, 4)), Review(5, xp=10)]
    )
    for user, expected in ((1, 1), (2, 2), (3, 2), (4, 2), (5, 5)):
        # Page size 1: the viewer is off the page, so their rank is counted, not read off.
        row = await rank(env, period, Metric.XP, None, user)
        assert row is not None and (row.learner, row.rank) == (person(user), expected)
        page = await board(env, Metric.XP, period, viewer=user, size=1, page=3)
        assert page.viewer is not None and page.viewer.rank == expected
    # A page that starts inside the tie starts at the tie's rank.
    assert ranking(await board(env, Metric.XP, period, size=2, page=1)) == [(2, 3, 30), (2, 4, 30)]


@pytest.mark.parametrize("deck", [None, "alpha"])
async def test_all_time_accuracy_needs_the_minimum_of_answers(env: Env, deck: str | None) -> None:
    # All time reads the running totals (not the log): the minimum must hold there too.
    long_ago = NOW - timedelta(days=400)
    reviews = [
        *[Review(1, at=long_ago) for _ in range(MIN_ACCURACY_REVIEWS - 1)],  # one short
        *[Review(2, at=long_ago, correct=i > 0) for i in range(MIN_ACCURACY_REVIEWS)],
        *[Review(3, at=long_ago, correct=i % 2 == 0) for i in range(MIN_ACCURACY_REVIEWS + 1)],
    ]
    await add_reviews(env.store, reviews)
    page = await board(env, Metric.ACCURACY, Period.ALL, deck=deck, viewer=1)
    assert ranking(page) == [(1, 2, 0.8), (2, 3, 0.5)]
    assert page.total == 2
    assert page.viewer is None
    assert await rank(env, Period.ALL, Metric.ACCURACY, deck, 1) is None


async def test_streak_board_agrees_with_the_python_rule_over_days_with_gaps(
    env: Env, scheduler: CardScheduler
) -> None:
    """The streak board's SQL reading of the stored streak (learners' alive_until),
    after real answers."""
    zone = parse_zone("Pacific/Kiritimati")  # UTC+14: its dates are a day ahead of UTC's
    first = date(2026, 3, 2)
    # Eight days earn a freeze; day 8 is missed (the freeze covers it); days 10 and 11
    # are missed with no freeze left (broken); two more days; then two breaks that
    # leave the streak at 1 as it was (only the last active date moves).
    active = [*range(8), 9, 12, 13, 16, 19]
    await add_learner(env.store, 1, zone=zone.key)
    seen: set[int] = set()
    for day in active:
        noon = datetime.combine(first + timedelta(days=day), time(12), tzinfo=zone)

        def answer(noon: datetime = noon, day: int = day) -> Script[StreakState]:
            at = noon.astimezone(UTC)
            learner = yield from learners.find(person(1))
            assert learner is not None
            community_id = yield from communities.ensure(server(GUILD))
            outcome = review_answer(
                scheduler,
                learner_id=learner.id,
                community_id=community_id,
                deck_id="alpha",
                card_id=f"card-{day}",
                kind="flashcard",
                grade=Grade.GOOD,
                correct=True,
                time_zone=learner.time_zone,
                streak=learner.streak,
                memory=None,
                now=at,
            )
            yield from reviews.record(outcome)
            return outcome.streak.state

        state = await env.store.write(answer())
        for later in range(4):  # the board on this day and the three after it
            now = (noon + timedelta(days=later)).astimezone(UTC)
            expected = streak_view(state, local_date(now, zone)).current
            [row] = (await board(env, Metric.STREAK, Period.ALL, now=now)).rows
            assert row.value == expected, (day, later, state)
            seen.add(expected)
    assert (state.current, state.best) == (1, 9)
    assert {0, 1, 2, 8, 9} <= seen  # growth, the freeze, the break and the restart


# Columns of the roll-ups that every graded answer changes (migration V11).
_MOVING = {
    "community_learners": {"reviews", "correct", "xp", "last_at"},
    "review_totals": {"reviews", "correct", "xp", "last_at"},
    "card_states": {"due"},
}


async def test_no_index_moves_with_every_answer_but_the_class_due_one(
    env: Env, backend: str
) -> None:
    """The boards read the roll-ups' primary-key ranges: no index keyed on a value an
    answer changes is left for each answer to move (V11 dropped five), except the
    class view's due index on card_states. The minimum is MIN_ACCURACY_REVIEWS."""
    if backend == "sqlite":
        found = await query(
            env.store,
            "SELECT m.name, m.tbl_name, i.name FROM sqlite_master m,"
            " pragma_index_xinfo(m.name) i WHERE m.type = 'index' AND i.key = 1",
        )
    else:
        found = await query(
            env.store,
            "SELECT i.relname, t.relname, a.attname FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()"
            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey)",
        )
    moving = sorted(
        {(index, column) for index, table, column in found if column in _MOVING.get(table, ())}
    )
    assert moving == [("card_states_community_due", "due")]
    assert ranked_sql() == f"reviews >= {MIN_ACCURACY_REVIEWS}"


async def test_a_streak_change_copies_nothing_and_the_board_reads_it(
    env: Env, backend: str
) -> None:
    """The streak boards read the streak, the zone and alive_until from learners (V11):
    no trigger copies them into each community_learners row of the learner (a look-up
    by learner in every learner's first answer of a day), and community_learners keeps
    no index by learner for one. A change the learner's row alone records shows."""
    if backend == "sqlite":
        triggers = await query(
            env.store,
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'learners'",
        )
        indexes = await query(
            env.store,
            "SELECT name FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = 'community_learners'",
        )
    else:
        triggers = await query(
            env.store,
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relname = 'learners' AND NOT t.tgisinternal",
        )
        indexes = await query(
            env.store,
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = 'community_learners' AND indexname <> 'community_learners_pkey'",
        )
    assert (triggers, indexes) == ([], [])
    await add_reviews(env.store, [Review(1), Review(2)])
    today = NOW.date()
    await set_state(env.store, 1, "Asia/Kolkata", StreakState(3, 3, 0, today))
    page = await board(env, Metric.STREAK, Period.ALL)
    assert ranking(page) == [(1, 1, 3), (2, 2, 0)]
