"""Session control and feedback through the real bot and the fake Discord: Stop, the
Resume / Start new question, Review missed, Start another, interval labels, the
first session's time zone tip and /quiz help."""

from __future__ import annotations

import asyncio

from bot.decks import McqCard
from tests.e2e.harness import (
    Recall,
    custom_id_of,
    embed,
    ephemeral_text,
    field_named,
    field_names,
    labels,
)
from tests.fakediscord.models import FakeMessage, FakeUser


async def _start(recall: Recall, user: FakeUser, **options: object) -> FakeMessage:
    reply = await recall.slash(user, "quiz start", dict(options))
    message = reply.message()
    assert message is not None and message.ephemeral
    return message


async def _session_message(recall: Recall, message: FakeMessage) -> bool:
    """Wait until the newest session records ``message`` as where it is shown.

    The bot records it right after its reply, so the reply can arrive first; this waits
    for a positive outcome (at most 5 s), it never sleeps to prove an absence.
    """
    async with asyncio.timeout(5):
        while True:
            row = await recall.sql_one("SELECT message FROM quiz_sessions ORDER BY id DESC")
            if row is not None and row["message"] == str(message.id):
                return True
            await asyncio.sleep(0.01)


async def _statuses(recall: Recall) -> list[str]:
    found = await recall.sql("SELECT status FROM quiz_sessions ORDER BY id")
    return [str(r["status"]) for r in found]


async def _wrong_mcq(recall: Recall, user: FakeUser, message: FakeMessage) -> None:
    """Click a wrong option on the multiple-choice card the message shows."""
    title = embed(message)["description"]
    deck = recall.running.decks.get("django-wsgi-asgi")
    assert deck is not None
    card = next(c for c in deck.cards if isinstance(c, McqCard) and c.question == title)
    assert isinstance(card, McqCard)
    wrong = (card.answer_index + 1) % len(card.options)
    option = card.options[wrong]
    await recall.click(user, message, f"{'ABCDE'[wrong]} · {option}")


# -- Stop ---------------------------------------------------------------------------------


async def test_stop_ends_the_session_with_its_summary(recall: Recall) -> None:
    alice = recall.hall.learner
    message = await _start(recall, alice, kind="mcq", count=3)
    assert labels(message)[-1] == "Stop"
    await _wrong_mcq(recall, alice, message)
    assert "Stop" in labels(message)  # on the answered card too
    await recall.click(alice, message, "Stop")
    summary = embed(message)
    assert summary["title"] == "Session stopped · 1 of 3 cards answered"
    assert field_named(message, "Score") == "0/1"
    assert field_names(message)[-1] == "Missed (1)"
    assert labels(message) == ["Review missed", "Start another"]
    assert await recall.review_count() == 1  # the answer stays
    assert await _statuses(recall) == ["finished"]


async def test_stop_by_someone_else_changes_nothing(recall: Recall) -> None:
    alice, bob = recall.hall.learner, recall.hall.learner2
    message = await _start(recall, alice, kind="flashcard", count=2)
    versions = len(message.versions)
    click = await recall.click(bob, message, "Stop")
    assert "not your quiz" in ephemeral_text(click)
    assert len(message.versions) == versions
    assert await _statuses(recall) == ["active"]


# -- Resume and Start new --------------------------------------------------------------


async def test_start_while_a_session_is_open_asks_privately(recall: Recall) -> None:
    alice = recall.hall.learner
    first = await _start(recall, alice, kind="flashcard", count=3)
    await recall.click(alice, first, "Reveal answer")
    await recall.click(alice, first, "Good")
    prompt = await _start(recall, alice, kind="mcq", count=2)
    assert embed(prompt)["title"] == "You have a quiz open"
    assert "card 2 of 3 · 1 card answered" in embed(prompt)["description"]
    assert labels(prompt) == ["Resume", "Start new"]
    assert await _statuses(recall) == ["active"]  # nothing replaced silently
    # /quiz review asks the same.
    review = (await recall.slash(alice, "quiz review")).message()
    assert review is not None and labels(review) == ["Resume", "Start new"]


