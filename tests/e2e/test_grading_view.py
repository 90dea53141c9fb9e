"""/quiz-admin grading: an explain card's latest answers in this server, with the
concepts found in each and the phrase that earned each (the real bot, fake Discord)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.learner import Identity, Platform
from bot.core.session import SessionKind
from bot.decks import ExplainCard
from bot.decks.importers import import_deck
from bot.services.study import Where
from cogs.admin import find_explain_card, grading_pages
from tests.e2e.harness import Recall, ephemeral_text
from tests.fakediscord.models import FakeMessage, FakeUser

CARD = "django-wsgi-asgi/explain-differences"
GOOD = (
    "WSGI is synchronous and handles one request at a time per worker. "
    "ASGI is asynchronous, so it supports websockets and long-lived connections."
)
SWAPPED = "WSGI is asynchronous. It is not about websockets."
HOSTILE = "@everyone <@123456789012345678> **bold** the concurrency model uses an event loop."


async def explain(recall: Recall, user: FakeUser, text: str, guild: str | None = None) -> None:
    """Answer the card explain-differences in a session of its own (in the hall, or in
    the community ``guild``) through the real service."""
    study = recall.running.study
    who = Identity(Platform.DISCORD, str(user.id))
    place = Identity(Platform.DISCORD, guild or str(recall.hall.guild.id))
    view = await study.start(
        who, Where(place, None), kind=SessionKind.EXPLAIN, count=2, deck_id="django-wsgi-asgi"
    )
    for step in range(2):
        card = view.card
        assert isinstance(card, ExplainCard)
        if card.id == "explain-differences":
            await study.answer_explain(who, view.session.id, step, text)
            await study.stop(who, view.session.id, step)
            return
        await study.answer_explain(who, view.session.id, step, "Skipping this one, it is hard.")
        view = await study.next(who, view.session.id, step)
    raise AssertionError("the session had no explain-differences card")


async def replies(recall: Recall, user: FakeUser, card: str = CARD) -> list[FakeMessage]:
    """Every message of the reply: the first replaces the "thinking" placeholder, the
    rest are followups (as many as the reply has pages)."""
    interaction = await recall.fake.slash(user, "quiz-admin grading", {"card": card})
    first = await interaction.wait_done()
    assert first is not None and first.ephemeral
    deck, _slash, card_id = card.rpartition("/")
    report = await recall.running.reports.card_answers(
        Identity(Platform.DISCORD, str(recall.hall.guild.id)), deck or "django-wsgi-asgi", card_id
    )
    assert report is not None
    pages = len(grading_pages(report))
    if pages > 1:
        await interaction.wait_followup(pages - 2)
    return [first, *interaction.followups]


async def test_a_moderator_sees_each_answer_with_its_concepts(recall: Recall) -> None:
    hall = recall.hall
    await explain(recall, hall.learner, GOOD)
    recall.clock.advance(timedelta(minutes=5))
    await explain(recall, hall.learner2, SWAPPED)
    recall.clock.advance(timedelta(minutes=5))
    await explain(recall, hall.learner, HOSTILE)
    # Another server's answer never shows here.
    await explain(recall, hall.learner2, "ELSEWHERE: ASGI is asynchronous.", guild="424242")

    pages = await replies(recall, hall.moderator)
    text = "\n".join(m.content for m in pages)
    print(text)  # the reply, for the report (pytest -s)
    assert all(len(m.content) <= 2000 for m in pages)
    assert "ELSEWHERE" not in text
    header, *answers = text.split("\n\n")
    assert header.startswith("**`explain-differences`** (WSGI vs ASGI in Django)")
    assert "The last 3 answers here" in header
    assert "synchronous vs asynchronous 1/3" in header
    newest, swapped, good = answers
    # Newest first; the learner is named, and every concept is listed.
    assert newest.startswith(f"**1/5** · <@{hall.learner.id}>")
    assert swapped.startswith(f"**0/5** · <@{hall.learner2.id}>")
    assert good.startswith(f"**4/5** · <@{hall.learner.id}>")
    good_lines = good.splitlines()
    assert (
        "✓ synchronous vs asynchronous: “WSGI is synchronous” (`wsgi + synchronous`)" in good_lines
    )
    assert any(line.startswith("✓ long-lived connections: “") for line in good_lines)
    # The swapped statement and the negated one earn nothing, and the reply says why.
    assert (
        "✗ synchronous vs asynchronous: a keyword is there, the concept's rule not met" in swapped
    )
    assert "✗ protocols beyond HTTP: a keyword is there, negated" in swapped
    # The hostile answer is shown inert: no mention, no markdown, no ping.
    assert "@everyone" not in newest.replace("@\u200beveryone", "")
    assert "<@123456789012345678>" not in newest
    assert "\\*\\*bold\\*\\*" in newest
    for message in pages:
        assert message.ephemeral
        assert message.allowed_mentions is not None
        assert message.allowed_mentions.get("parse") == []


async def test_a_learner_is_refused_even_with_an_override(recall: Recall) -> None:
    hall = recall.hall
    await explain(recall, hall.learner, GOOD)
    with pytest.raises(PermissionError):
        await recall.fake.slash(hall.learner, "quiz-admin grading", {"card": CARD})
    recall.fake.allow_command(hall.guild, "quiz-admin", hall.learner)
    refused = await recall.slash(hall.learner, "quiz-admin grading", {"card": CARD})
    words = ephemeral_text(refused)
    assert "for moderators" in words
    assert "synchronous" not in words


async def test_another_servers_answers_are_not_shown(recall: Recall) -> None:
    await explain(recall, recall.hall.learner, GOOD, guild="424242")
    [page] = await replies(recall, recall.hall.moderator, "explain-differences")
    assert "No answers to this card in this server yet." in page.content
    assert "WSGI is synchronous" not in page.content


async def test_unknown_cards_and_the_autocomplete(recall: Recall) -> None:
    hall = recall.hall
    refused = await recall.slash(hall.moderator, "quiz-admin grading", {"card": "wsgi-meaning"})
    assert "There is no explain card 'wsgi-meaning'" in ephemeral_text(refused)
    choices = await recall.fake.autocomplete(
        hall.moderator, "quiz-admin grading", {"card": "why"}, focused="card"
    )
    assert [c["value"] for c in choices] == ["django-wsgi-asgi/why-choose-asgi"]
    every = await recall.fake.autocomplete(
        hall.moderator, "quiz-admin grading", {"card": ""}, focused="card"
    )
    assert {c["value"] for c in every} == {CARD, "django-wsgi-asgi/why-choose-asgi"}


UPLOADED_DECK = """\
id: plants
title: Plants
cards:
  - id: leaf-light
    type: explain
    level: beginner
    prompt: What does a leaf use light for?
    model_answer: A leaf uses light to make sugar.
    concepts:
      - name: making sugar
        keywords: [sugar, glucose]
