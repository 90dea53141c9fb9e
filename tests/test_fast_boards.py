"""The trigger-kept roll-ups against plain computations over the review log, on both
backends.

Random logs (hypothesis) go through the real schema; every leaderboard page, the class
view and the stats reply must then equal a naive reference computed in Python from
the same rows, and every roll-up table must equal its recomputation from the log.
Rolling windows are probed at instants chosen to put review times exactly on, just
inside and just outside their edges and on UTC day and hour boundaries.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.clock import FakeClock
from bot.core.leaderboard import MIN_ACCURACY_REVIEWS, Metric, Period
from bot.core.reports import HARDEST_LIMIT, MIN_ATTEMPTS, grid_start
from bot.core.streaks import StreakState
from bot.core.streaks import view as streak_view
from bot.core.timezones import local_date, parse_zone
from bot.services.reports import ReportService
from bot.storage import DatabaseURL, open_store
from bot.storage.codec import to_epoch
from bot.storage.rollups import DAY_SECONDS, split
from tests.review_rows import (
    GUILD,
    NOW,
    OTHER_GUILD,
    Env,
    Review,
    add_learner,
    add_reviews,
    forget,
    person,
    query,
    rollups_match_the_log,
    run,
    server,
    set_state,
    small_library,
)

LIBRARY = small_library()
USERS = range(1, 7)
ZONES = ("UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati", "Pacific/Pago_Pago")
CONCEPTS = ("sync vs async", "websockets", "servers")


@dataclass(frozen=True)
class LearnerRow:
    user_id: int
    zone: str
    streak: int
    freezes: int
    last_offset: int | None  # days before NOW's UTC date, None = never active


# Review times cluster around NOW and the window edges, so edges are hit often.
_EDGES = (0, 7 * DAY_SECONDS, 30 * DAY_SECONDS, 84 * DAY_SECONDS)
offsets = st.one_of(
    st.integers(-2 * DAY_SECONDS, 90 * DAY_SECONDS),
    st.sampled_from(_EDGES).flatmap(lambda e: st.integers(e - 2, e + 2)),
)

reviews_strategy = st.lists(
    st.builds(
        lambda user, guild, card, correct, xp, back, missed: Review(
            user,
            at=NOW - timedelta(seconds=back),
            guild_id=guild,
            deck_id=card[0],
            card_id=card[1],
            correct=correct,
            xp=xp,
            kind="explain" if card[0] == "beta" else "flashcard",
            missed=missed if card[0] == "beta" else None,
        ),
        st.sampled_from(USERS),
        st.sampled_from((GUILD, GUILD, OTHER_GUILD, None)),
        st.sampled_from((("alpha", "a1"), ("alpha", "a2"), ("alpha", "gone"), ("beta", "b1"))),
        st.booleans(),
        st.sampled_from((0, 2, 5, 10)),
        offsets,
        st.one_of(st.none(), st.lists(st.sampled_from(CONCEPTS), max_size=3).map(tuple)),
    ),
    max_size=40,
)

learners_strategy = st.lists(
    st.builds(
        LearnerRow,
        st.sampled_from(USERS),
        st.sampled_from(ZONES),
        st.integers(0, 9),
        st.integers(0, 2),
        st.one_of(st.none(), st.integers(-1, 5)),
    ),
    unique_by=lambda row: row.user_id,
)

# The instant the views are computed at: NOW itself or moved onto an edge.
nows = st.sampled_from((0, 1, -1, 2)).map(lambda s: NOW + timedelta(seconds=s))


def in_guild(reviews: list[Review], guild: int, deck: str | None) -> list[Review]:
    return [r for r in reviews if r.guild_id == guild and (deck is None or r.deck_id == deck)]


def naive_board(
    reviews: list[Review],
    states: dict[int, tuple[str, StreakState]],
    period: Period,
    metric: Metric,
    deck: str | None,
    now: datetime,
) -> list[tuple[int, int, int | float, int]]:
    """(rank, user, value, answers) for the whole board, straight from the module rules."""
    start = period.start(now)
    rows = [
        r
        for r in in_guild(reviews, GUILD, deck)
        if r.at <= now and (start is None or r.at >= start)
    ]
    if period is Period.ALL:
        rows = in_guild(reviews, GUILD, deck)  # all time is everything logged
    answers: Counter[int] = Counter(r.user_id for r in rows)
    right: Counter[int] = Counter(r.user_id for r in rows if r.correct)
    xp: Counter[int] = Counter()
    for r in rows:
        xp[r.user_id] += r.xp
    scored: list[tuple[int, int | float, int]] = []
    for user, n in answers.items():
        if metric is Metric.ACCURACY:
            if n < MIN_ACCURACY_REVIEWS:
                continue
            value: int | float = right[user] / n
        elif metric is Metric.XP:
            value = xp[user]
        else:
            zone, state = states.get(user, ("UTC", StreakState()))
            value = streak_view(state, local_date(now, parse_zone(zone))).current
        scored.append((user, value, n))
    scored.sort(key=lambda s: (-s[1], -s[2], s[0]))
    return [
        (1 + sum(1 for other in scored if other[1] > value), user, value, n)
        for user, value, n in scored
    ]


async def check_everything(
    reports: ReportService,
    reviews: list[Review],
    states: dict[int, tuple[str, StreakState]],
    now: datetime,
) -> None:
    assert isinstance(reports.clock, FakeClock)
    reports.clock.set(now)
    here = server(GUILD)
    for period in Period:
        for metric in Metric:
            for deck in (None, "alpha"):
                expected = naive_board(reviews, states, period, metric, deck, now)
                for viewer in (1, 4):
                    page = await reports.leaderboard(
                        here, period, metric, deck, 0, viewer=person(viewer), page_size=50
                    )
                    got = [(r.rank, uid(r.learner), r.value, r.reviews) for r in page.rows]
                    assert got == expected, (period, metric, deck)
                    mine = [row for row in expected if row[1] == viewer]
                    assert [
                        (v.rank, uid(v.learner), v.value, v.reviews) for v in [page.viewer] if v
                    ] == mine
                # Page by page too: the rank of each page's first row is a count.
                paged: list[tuple[int, int, int | float, int]] = []
                for number in range(3):
                    page = await reports.leaderboard(
                        here, period, metric, deck, number, page_size=2
                    )
                    if page.clamped:
                        break
                    paged += [(r.rank, uid(r.learner), r.value, r.reviews) for r in page.rows]
                assert paged == expected[:6]

    for deck in (None, "alpha", "beta"):
        view = await reports.class_progress(here, deck)
        logged = in_guild(reviews, GUILD, deck)
        for days, active, count in (
            (7, view.active_7d, view.reviews_7d),
            (30, view.active_30d, view.reviews_30d),
        ):
            window = [r for r in logged if now - timedelta(days=days) <= r.at <= now]
            assert (active, count) == (len({r.user_id for r in window}), len(window))
        assert (view.reviews, view.correct) == (len(logged), sum(r.correct for r in logged))
        per_card: Counter[tuple[str, str]] = Counter((r.deck_id, r.card_id) for r in logged)
        wrong: Counter[tuple[str, str]] = Counter(
            (r.deck_id, r.card_id) for r in logged if not r.correct
        )
        hardest = sorted(
            (
                (key, n, wrong[key])
                for key, n in per_card.items()
                if n >= MIN_ATTEMPTS and wrong[key] and LIBRARY.card(*key)
            ),
            key=lambda h: (-h[2] / h[1], -h[2], h[0]),
        )[:HARDEST_LIMIT]
        assert [((h.deck_id, h.card_id), h.attempts, h.wrong) for h in view.hardest] == hardest
        missed: Counter[tuple[str, str, str]] = Counter(
            (r.deck_id, r.card_id, concept)
            for r in logged
            if r.at <= now and r.missed
            for concept in r.missed
        )
        concepts = sorted(missed.items(), key=lambda m: (-m[1], m[0]))
        concepts = [m for m in concepts if LIBRARY.card(m[0][0], m[0][1])][:HARDEST_LIMIT]
        assert [
            ((m.deck_id, m.card_id, m.concept), m.missed, m.attempts) for m in view.missed_concepts
        ] == [(key, n, per_card[key[:2]]) for key, n in concepts]

    for user in USERS:
        stats = await reports.learner_stats(person(user))
        theirs = [r for r in reviews if r.user_id == user]
        assert (stats.reviews, stats.correct) == (len(theirs), sum(r.correct for r in theirs))
        zone = parse_zone(states.get(user, ("UTC", StreakState()))[0])
        today = local_date(now, zone)
        first = grid_start(today)
        expected_days = {first + timedelta(days=i): 0 for i in range((today - first).days + 1)}
        start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
        for r in theirs:
            if start <= r.at <= now:
                # The module's rule: the local date of the review's quarter hour.
                quarter = to_epoch(r.at) // 900 * 900
                day = local_date(datetime.fromtimestamp(quarter, zone), zone)
                if day in expected_days:
                    expected_days[day] += 1
        assert stats.activity == expected_days
        assert await reports.activity(person(user), zone) == expected_days


async def load(
    reports: ReportService, people: list[LearnerRow], reviews: list[Review]
) -> dict[int, tuple[str, StreakState]]:
    store = reports.store
    # Everyone exists first, in user order: the board's last tie-break is Recall's id,
    # which then follows the user numbers the reference sorts by.
    for user in USERS:
        await add_learner(store, user)
    states: dict[int, tuple[str, StreakState]] = {}
    for row in people:
        last = None if row.last_offset is None else NOW.date() - timedelta(days=row.last_offset)
        # Created with defaults; the real state comes after the first half of the log.
        await add_learner(store, row.user_id)
        states[row.user_id] = (
            row.zone,
            StreakState(current=row.streak, best=row.streak, freezes=row.freezes, last_active=last),
        )
    # Half the log before the streak changes and half after, so both the copy made when
    # a row is created and the one made when a learner changes are exercised.
    await add_reviews(store, reviews[::2])
    for user, (zone, state) in states.items():
        await set_state(store, user, zone, state)
    await add_reviews(store, reviews[1::2])
    return states


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # a new database per example, by the maker
    ],
)
@given(people=learners_strategy, reviews=reviews_strategy, now=nows)
def test_views_equal_a_naive_computation_over_the_log(
    fresh_databases: Callable[[], DatabaseURL],
    people: list[LearnerRow],
    reviews: list[Review],
    now: datetime,
) -> None:
    async def run_example() -> None:
        store = await open_store(fresh_databases())
        reports = ReportService(store, LIBRARY, FakeClock(NOW))
        try:
            states = await load(reports, people, reviews)
            await rollups_match_the_log(store)
            await check_everything(reports, reviews, states, now)
            # Forget-me: the learner leaves every roll-up, the rest still agree.
            if await forget(store, 1):
                rest = [r for r in reviews if r.user_id != 1]
                await rollups_match_the_log(store)
                await check_everything(reports, rest, {**states, 1: ("UTC", StreakState())}, now)
        finally:
            await store.close()

    asyncio.run(run_example())


def test_split_covers_every_second_once() -> None:
    for since in range(-5, 30):
        for until in range(since - 1, since + 40):
            parts = split(since, until, 7)
            seconds = list(range(parts.since, parts.head_end + 1)) + list(
                range(parts.tail_start, parts.until + 1)
            )
            seconds += [
                s
                for b in range(parts.first_bucket, parts.end_bucket)
                for s in range(b * 7, b * 7 + 7)
            ]
            assert sorted(seconds) == list(range(since, until + 1)), (since, until)
    with pytest.raises(ValueError, match="width"):
        split(0, 1, 0)


async def test_single_review_deletes_keep_the_boards_right(env: Env) -> None:
    # The log is append-only, but like V3's totals these follow a deleted row.
    await add_reviews(
        env.store,
        [
            Review(1, xp=5),
            Review(1, xp=7, correct=False, deck_id="beta", card_id="b1", missed=("servers",)),
            Review(2, guild_id=None),
        ],
    )
    await run(env.store, "DELETE FROM reviews WHERE xp = 7")
    await rollups_match_the_log(env.store)
    assert await query(env.store, "SELECT * FROM concept_totals") == []


def uid(identity: object) -> int:
    return int(identity.external_id)  # type: ignore[attr-defined]


def test_day_of_quarters_match_local_date() -> None:
    # activity_by_day's shortcut (datetime.fromtimestamp in the zone) is local_date.
    zone = parse_zone("Asia/Kathmandu")
    for quarter in range(0, 96 * 3):
        instant = NOW + timedelta(minutes=15 * quarter)
        assert datetime.fromtimestamp(to_epoch(instant), zone).date() == local_date(instant, zone)
    assert isinstance(NOW.date(), date)
