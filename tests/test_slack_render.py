"""Slack rendering: escaping (a deck's ``<!everyone>``, ``<@U1>``, ``&`` are shown,
never sent as mentions), the SPEC's labels, Slack's limits. Sessions come from the
real study service on both backends."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.core.session import SessionKind, option_fingerprint
from bot.decks import DeckLibrary
from bot.services.study import StudyService, Where
from bot.storage import Store
from slackapp.escape import chunks, escape, fit
from slackapp.render import SECTION_MAX, answer_modal, option_label, render_step
from tests.slack_checks import action_ids, assert_nothing_pings, button_texts, texts
from tests.slack_decks import HOSTILE_DECK, content_with_hostile_deck

ME = Identity(Platform.SLACK, "U0LEARNER")
WHERE = Where(Identity(Platform.SLACK, "T0TEAM"), "D0DM")
ESCAPED_BAIT = "&lt;!everyone&gt; &lt;!channel&gt; &lt;!here&gt; &lt;@U1&gt;"


@pytest.fixture
def hostile_study(store: Store, clock: FakeClock, tmp_path: Path) -> StudyService:
    library, problems = DeckLibrary.load(content_with_hostile_deck(tmp_path))
    assert not problems
    return StudyService(store, library, CardScheduler(fuzz=False), clock)


def test_escape_and_fit() -> None:
    assert escape("<!everyone> & <@U1>") == "&lt;!everyone&gt; &amp; &lt;@U1&gt;"
    assert fit("abc", 3) == "abc"
    # Never cut inside an entity: "&amp;" is all or nothing.
    assert fit("ab&cdef", 6) == "ab…"
    assert fit("ab&cdef", 9) == "ab&amp;c…"
    assert len(fit("x" * 200, 75)) == 75


def test_chunks_split_long_text_within_the_limit_without_breaking_entities() -> None:
    text = ("word & <more> " * 600).strip()
    pieces = chunks(text, SECTION_MAX)
    assert len(pieces) > 1
    assert all(len(p) <= SECTION_MAX for p in pieces)
    joined = " ".join(pieces)
    assert joined.count("&amp;") == 600 and "&am " not in joined
    assert chunks("", 10) == [""]


def test_option_labels_are_cut_to_75() -> None:
    assert option_label(0, "WSGI") == "A · WSGI"
    label = option_label(3, "y" * 100)
    assert len(label) == 75 and label.startswith("D · yyy") and label.endswith("…")
    assert option_label(1, "<@U1> & friends") == "B · &lt;@U1&gt; &amp; friends"


async def test_flashcard_steps_are_escaped_and_labelled(
    hostile_study: StudyService, clock: FakeClock
) -> None:
    step = await hostile_study.start(ME, WHERE, deck_id=HOSTILE_DECK, kind=SessionKind.FLASHCARD)
    text, blocks = render_step(step, clock())
    assert_nothing_pings({"text": text, "blocks": blocks})
    shown = texts(blocks)
    assert "Hostile &lt;!here&gt; &amp; co · card 1 of 1" in shown
    assert f"Front {ESCAPED_BAIT}" in shown and "R&amp;D" in shown
    assert button_texts(blocks) == ["Reveal answer", "Stop"]
    sid = step.session.id
    assert action_ids(blocks) == [f"recall:q:{sid}:0:reveal", f"recall:q:{sid}:0:stop"]

    revealed = await hostile_study.reveal(ME, sid, 0)
    _, blocks = render_step(revealed, clock())
    assert_nothing_pings(blocks)
    assert f"Back {ESCAPED_BAIT}" in texts(blocks)
    # Each grade shows the interval it would give (FSRS defaults, a new card).
    assert button_texts(blocks) == ["Again · 1m", "Hard · 6m", "Good · 10m", "Easy · 8d", "Stop"]

    done = await hostile_study.grade_flashcard(ME, sid, 0, Grade.GOOD)
    _, blocks = render_step(done, clock())
    assert "Session complete 🎉" in texts(blocks)
    assert "Score:* 1/1" in texts(blocks)


async def test_a_long_deck_title_is_cut_and_the_position_kept(
    hostile_study: StudyService, clock: FakeClock
) -> None:
    step = await hostile_study.start(ME, WHERE, deck_id=HOSTILE_DECK, kind=SessionKind.FLASHCARD)
    long = dataclasses.replace(step, deck_title="<Deck> & " * 30)  # 270 characters
    _, blocks = render_step(long, clock())
    header = blocks[0]["text"]["text"]
    assert len(header) <= 150
    assert header.endswith("… · card 1 of 1")
    assert header.startswith("&lt;Deck&gt; &amp; ")


async def test_mcq_steps_are_escaped_and_show_the_full_options(
    hostile_study: StudyService, clock: FakeClock
) -> None:
    step = await hostile_study.start(ME, WHERE, deck_id=HOSTILE_DECK, kind=SessionKind.MCQ)
    _, blocks = render_step(step, clock())
    assert_nothing_pings(blocks)
    labels = button_texts(blocks)
    assert labels[:3] == ["A · &lt;!everyone&gt;", "B · &lt;@U1&gt; &amp; friends", "C · plain"]
    assert len(labels[3]) == 75 and labels[3].endswith("…")
    # The cut option is listed in full in the text.
    assert "D · " + "x" * 90 in texts(blocks)
    assert step.card is not None
    sid = step.session.id
    fingerprint = option_fingerprint("<!everyone>")
    assert action_ids(blocks)[0] == f"recall:q:{sid}:0:o0{fingerprint}"

    answered = await hostile_study.answer_mcq(ME, sid, 0, 0, fingerprint)
    _, blocks = render_step(answered, clock())
    assert_nothing_pings(blocks)
    shown = texts(blocks)
    assert "✗ Not quite." in shown and "A · &lt;!everyone&gt;" in shown
    assert "B · &lt;@U1&gt; &amp; friends" in shown
    assert f"Why {ESCAPED_BAIT}" in shown
    assert button_texts(blocks) == ["Next", "Stop"]


async def test_explain_steps_and_the_modal_are_escaped(
    hostile_study: StudyService, clock: FakeClock
) -> None:
    step = await hostile_study.start(ME, WHERE, deck_id=HOSTILE_DECK, kind=SessionKind.EXPLAIN)
    _, blocks = render_step(step, clock())
    assert button_texts(blocks) == ["Show hint", "Write my answer", "Stop"]
    sid = step.session.id
    hinted = await hostile_study.show_hint(ME, sid, 0)
    _, blocks = render_step(hinted, clock())
    assert_nothing_pings(blocks)
    assert f"Hint {ESCAPED_BAIT}" in texts(blocks)
    assert button_texts(blocks) == ["Write my answer", "Stop"]
    assert hinted.card is not None

    modal = answer_modal(sid, 0, "Prompt <!everyone>", "D0DM:1.2")
    assert_nothing_pings(modal)
    assert modal["callback_id"] == f"recall:qm:{sid}:0"
    assert modal["private_metadata"] == "D0DM:1.2"
    (answer_input,) = [b for b in modal["blocks"] if b["type"] == "input"]
    assert answer_input["element"]["multiline"] is True

    graded = await hostile_study.answer_explain(ME, sid, 0, "a ping needs an ampersand escape")
    _, blocks = render_step(graded, clock())
    assert_nothing_pings(blocks)
    shown = texts(blocks)
    assert "You got 2/2 concepts" in shown
    assert "✅ mentions &lt;!channel&gt;" in shown and "✅ ampersand &amp;" in shown
    assert f"Model {ESCAPED_BAIT}" in shown
    assert button_texts(blocks) == ["Next", "Stop"]
