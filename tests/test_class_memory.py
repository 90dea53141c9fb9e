"""What the class will remember (both backends): memory_totals kept by the triggers,
the class view's predicted recall, reviews coming due, the most overdue learners, and
the export's memory columns."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Card, Scheduler, State

from bot.core.clock import FakeClock
from bot.core.grading import Grade
from bot.core.memory import (
    AT_RISK_LIMIT,
    DAY_SECONDS,
    FORECAST_DAYS,
    CardMemoryFigures,
    class_recall,
    forecast_end,
)
from bot.core.memory import learner_memory as memory_of
from bot.core.reports import MEMORY_DECKS, NO_MEMORY
from bot.core.review import review_answer
from bot.core.scheduling import CardMemory, CardScheduler
from bot.core.streaks import StreakState
from bot.services.reports import ReportService
from bot.storage import (
    DatabaseURL,
    PostgresURL,
    SQLiteURL,
    card_states,
    communities,
    learners,
    open_store,
    reviews,
)
from bot.storage import schema as schema_module
from bot.storage.codec import to_epoch
from bot.storage.reports import memory
from bot.storage.script import Dialect, Script, execute_many, rows
from tests.review_rows import (
    GUILD,
    NOW,
    OTHER_GUILD,
    Env,
    Review,
    add_reviews,
    forget,
    person,
    query,
    server,
    small_library,
)

FSRS = Scheduler(enable_fuzzing=False)


def fsrs_recall(stability: float, last_review: datetime, now: datetime) -> float:
    card = Card(
        card_id=0, state=State.Review, stability=stability, difficulty=5.0, last_review=last_review
    )
    return float(FSRS.get_card_retrievability(card, now))


def _memory(stability: float, last: datetime, due: datetime) -> CardMemory:
    return CardMemory(
        state=int(State.Review),
        step=None,
        stability=stability,
        difficulty=5.0,
        due=due,
        last_review=last,
        reps=3,
    )


async def put(
    env: Env,
    user: int,
    card: str,
    stability: float,
    last: datetime,
    due: datetime,
    *,
    deck: str = "alpha",
    guild: int | None = GUILD,
) -> None:
    """Store learner ``user``'s memory of a card as studied in ``guild``."""

    def script() -> Script[None]:
        learner = yield from learners.ensure(person(user), NOW)
        place = None if guild is None else (yield from communities.ensure(server(guild)))
        yield from card_states.put(
            learner.id, deck, card, _memory(stability, last, due), community_id=place
        )

    await env.store.write(script())


def _band(stability: float) -> int:
    if stability < 0.01:
        return 0
    return 1 + math.floor(math.log(stability / 0.01) / math.log(1.25) + 1e-12)


def int_or_str(value: object) -> int | str:
    return value if isinstance(value, str) else int(value)  # type: ignore[call-overload]