"""


async def test_an_uploaded_explain_card_is_graded_in_its_server_only(recall: Recall) -> None:
    hall = recall.hall
    here = Identity(Platform.DISCORD, str(hall.guild.id))
    other = Identity(Platform.DISCORD, "424242")
    result = import_deck("plants.yaml", UPLOADED_DECK.encode())
    assert result.ok, [str(p) for p in result.problems]
    saved = await recall.running.deck_admin.upload(
        here, Identity(Platform.DISCORD, str(hall.moderator.id)), result, replace=False
    )
    # The autocomplete offers it here, by its plain id (never the key).
    choices = await recall.fake.autocomplete(
        hall.moderator, "quiz-admin grading", {"card": "leaf"}, focused="card"
    )
    assert [c["value"] for c in choices] == ["plants/leaf-light"]
    assert saved.deck.key not in {c["value"].partition("/")[0] for c in choices}

    who = Identity(Platform.DISCORD, str(hall.learner.id))
    study = recall.running.study
    view = await study.start(who, Where(here, None), deck_id="plants", kind=SessionKind.EXPLAIN)
    await study.answer_explain(who, view.session.id, 0, "The leaf uses light to make sugar.")

    [page] = await replies(recall, hall.moderator, "plants/leaf-light")
    assert "The leaf uses light to make sugar." in page.content
    assert "making sugar" in page.content
    # By its card id alone too (one deck here has it).
    by_id = await recall.fake.slash(hall.moderator, "quiz-admin grading", {"card": "leaf-light"})
    reply = await by_id.wait_done()
    assert reply is not None and "The leaf uses light to make sugar." in reply.content
    # Another server sees neither the card nor its answers.
    assert find_explain_card(recall.running.catalog, other, "plants/leaf-light") is None
    assert find_explain_card(recall.running.catalog, other, "leaf-light") is None
    assert await recall.running.reports.card_answers(other, "plants", "leaf-light") is None
    assert await recall.running.reports.card_answers(other, saved.deck.key, "leaf-light") is None
