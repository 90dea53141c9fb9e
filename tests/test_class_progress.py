"""The class view: activity windows, totals, hardest cards and missed concepts (both backends)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.reports import EXCERPT_CHARS, HARDEST_LIMIT, MIN_ATTEMPTS, ClassProgress
from bot.services.reports import card_excerpt
from tests.review_rows import (
    GUILD,
    OTHER_GUILD,
    Env,
    Review,
    add_reviews,
    server,
    small_library,
)

LIBRARY = small_library()


async def class_progress(env: Env, deck: str | None = None) -> ClassProgress:
    return await env.reports.class_progress(server(GUILD), deck)


async def test_empty_server(env: Env) -> None:
    await add_reviews(env.store, [Review(1, guild_id=OTHER_GUILD)])
    view = await class_progress(env)
    assert view.empty
    assert (view.active_7d, view.active_30d, view.reviews_7d, view.reviews_30d) == (0, 0, 0, 0)
    assert (view.reviews, view.correct, view.accuracy) == (0, 0, None)
    assert view.hardest == ()
    assert view.missed_concepts == ()


async def test_active_learners_and_reviews_by_window(env: Env) -> None:
    now = env.clock()
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    await add_reviews(
        env.store,
        [
            Review(1, at=week + timedelta(seconds=1)),
            Review(1, at=now, correct=False),
            Review(2, at=week - timedelta(seconds=1)),  # in the month, not the week
            Review(3, at=month),  # the first second of the month window
            Review(4, at=month - timedelta(seconds=1), correct=False),  # all time only
            Review(5, guild_id=OTHER_GUILD),
        ],
    )
    view = await class_progress(env)
    assert (view.active_7d, view.reviews_7d) == (1, 2)
    assert (view.active_30d, view.reviews_30d) == (3, 4)
    assert (view.reviews, view.correct) == (5, 3)
    assert view.accuracy == 3 / 5


async def test_hardest_cards_by_wrong_rate_with_a_minimum_of_attempts(env: Env) -> None:
    def answers(card: str, wrong: int, right: int, deck: str = "alpha") -> list[Review]:
        return [
            Review(100 + i, deck_id=deck, card_id=card, correct=i >= wrong)
            for i in range(wrong + right)
        ]

    await add_reviews(
        env.store,
        [
            *answers("a1", wrong=3, right=2),  # 60 %
            *answers("a2", wrong=6, right=4),  # 60 %, more wrong answers: first of the tie
            *answers("a3", wrong=4, right=0),  # 100 % but only 4 attempts: not listed
            *answers("a4", wrong=1, right=9),  # 10 %
            *answers("a-long", wrong=0, right=5),  # never wrong: not hard
            *answers("gone", wrong=5, right=0),  # no longer in the deck
            *answers("b1", wrong=4, right=1, deck="beta"),  # 80 %
        ],
    )
    view = await class_progress(env)
    assert MIN_ATTEMPTS == 5
    assert [(h.deck_id, h.card_id, h.wrong, h.attempts) for h in view.hardest] == [
        ("beta", "b1", 4, 5),
        ("alpha", "a2", 6, 10),
        ("alpha", "a1", 3, 5),
        ("alpha", "a4", 1, 10),
    ]
    top = view.hardest[0]
    assert (top.deck_title, top.excerpt, top.wrong_rate) == (
        "Beta deck",
        "Explain WSGI and ASGI.",
        0.8,
    )
    # Totals still include every answer, even to cards that left the deck.
    assert view.reviews == 5 + 10 + 4 + 10 + 5 + 5 + 5

    alpha_only = await class_progress(env, "alpha")
    assert [h.card_id for h in alpha_only.hardest] == ["a2", "a1", "a4"]
    assert alpha_only.reviews == 5 + 10 + 4 + 10 + 5 + 5


async def test_hardest_lists_at_most_five(env: Env) -> None:
    await add_reviews(
        env.store,
        [
            Review(u, deck_id=deck, card_id=card, correct=u % 2 == 0)
            for deck, card in [("alpha", f"a{i}") for i in range(1, 5)]
            + [("alpha", "a-long"), ("beta", "b1")]
            for u in range(6)
        ],
    )
    view = await class_progress(env)
    assert len(view.hardest) == HARDEST_LIMIT


async def test_missed_concepts_are_aggregated_with_rates(env: Env) -> None:
    def explain(user: int, **fields: Any) -> Review:
        return Review(user, deck_id="beta", card_id="b1", kind="explain", **fields)

    await add_reviews(
        env.store,
        [
            explain(1, missed=("websockets", "servers"), correct=False),
            explain(2, missed=("websockets",)),
            explain(3, missed=("websockets", "servers"), correct=False),
            explain(4, missed=()),
            explain(5, raw_missed="not json ["),  # a corrupt row is skipped
            explain(6, missed=("websockets",), guild_id=OTHER_GUILD),
        ],
    )
    view = await class_progress(env)
    assert [(m.concept, m.missed, m.attempts) for m in view.missed_concepts] == [
        ("websockets", 3, 5),
        ("servers", 2, 5),
    ]
    assert view.missed_concepts[0].miss_rate == 3 / 5
    assert view.missed_concepts[0].deck_title == "Beta deck"
    assert (await class_progress(env, "alpha")).missed_concepts == ()


def test_card_excerpt_is_one_line_and_cut() -> None:
    card = LIBRARY.card("alpha", "a-long")
    assert card is not None
    excerpt = card_excerpt(card)
    assert excerpt.startswith("Which interface is async? padding")
    assert "\n" not in excerpt
    assert len(excerpt) == EXCERPT_CHARS
    assert excerpt.endswith("…")
    short = LIBRARY.card("alpha", "a1")
    assert short is not None
    assert card_excerpt(short) == "Alpha question 1?"