async def totals_match_the_memories(env: Env) -> None:
    """memory_totals is what its definition makes of card_states now."""
    want: dict[tuple[int, str, int, int], list[float]] = {}
    for community, deck, last, stability in await query(
        env.store,
        "SELECT community_id, deck_id, last_review, stability FROM card_states"
        " WHERE community_id IS NOT NULL",
    ):
        key = (int(community), str(deck), int(last) // DAY_SECONDS, _band(float(stability)))
        want.setdefault(key, []).append(float(stability))
    got = {
        (int(c), str(d), int(day), int(b)): (int(n), float(inv))
        for c, d, day, b, n, inv in await query(
            env.store,
            "SELECT community_id, deck_id, review_day, band, cards, inverse_stability"
            " FROM memory_totals",
        )
    }
    assert set(got) == set(want)
    for key, stabilities in want.items():
        assert got[key][0] == len(stabilities)
        assert got[key][1] == pytest.approx(sum(1 / s for s in stabilities), rel=1e-9)
    due = await query(
        env.store,
        "SELECT community_id, deck_id, due / 86400, COUNT(*) FROM card_states"
        " WHERE community_id IS NOT NULL GROUP BY 1, 2, 3",
    )
    stored = await query(env.store, "SELECT community_id, deck_id, due_day, cards FROM due_totals")
    assert sorted(tuple(map(int_or_str, r)) for r in stored) == sorted(
        tuple(map(int_or_str, r)) for r in due
    )


async def test_triggers_keep_the_groups_through_inserts_updates_and_forget_me(env: Env) -> None:
    day = timedelta(days=1)
    await put(env, 1, "a1", 2.0, NOW - 3 * day, NOW - day)
    await put(env, 1, "a2", 2.1, NOW - 3 * day, NOW - day)  # same day and band as a1
    await put(env, 2, "a1", 40.0, NOW - 10 * day, NOW + 30 * day)
    await put(env, 2, "b1", 0.005, NOW - day, NOW, deck="beta")  # band 0
    await put(env, 3, "a1", 5.0, NOW - day, NOW + 4 * day, guild=OTHER_GUILD)
    await totals_match_the_memories(env)
    # A review moves the card to another day and band; one in a DM keeps the server.
    await put(env, 1, "a1", 9.0, NOW, NOW + 9 * day)
    await put(env, 2, "a1", 90.0, NOW, NOW + 90 * day, guild=None)
    await totals_match_the_memories(env)
    [(community,)] = await query(
        env.store,
        "SELECT c.external_id FROM card_states s JOIN communities c ON c.id = s.community_id"
        " JOIN learners l ON l.id = s.learner_id WHERE l.external_id = '2' AND s.card_id = 'a1'",
    )
    assert community == str(GUILD)
    # Studied again in another server: it moves there.
    await put(env, 1, "a2", 3.0, NOW, NOW + 3 * day, guild=OTHER_GUILD)
    await totals_match_the_memories(env)
    assert await forget(env.store, 1)
    await totals_match_the_memories(env)
    assert await forget(env.store, 2)
    assert await forget(env.store, 3)
    assert await query(env.store, "SELECT * FROM memory_totals") == []
    assert await query(env.store, "SELECT * FROM due_totals") == []


async def test_an_answer_stores_the_card_in_its_server(env: Env) -> None:
    scheduler = CardScheduler(fuzz=False)

    def answer(guild: int | None, at: datetime) -> Script[None]:
        learner = yield from learners.ensure(person(7), NOW)
        place = None if guild is None else (yield from communities.ensure(server(guild)))
        memory = yield from card_states.get(learner.id, "alpha", "a1")
        outcome = review_answer(
            scheduler,
            learner_id=learner.id,
            community_id=place,
            deck_id="alpha",
            card_id="a1",
            kind="flashcard",
            grade=Grade.GOOD,
            correct=True,
            time_zone="UTC",
            streak=StreakState(),
            memory=memory,
            now=at,
        )
        yield from reviews.record(outcome)

    await env.store.write(answer(GUILD, NOW - timedelta(days=5)))
    await env.store.write(answer(None, NOW - timedelta(days=1)))
    view = await env.reports.class_progress(server(GUILD), "alpha")
    [deck] = view.memory
    assert deck.cards == 1
    [(stability, last)] = await query(
        env.store, "SELECT stability, last_review FROM card_states WHERE card_id = 'a1'"
    )
    assert last == to_epoch(NOW - timedelta(days=1))  # the DM review's memory, counted here
    assert deck.recall == pytest.approx(
        fsrs_recall(stability, NOW - timedelta(days=1), NOW), abs=0.01
    )
    assert (await env.reports.class_progress(server(OTHER_GUILD), None)).memory == ()


async def test_the_class_view_of_a_deck(env: Env) -> None:
    rng = random.Random(4)
    cards: list[tuple[int, str, float, datetime, datetime]] = []
    for user in range(1, 41):
        for n in range(1, 5):
            stability = rng.uniform(0.5, 60)
            last = NOW - timedelta(seconds=rng.randrange(90 * DAY_SECONDS))
            due = last + timedelta(days=stability)
            cards.append((user, f"a{n}", stability, last, due))
            await put(env, user, f"a{n}", stability, last, due)
    # Another server's learner, more overdue than anyone here, is not in this view.
    await put(env, 99, "a1", 1.0, NOW - timedelta(days=400), NOW - timedelta(days=399),
              guild=OTHER_GUILD)  # fmt: skip
    await add_reviews(env.store, [Review(1)])
    view = await env.reports.class_progress(server(GUILD), "alpha")
    [deck] = view.memory
    assert (deck.deck_id, deck.deck_title, deck.cards) == ("alpha", "Alpha deck", 160)
    exact = sum(fsrs_recall(s, last, NOW) for _u, _c, s, last, _d in cards) / len(cards)
    assert deck.recall is not None and abs(deck.recall - exact) < 0.01
    assert deck.due_now == sum(1 for c in cards if c[4] <= NOW)
    midnight = NOW.replace(hour=0, minute=0)
    for k in range(FORECAST_DAYS):
        start, end = midnight + timedelta(days=k), midnight + timedelta(days=k + 1)
        assert deck.due_by_day[k] == sum(1 for c in cards if start <= c[4] < end and c[4] > NOW)
    assert deck.due_soon == sum(1 for c in cards if NOW < c[4] < forecast_end(NOW))
    # The most overdue learners: ordered by their earliest due card.
    earliest: dict[int, datetime] = {}
    for user, _c, _s, _l, due in cards:
        if due <= NOW:
            earliest[user] = min(earliest.get(user, due), due)
    ranked = sorted(earliest, key=lambda u: (earliest[u], u))[:AT_RISK_LIMIT]
    assert [r.learner for r in deck.at_risk] == [person(u) for u in ranked]
    for risky in deck.at_risk:
        mine = [
            CardMemoryFigures(s, last, due)
            for u, _c, s, last, due in cards
            if person(u) == risky.learner
        ]
        assert risky.memory == memory_of(mine, NOW)
        assert risky.memory.overdue_days == (NOW - earliest[int(risky.learner.external_id)]).days


async def test_every_deck_most_studied_first_and_a_small_class(env: Env) -> None:
    await put(env, 1, "a1", 3.0, NOW - timedelta(days=2), NOW + timedelta(days=1))
    await put(env, 1, "b1", 3.0, NOW - timedelta(days=2), NOW - timedelta(hours=1), deck="beta")
    await put(env, 2, "b1", 3.0, NOW - timedelta(days=9), NOW - timedelta(days=6), deck="beta")
    await put(env, 2, "gone", 3.0, NOW, NOW, deck="removed-deck")  # no deck to name
    await add_reviews(env.store, [Review(1)])
    view = await env.reports.class_progress(server(GUILD), None)
    assert [d.deck_id for d in view.memory] == ["beta", "alpha"]
    beta, alpha = view.memory
    assert [r.learner for r in beta.at_risk] == [person(2), person(1)]  # fewer than the limit
    assert (beta.due_now, beta.due_soon) == (2, 0)
    # Due tomorrow 12:00 UTC (NOW is noon): the second UTC day of the forecast.
    assert (alpha.due_now, alpha.due_by_day) == (0, (0, 1, 0, 0, 0, 0, 0))
    assert alpha.at_risk == ()
    assert len(view.memory) <= MEMORY_DECKS
    assert (await env.reports.class_progress(server(GUILD), "beta")).memory == (beta,)


async def test_the_overdue_walk_goes_past_one_learners_many_cards(env: Env) -> None:
    # Learner 1's 300 cards are all due before anyone else's: the walk reads past them.
    for n in range(300):
        await put(
            env, 1, f"c{n}", 1.0, NOW - timedelta(days=90), NOW - timedelta(days=80, minutes=n)
        )
    for user in (2, 3):
        await put(env, user, "a1", 1.0, NOW - timedelta(days=9), NOW - timedelta(days=user))
    view = await env.reports.class_progress(server(GUILD), "alpha")
    [deck] = view.memory
    assert [r.learner for r in deck.at_risk] == [person(1), person(3), person(2)]
    assert deck.at_risk[0].memory.due_now == 300


async def test_the_export_has_each_learners_memory_of_the_deck(env: Env) -> None:
    answers = [Review(1), Review(1, deck_id="beta", card_id="b1"), Review(2)]
    await add_reviews(env.store, [*answers, Review(3, guild_id=OTHER_GUILD)])
    mine = [
        (1, "a1", 4.0, NOW - timedelta(days=6), NOW - timedelta(days=2)),
        (1, "a2", 30.0, NOW - timedelta(days=3), NOW + timedelta(days=3)),
        (2, "a1", 2.0, NOW - timedelta(days=1), NOW + timedelta(days=1)),
    ]
    for user, card, stability, last, due in mine:
        await put(env, user, card, stability, last, due)
    await put(env, 3, "a1", 2.0, NOW, NOW, guild=OTHER_GUILD)
    rows = [row async for row in env.reports.export_rows(server(GUILD), batch_size=1)]
    by_key = {(r.learner, r.deck_id): r.memory for r in rows}
    assert set(by_key) == {(person(1), "alpha"), (person(1), "beta"), (person(2), "alpha")}
    for user in (1, 2):
        figures = [CardMemoryFigures(s, last, due) for u, _c, s, last, due in mine if u == user]
        assert by_key[(person(user), "alpha")] == memory_of(figures, NOW)
    assert by_key[(person(1), "alpha")].recall == pytest.approx(
        (fsrs_recall(4.0, NOW - timedelta(days=6), NOW)
         + fsrs_recall(30.0, NOW - timedelta(days=3), NOW)) / 2
    )  # fmt: skip
    assert by_key[(person(1), "beta")] == NO_MEMORY  # answered here, no memory stored


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseURL:
    """A new database of each backend, not migrated."""
    if request.param == "sqlite":
        return SQLiteURL(tmp_path / "recall.db")
    return PostgresURL(request.getfixturevalue("pg_url"))


async def test_the_migration_fills_the_memory_of_an_older_database(
    empty_url: DatabaseURL, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = schema_module.load_migrations
    mine = [m.name for m in real(Dialect.SQLITE)].index("memory_and_answers")
    monkeypatch.setattr(schema_module, "load_migrations", lambda d: real(d)[:mine])
    store = await open_store(empty_url)
    day = 86_400
    now = to_epoch(NOW)
    try:

        def fill() -> Script[None]:
            for user in (1, 2):
                yield from learners.ensure(person(user), NOW)
            for guild in (GUILD, OTHER_GUILD):
                yield from communities.ensure(server(guild))
            ids = {
                r["external_id"]: r["id"]
                for r in (yield from rows("SELECT id, external_id FROM communities"))
            }
            people = {
                r["external_id"]: r["id"]
                for r in (yield from rows("SELECT id, external_id FROM learners"))
            }
            # Learner 1 studied a1 in GUILD, then in OTHER_GUILD, then in a DM; a2 in a DM
            # only. Learner 2 studied a1 in GUILD.
            log = [
                ("1", "a1", ids[str(GUILD)], now - 9 * day),
                ("1", "a1", ids[str(OTHER_GUILD)], now - 5 * day),
                ("1", "a1", None, now - day),
                ("1", "a2", None, now - day),
                ("2", "a1", ids[str(GUILD)], now - 2 * day),
            ]
            yield from execute_many(
                "INSERT INTO reviews (learner_id, community_id, deck_id, card_id, kind, rating,"
                " correct, xp, was_due, reviewed_at) VALUES (?, ?, 'alpha', ?, 'flashcard',"
                " 3, 1, 5, 0, ?)",
                [(people[u], c, card, at) for u, card, c, at in log],
            )
            yield from execute_many(
                "INSERT INTO card_states (learner_id, deck_id, card_id, state, stability,"
                " difficulty, due, last_review) VALUES (?, 'alpha', ?, 2, ?, 5.0, ?, ?)",
                [
                    (people["1"], "a1", 3.0, now + day, now - day),
                    (people["1"], "a2", 3.0, now + day, now - day),
                    (people["2"], "a1", 12.0, now + 9 * day, now - 2 * day),
                ],
            )

        await store.write(fill())
    finally:
        await store.close()
    monkeypatch.undo()
    store = await open_store(empty_url)
    try:
        found = await store.read(
            rows(
                "SELECT l.external_id AS who, s.card_id, c.external_id AS place"
                " FROM card_states s JOIN learners l ON l.id = s.learner_id"
                " LEFT JOIN communities c ON c.id = s.community_id"
            )
        )
        assert {(r["who"], r["card_id"], r["place"]) for r in found} == {
            ("1", "a1", str(OTHER_GUILD)),  # the latest review in a community
            ("1", "a2", None),  # never studied in one
            ("2", "a1", str(GUILD)),
        }
        clock = FakeClock(NOW)
        view = ReportService(store, small_library(), clock)
        [here] = (await view.class_progress(server(GUILD), None)).memory
        [there] = (await view.class_progress(server(OTHER_GUILD), None)).memory
        assert (here.cards, there.cards) == (1, 1)
        assert here.recall == pytest.approx(
            fsrs_recall(12.0, NOW - timedelta(days=2), NOW), abs=0.01
        )
    finally:
        await store.close()


async def test_the_sql_mean_is_the_python_mean(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # bot.core.memory.class_recall and its copy in SQL, on the same groups.
    rng = random.Random(9)
    for user in range(1, 30):
        for n, deck in enumerate(("alpha", "beta", "alpha")):
            last = NOW - timedelta(seconds=rng.randrange(40 * DAY_SECONDS))
            stability = rng.lognormvariate(1.5, 1.2)
            await put(env, user, f"c{n}", stability, last, last + timedelta(days=stability),
                      deck=deck)  # fmt: skip
    [(community,)] = await query(
        env.store, "SELECT id FROM communities WHERE external_id = ?", str(GUILD)
    )
    for now in (NOW, NOW.replace(hour=0, minute=0), NOW.replace(hour=23, minute=59)):
        groups = await env.store.read(memory.memory_groups(int(community), None))
        in_sql = await env.store.read(memory.class_recalls(int(community), None, now))
        assert set(in_sql) == {"alpha", "beta"}
        for deck, (cards, recall) in in_sql.items():
            assert cards == sum(g.cards for g in groups[deck])
            assert recall == pytest.approx(class_recall(groups[deck], now), rel=1e-9)
        monkeypatch.setattr(memory, "SQLITE_HAS_POWER", False)
        if env.store.dialect is Dialect.SQLITE:
            in_python = await env.store.read(memory.class_recalls(int(community), None, now))
            assert in_python.keys() == in_sql.keys()
            for deck, (cards, recall) in in_python.items():
                assert cards == in_sql[deck][0]
                assert recall == pytest.approx(in_sql[deck][1], rel=1e-9)
        monkeypatch.undo()
    assert memory.SQLITE_HAS_POWER  # this machine's SQLite: the SQL path was tested