async def test_resume_shows_the_current_card_as_a_new_message(recall: Recall) -> None:
    alice = recall.hall.learner
    first = await _start(recall, alice, kind="flashcard", count=3)
    await recall.click(alice, first, "Reveal answer")
    prompt = await _start(recall, alice)
    click = await recall.click(alice, prompt, "Resume")
    resumed = click.message()
    assert resumed is not None and resumed.ephemeral
    assert resumed.id not in (first.id, prompt.id)  # a fresh message: the old one may be gone
    assert embed(resumed)["description"] == embed(first)["description"]
    assert "card 1 of 3" in embed(resumed)["title"]
    assert [label.split(" · ")[0] for label in labels(resumed)] == [
        "Again",
        "Hard",
        "Good",
        "Easy",
        "Stop",
    ]
    assert await _session_message(recall, resumed)  # now the session's message
    await recall.click(alice, resumed, "Good")
    assert "card 2 of 3" in embed(resumed)["title"]
    assert await recall.review_count() == 1


async def test_start_new_finishes_the_open_session_then_starts_the_one_asked(
    recall: Recall,
) -> None:
    alice = recall.hall.learner
    first = await _start(recall, alice, kind="flashcard", count=3)
    await recall.click(alice, first, "Reveal answer")
    await recall.click(alice, first, "Again")
    prompt = await _start(recall, alice, kind="mcq", count=2, level="beginner")
    await recall.click(alice, prompt, "Start new")
    assert "card 1 of 2" in embed(prompt)["title"]  # the question became the new session
    assert embed(prompt)["footer"]["text"].startswith("Multiple choice · Beginner")
    assert await _statuses(recall) == ["finished", "active"]
    assert await recall.review_count() == 1  # the Again stays in the log
    # The first session's message, clicked again, shows its honest summary.
    await recall.click(alice, first, "Reveal answer")
    assert embed(first)["title"] == "Session stopped · 1 of 3 cards answered"
    assert await _session_message(recall, prompt)
    row = await recall.sql_one("SELECT kind, level FROM quiz_sessions ORDER BY id DESC")
    assert row is not None and (row["kind"], row["level"]) == ("mcq", "beginner")


async def test_an_old_resume_after_the_session_ended_says_so(recall: Recall) -> None:
    alice = recall.hall.learner
    first = await _start(recall, alice, kind="flashcard", count=1)
    prompt = await _start(recall, alice)
    await recall.click(alice, first, "Reveal answer")
    await recall.click(alice, first, "Good")  # the only card: the session is over
    versions = len(prompt.versions)
    click = await recall.click(alice, prompt, "Resume")
    assert "finished" in ephemeral_text(click)
    assert len(prompt.versions) == versions
    assert await recall.review_count() == 1


async def test_someone_elses_resume_or_start_new_changes_nothing(recall: Recall) -> None:
    alice, bob = recall.hall.learner, recall.hall.learner2
    await _start(recall, alice, kind="flashcard", count=2)
    prompt = await _start(recall, alice)
    for label in ("Resume", "Start new"):
        click = await recall.fake.click(bob, prompt, custom_id_of(prompt, label))
        await click.response()
        assert "not your quiz" in ephemeral_text(click)
    assert await _statuses(recall) == ["active"]
    assert await recall.learner_id(bob) is None  # not even a learner row for Bob


async def test_resume_and_start_new_work_after_a_restart(recall: Recall) -> None:
    alice = recall.hall.learner
    await _start(recall, alice, kind="flashcard", count=2)
    prompt = await _start(recall, alice)
    await recall.restart()
    resumed = (await recall.click(alice, prompt, "Resume")).message()
    assert resumed is not None and "card 1 of 2" in embed(resumed)["title"]
    await recall.click(alice, prompt, "Start new")
    assert await _statuses(recall) == ["finished", "active"]


# -- the summary --------------------------------------------------------------------------


