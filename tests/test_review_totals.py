"""The roll-ups (each dialect's triggers): kept equal to the review log through inserts,
deletes and forget-me, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.storage import DatabaseURL, open_store
from tests.review_rows import (
    GUILD,
    NOW,
    OTHER_GUILD,
    Env,
    Review,
    add_reviews,
    forget,
    query,
    rollups_match_the_log,
    run,
)


async def totals(env: Env) -> list[tuple[object, ...]]:
    return await query(
        env.store,
        "SELECT c.external_id, l.external_id, t.deck_id, t.reviews, t.correct, t.xp"
        " FROM review_totals t JOIN communities c ON c.id = t.community_id"
        " JOIN learners l ON l.id = t.learner_id ORDER BY 1, 2, 3",
    )


async def cards(env: Env) -> list[tuple[object, ...]]:
    return await query(
        env.store,
        "SELECT c.external_id, t.deck_id, t.card_id, t.attempts, t.wrong FROM card_totals t"
        " JOIN communities c ON c.id = t.community_id ORDER BY 1, 2, 3",
    )


async def test_triggers_keep_totals_equal_to_the_log(env: Env) -> None:
    await add_reviews(
        env.store,
        [
            Review(1, xp=5, correct=False, card_id="a1"),
            Review(1, xp=7, card_id="a2"),
            Review(1, xp=1, deck_id="beta", card_id="b1", guild_id=OTHER_GUILD),
            Review(2, xp=3, card_id="a1"),
            Review(3, xp=100, guild_id=None),  # a DM answer belongs to no community
        ],
    )
    await rollups_match_the_log(env.store)
    assert await totals(env) == [
        (str(GUILD), "1", "alpha", 2, 1, 12),
        (str(GUILD), "2", "alpha", 1, 1, 3),
        (str(OTHER_GUILD), "1", "beta", 1, 1, 1),
    ]
    assert await cards(env) == [
        (str(GUILD), "alpha", "a1", 2, 1),
        (str(GUILD), "alpha", "a2", 1, 0),
        (str(OTHER_GUILD), "beta", "b1", 1, 0),
    ]


async def test_forgetting_a_learner_removes_their_totals(env: Env) -> None:
    await add_reviews(
        env.store,
        [
            Review(1, card_id="a1"),
            Review(1, deck_id="beta", card_id="b1", missed=("servers", "websockets")),
            Review(1, guild_id=None),
            Review(2, card_id="a1", correct=False),
            Review(2, deck_id="beta", card_id="b1", missed=("servers",)),
        ],
    )
    assert await forget(env.store, 1)
    assert {row[1] for row in await totals(env)} == {"2"}
    # Their answers no longer count towards the class's card figures either.
    assert await cards(env) == [
        (str(GUILD), "alpha", "a1", 1, 1),
        (str(GUILD), "beta", "b1", 1, 0),
    ]
    # Nor are they in any per-learner roll-up (the rows go with their reviews).
    for table in ("community_learners", "community_days"):
        users = await query(
            env.store,
            f"SELECT DISTINCT l.external_id FROM {table} t JOIN learners l ON l.id = t.learner_id",
        )
        assert users == [("2",)], table
    concepts = await query(env.store, "SELECT concept, missed FROM concept_totals")
    assert concepts == [("servers", 1)]
    await rollups_match_the_log(env.store)


# Random logs and random deletes: every roll-up must follow both, on both backends.
review_strategy = st.builds(
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
    st.integers(1, 4),
    st.sampled_from((GUILD, OTHER_GUILD, None)),
    st.sampled_from((("alpha", "a1"), ("alpha", "a2"), ("beta", "b1"))),
    st.booleans(),
    st.sampled_from((0, 3, 10)),
    st.integers(0, 3 * 86_400),
    st.one_of(st.none(), st.lists(st.sampled_from(("servers", "websockets", "sync")), max_size=3)),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.lists(review_strategy, min_size=1, max_size=8)),
        st.tuples(st.just("delete"), st.lists(st.integers(0, 40), min_size=1, max_size=5)),
        st.tuples(st.just("forget"), st.integers(1, 4)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=steps)
def test_rollups_follow_random_inserts_and_deletes(
    fresh_databases: Callable[[], DatabaseURL], plan: list[tuple[str, object]]
) -> None:
    async def run_plan() -> None:
        store = await open_store(fresh_databases())
        try:
            for action, arg in plan:
                if action == "insert":
                    assert isinstance(arg, list)
                    await add_reviews(store, arg)
                elif action == "delete":
                    assert isinstance(arg, list)
                    ids = [row[0] for row in await query(store, "SELECT id FROM reviews")]
                    for index in arg:
                        if ids:
                            await run(
                                store, "DELETE FROM reviews WHERE id = ?", ids[index % len(ids)]
                            )
                else:
                    assert isinstance(arg, int)
                    await forget(store, arg)
                await rollups_match_the_log(store)
        finally:
            await store.close()

    asyncio.run(run_plan())
