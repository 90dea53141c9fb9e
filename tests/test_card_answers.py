"""Explain answers' texts: stored with their review, read back per card and community,
graded again by the card's concepts, gone with forget-me (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.clock import FakeClock
from bot.core.grading import MAX_ANSWER_CHARS, grade_explain
from bot.core.learner import Identity, Platform
from bot.core.reports import ANSWERS_SHOWN, CardAnswers, GradedAnswer
from bot.core.session import SessionKind
from bot.decks import DeckLibrary, ExplainCard
from bot.services.learners import LearnerService
from bot.services.reports import ReportService
from bot.services.study import StudyService, Where
from bot.storage import Store
from cogs.admin import MESSAGE_MAX, grading_pages
from tests.review_rows import query

DECK = "django-wsgi-asgi"
CARD = "explain-differences"
HERE = Identity(Platform.DISCORD, "1001")
THERE = Identity(Platform.DISCORD, "2002")


def person(n: int) -> Identity:
    return Identity(Platform.DISCORD, str(n))


async def answer(study: StudyService, who: Identity, text: str, where: Identity | None) -> None:
    """Answer the card explain-differences (and skip the other explain card)."""
    view = await study.start(
        who, Where(where, None), kind=SessionKind.EXPLAIN, count=2, deck_id=DECK
    )
    for step in range(2):
        card = view.card
        assert isinstance(card, ExplainCard)
        if card.id == CARD:
            await study.answer_explain(who, view.session.id, step, text)
            await study.stop(who, view.session.id, step)
            return
        await study.answer_explain(who, view.session.id, step, "I would rather not say.")
        view = await study.next(who, view.session.id, step)
    raise AssertionError("no explain-differences card in the session")


async def test_answers_are_kept_per_community_newest_first_and_graded_now(
    store: Store, study: StudyService, library: DeckLibrary, clock: FakeClock
) -> None:
    reports = ReportService(store, library, clock)
    await answer(study, person(1), "WSGI is synchronous, one request at a time.", HERE)
    clock.advance(timedelta(minutes=1))
    await answer(study, person(2), "ASGI is asynchronous and supports websockets.", HERE)
    clock.advance(timedelta(minutes=1))
    await answer(study, person(3), "Elsewhere: WSGI is synchronous.", THERE)
    await answer(study, person(3), "In a DM: WSGI is synchronous.", None)
    seen = await reports.card_answers(HERE, DECK, CARD)
    assert seen is not None
    assert [a.learner for a in seen.answers] == [person(2), person(1)]
    assert [a.text for a in seen.answers] == [
        "ASGI is asynchronous and supports websockets.",
        "WSGI is synchronous, one request at a time.",
    ]
    newest, _oldest = seen.answers
    covered = {r.name for r in newest.grade.results if r.covered}
    assert covered == {"synchronous vs asynchronous", "protocols beyond HTTP"}
    sync = newest.grade.results[0]
    assert sync.start is not None and sync.end is not None
    assert newest.text[sync.start : sync.end] == "ASGI is asynchronous"
    assert seen.covered_by("synchronous vs asynchronous") == 2
    assert seen.covered_by("protocols beyond HTTP") == 1
    assert [a.text for a in (await reports.card_answers(THERE, DECK, CARD) or seen).answers] == [
        "Elsewhere: WSGI is synchronous."
    ]
    # The other explain card has answers of its own (none here); an unknown card is None.
    other = await reports.card_answers(HERE, DECK, "why-choose-asgi")
    assert other is not None and other.answers == ()
    assert await reports.card_answers(HERE, DECK, "wsgi-meaning") is None  # a flashcard
    assert await reports.card_answers(HERE, "no-such-deck", CARD) is None
    # Only explain answers keep a text.
    rows = await query(store, "SELECT kind, answer IS NOT NULL FROM reviews")
    assert {(kind, bool(has)) for kind, has in rows} == {("explain", True)}


async def test_a_long_answer_is_kept_to_the_graded_length_and_the_last_twenty(
    store: Store, study: StudyService, library: DeckLibrary, clock: FakeClock
) -> None:
    reports = ReportService(store, library, clock)
    long = "WSGI is synchronous. " + "padding words here " * 400
    await answer(study, person(1), long, HERE)
    [(kept,)] = await query(store, "SELECT answer FROM reviews WHERE card_id = ?", CARD)
    assert kept == long[:MAX_ANSWER_CHARS]
    for n in range(ANSWERS_SHOWN + 2):
        clock.advance(timedelta(seconds=10))
        await answer(study, person(10 + n), f"Answer number {n}: WSGI is synchronous.", HERE)
    seen = await reports.card_answers(HERE, DECK, CARD)
    assert seen is not None and len(seen.answers) == ANSWERS_SHOWN
    assert seen.answers[0].text.startswith(f"Answer number {ANSWERS_SHOWN + 1}:")


async def test_forget_me_deletes_the_learners_answer_texts(
    store: Store, study: StudyService, library: DeckLibrary, clock: FakeClock
) -> None:
    reports = ReportService(store, library, clock)
    await answer(study, person(1), "Mine: WSGI is synchronous.", HERE)
    await answer(study, person(2), "Theirs: ASGI is asynchronous.", HERE)
    assert await LearnerService(store, clock).forget(person(1))
    seen = await reports.card_answers(HERE, DECK, CARD)
    assert seen is not None and [a.text for a in seen.answers] == ["Theirs: ASGI is asynchronous."]
    texts = await query(store, "SELECT answer FROM reviews WHERE answer IS NOT NULL")
    assert all("Mine" not in t for (t,) in texts) and texts


def test_the_reply_is_paged_under_discords_limit_and_keeps_every_answer(
    library: DeckLibrary,
) -> None:
    card = library.card(DECK, CARD)
    assert isinstance(card, ExplainCard)
    text = "WSGI is synchronous <@&42> and ASGI is asynchronous with websockets. " * 60
    answers = tuple(
        GradedAnswer(
            person(n),
            datetime(2026, 3, 4, 12, n, tzinfo=UTC),
            f"{n}: {text}",
            grade_explain(text, card.concepts),
        )
        for n in range(ANSWERS_SHOWN)
    )
    report = CardAnswers(
        DECK, "Deck", CARD, card.prompt, tuple(c.name for c in card.concepts), answers
    )
    pages = grading_pages(report)
    assert len(pages) > 1
    assert all(len(page) <= MESSAGE_MAX for page in pages)
    joined = "\n".join(pages)
    for n in range(ANSWERS_SHOWN):
        assert f"> {n}: WSGI is synchronous" in joined
    assert "<@&42>" not in joined  # a role mention in an answer is broken, not sent