async def test_summary_teaches_review_missed_and_start_another(recall: Recall) -> None:
    alice = recall.hall.learner
    message = await _start(recall, alice, kind="mcq", count=2)
    for _ in range(2):
        await _wrong_mcq(recall, alice, message)
        await recall.click(alice, message, "Next")
    summary = embed(message)
    assert summary["title"] == "Session complete · none right this time"  # not 🎉 at 0/2
    assert "spaced repetition" in summary["description"]
    assert field_named(message, "Score") == "0/2"
    missed = field_named(message, "Missed (2)").splitlines()
    assert len(missed) == 2 and all(line.startswith("✗ ") for line in missed)

    click = await recall.click(alice, message, "Review missed")
    again = click.message()
    assert again is not None and again.id != message.id  # the summary stays readable
    assert "card 1 of 2" in embed(again)["title"]
    assert embed(message)["title"] == summary["title"]
    row = await recall.sql_one("SELECT kind FROM quiz_sessions ORDER BY id DESC LIMIT 1")
    assert row is not None and row["kind"] == "missed"

    # Start another while the missed-cards session is open: Resume or Start new.
    asked = (await recall.click(alice, message, "Start another")).message()
    assert asked is not None and labels(asked) == ["Resume", "Start new"]
    await recall.click(alice, asked, "Start new")
    assert "card 1 of 2" in embed(asked)["title"]
    row = await recall.sql_one("SELECT kind FROM quiz_sessions ORDER BY id DESC LIMIT 1")
    assert row is not None and row["kind"] == "mcq"
    assert await _statuses(recall) == ["finished", "finished", "active"]


async def test_summary_buttons_refuse_someone_else(recall: Recall) -> None:
    alice, bob = recall.hall.learner, recall.hall.learner2
    message = await _start(recall, alice, kind="mcq", count=1)
    await _wrong_mcq(recall, alice, message)
    await recall.click(alice, message, "Next")
    for label in ("Review missed", "Start another"):
        click = await recall.fake.click(bob, message, custom_id_of(message, label))
        await click.response()
        assert "not your quiz" in ephemeral_text(click)
    assert await _statuses(recall) == ["finished"]


async def test_a_perfect_session_celebrates(recall: Recall) -> None:
    alice = recall.hall.learner
    message = await _start(recall, alice, kind="flashcard", count=1)
    await recall.click(alice, message, "Reveal answer")
    await recall.click(alice, message, "Easy")
    assert embed(message)["title"] == "Session complete 🎉"
    assert labels(message) == ["Start another"]  # nothing missed, nothing to review


# -- feedback and polish ----------------------------------------------------------------


async def test_grade_buttons_show_each_interval_and_the_next_card_says_when(
    recall: Recall,
) -> None:
    alice = recall.hall.learner
    message = await _start(recall, alice, kind="flashcard", count=2)
    await recall.click(alice, message, "Reveal answer")
    # A new card, FSRS's default steps (no fuzz in previews).
    assert labels(message) == ["Again · 1m", "Hard · 6m", "Good · 10m", "Easy · 8d", "Stop"]
    await recall.click(alice, message, "Easy")
    footer = embed(message)["footer"]["text"]
    assert footer.startswith("Flashcard · ")
    assert "Last card: Easy" in footer and "next review in " in footer


async def test_first_session_on_utc_says_how_to_set_the_zone(recall: Recall) -> None:
    alice = recall.hall.learner
    first = await _start(recall, alice, kind="flashcard", count=1)
    assert "/quiz timezone" in first.content
    await recall.click(alice, first, "Reveal answer")
    await recall.click(alice, first, "Good")
    second = await _start(recall, alice, kind="flashcard", count=1)
    assert "/quiz timezone" not in (second.content or "")


async def test_help_explains_recall_in_one_screen(recall: Recall) -> None:
    reply = await recall.slash(recall.hall.learner, "quiz help")
    message = reply.message()
    assert message is not None and message.ephemeral
    names = field_names(message)
    assert names == ["Study", "How grading works", "Spaced repetition", "Your progress", "Settings"]
    text = " ".join(f["value"] for f in embed(message)["fields"])
    for command in ("/quiz start", "/quiz review", "/quiz stats", "/quiz timezone"):
        assert command in text
    assert len(str(embed(message))) < 6000  # one embed, within Discord's limit


async def test_stats_show_weak_spots_and_what_is_due(recall: Recall) -> None:
    alice = recall.hall.learner
    message = await _start(recall, alice, kind="mcq", count=1)
    question = embed(message)["description"]
    await _wrong_mcq(recall, alice, message)
    stats = await (await recall.slash(alice, "quiz stats")).wait_done()
    assert stats is not None
    assert field_named(stats, "Most missed cards") == f"✗ {question} · missed 1 of 1 time"
    assert field_named(stats, "Due now") == "0 (1 more later today)"  # Again: in a minute
    assert "Set yours with /quiz timezone" in embed(stats)["footer"]["text"]
