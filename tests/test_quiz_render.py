"""The Discord words of session control and feedback, without a client: honest summary
titles, plurals, the one ✓/✗ set, grade labels, Start new ids, medals that survive ties."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import discord
import pytest

from bot.core.custom_ids import StartSpec
from bot.core.errors import NothingReason, NothingToStudy, SessionOpen
from bot.core.session import Ending, SessionKind
from bot.core.streaks import StreakState
from bot.services.study import SessionSummary
from cogs.common.words import CROSS, TICK, describe, plural
from cogs.leaderboard import rank_marks
from cogs.quiz.buttons import START_NEW_TEMPLATE
from cogs.quiz.render import grade_label, open_prompt, render_summary, summary_title


def _labels(view: discord.ui.View) -> list[str | None]:
    """The buttons' labels (a DynamicItem wraps its button)."""
    return [getattr(getattr(c, "item", c), "label", None) for c in view.children]


def _summary(
    answered: int, correct: int, ending: Ending = Ending.COMPLETED, total: int = 12
) -> SessionSummary:
    return SessionSummary(
        answered=answered,
        correct=correct,
        xp=0,
        streak=StreakState(current=1, best=1),
        next_due=datetime(2026, 3, 3, tzinfo=UTC),
        ending=ending,
        total=total,
    )


@pytest.mark.parametrize(
    ("summary", "title"),
    [
        (_summary(12, 12), "Session complete 🎉"),
        (_summary(12, 10), "Session complete 🎉"),
        (_summary(12, 6), "Session complete"),
        (_summary(12, 0), "Session complete · none right this time"),  # not 🎉 at 0/12
        (_summary(0, 0), "Session complete · no cards answered"),
        (_summary(3, 1, Ending.STOPPED), "Session stopped · 3 of 12 cards answered"),
        (_summary(0, 0, Ending.STOPPED, total=1), "Session stopped · no cards answered"),
        # The first release drew a replaced session as "Session complete 🎉 0/0".
        (_summary(0, 0, Ending.REPLACED), "Session replaced by a newer one"),
        (_summary(0, 0, Ending.EXPIRED), "Session expired after a day unused"),
    ],
)
def test_summary_titles_are_honest(summary: SessionSummary, title: str) -> None:
    assert summary_title(summary) == title


def test_a_summary_with_nothing_answered_says_so_instead_of_0_of_0() -> None:
    embed, view = render_summary(_summary(0, 0, Ending.REPLACED), 5)
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Score"] == "No cards answered"
    assert "🎉" not in (embed.title or "")
    assert _labels(view) == ["Start another"]


def test_plurals() -> None:
    assert plural(1, "card") == "1 card"
    assert plural(0, "card") == "0 cards"
    assert plural(2, "active day") == "2 active days"
    assert plural(1, "day") == "1 day"


def test_one_set_of_glyphs() -> None:
    assert (TICK, CROSS) == ("✓", "✗")


def test_grade_label() -> None:
    assert grade_label("Good", "3d") == "Good · 3d"
    assert grade_label("Good", None) == "Good"


@pytest.mark.parametrize(
    "spec",
    [
        StartSpec("review"),
        StartSpec("missed", origin=2**63 - 1),
        StartSpec("another", origin=7),
        StartSpec("start", kind=SessionKind.MIXED, count=10),
        StartSpec("start", kind=SessionKind.EXPLAIN, count=50, level="advanced", deck_id="d" * 64),
        StartSpec("start", kind=SessionKind.FLASHCARD, count=1, level="beginner", deck_id="a-b"),
    ],
)
def test_start_new_ids_round_trip_within_discords_100_characters(spec: StartSpec) -> None:
    custom_id = f"recall:qn:{2**63 - 1}:{spec.encode()}"
    assert len(custom_id) <= 100
    match = re.fullmatch(START_NEW_TEMPLATE, custom_id)
    assert match is not None
    assert StartSpec.decode(match["spec"]) == spec


@pytest.mark.parametrize(
    "forged", ["sx00x", "sx51x", "m99999999999999999999", "q", "sxx10x", "sz10x", "sf10bA"]
)
def test_start_new_ids_that_recall_never_makes_are_refused(forged: str) -> None:
    match = re.fullmatch(START_NEW_TEMPLATE, f"recall:qn:1:{forged}")
    assert match is None or StartSpec.decode(match["spec"]) is None


def test_the_open_session_question() -> None:
    found = SessionOpen(3, step=1, total=3, answered=1, kind="flashcard", deck_id="d")
    embed, view = open_prompt(found, "WSGI vs ASGI", StartSpec("review"))
    assert embed.title == "You have a quiz open"
    assert "**WSGI vs ASGI** · card 2 of 3 · 1 card answered" in (embed.description or "")
    assert _labels(view) == ["Resume", "Start new"]
    assert [getattr(getattr(c, "item", c), "custom_id", None) for c in view.children] == [
        "recall:qr:3",
        "recall:qn:3:r",
    ]


def test_words_for_the_new_errors() -> None:
    assert "already have a quiz open" in describe(
        SessionOpen(1, step=0, total=1, answered=0, kind="mcq", deck_id=None)
    )
    assert "missed" in describe(NothingToStudy(NothingReason.NOTHING_MISSED))


@pytest.mark.parametrize(
    ("ranks", "total", "marks"),
    [
        ([1, 2, 3, 4], 4, ["🥇", "🥈", "🥉", "`  4.`"]),
        ([1, 1, 3, 4], 4, ["🥇", "🥇", "🥉", "`  4.`"]),
        # Five share first place: five gold medals would mean nothing.
        ([1, 1, 1, 1, 1, 6], 6, ["` =1.`"] * 5 + ["`  6.`"]),
        # Everyone ranked ties: nobody won.
        ([1, 1], 2, ["` =1.`", "` =1.`"]),
        ([1], 1, ["🥇"]),
        ([11, 11, 13], 20, ["`=11.`", "`=11.`", "` 13.`"]),  # a later page
    ],
)
def test_medals_make_sense_when_many_tie(ranks: list[int], total: int, marks: list[str]) -> None:
    assert rank_marks(ranks, total) == marks
