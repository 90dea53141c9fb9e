"""Tests for slackapp.admin's pure parts: the leaderboard's and the class view's blocks
(escaped, cut, within Slack's limits) and the paging buttons' action ids."""

from __future__ import annotations

import pytest

from bot.core.leaderboard import LeaderboardPage, LeaderboardRow, Metric, Period
from bot.core.learner import Identity, Platform
from bot.core.reports import ClassProgress, HardCard
from slackapp.admin import (
    NAME_MAX,
    PageQuery,
    board_blocks,
    page_action,
    parse_page,
    progress_blocks,
)
from tests.fakeslack.checks import block_errors


def learner(n: int) -> Identity:
    return Identity(Platform.SLACK, f"U{n:04d}")


def page(rows: int, *, number: int = 0, pages: int = 1, metric: Metric = Metric.XP):
    return LeaderboardPage(
        period=Period.WEEK,
        metric=metric,
        deck_id=None,
        rows=tuple(LeaderboardRow(i + 1, learner(i), 100 - i, 7) for i in range(rows)),
        page=number,
        pages=pages,
        total=rows * pages,
        clamped=False,
        viewer=None,
        min_reviews=metric.min_reviews,
    )


def test_names_are_escaped_cut_and_never_mentions():
    names = {learner(0): "<!channel> & co", learner(1): "x" * 200}
    blocks = board_blocks(page(3), names, shared=False)
    body = blocks[1]["text"]["text"]
    lines = body.splitlines()
    assert lines[0] == "🥇 &lt;!channel&gt; &amp; co · 100 XP"
    assert len(lines[1]) < NAME_MAX + 20 and lines[1].count("x") < NAME_MAX
    assert lines[2].startswith("🥉 unknown user · ")  # a name Slack could not give
    assert "<@" not in str(blocks) and "<!" not in str(blocks)
    assert block_errors(blocks) == []


def test_an_empty_board_says_why_and_has_no_buttons():
    blocks = board_blocks(page(0, metric=Metric.ACCURACY), {}, shared=False)
    assert "accuracy needs 5 answers" in blocks[1]["text"]["text"]
    assert all(b["type"] != "actions" for b in blocks)


def test_paging_buttons_only_where_there_is_a_page_and_they_keep_the_query():
    middle = board_blocks(page(10, number=1, pages=3), {}, shared=True)
    (buttons,) = [b for b in middle if b["type"] == "actions"]
    ids = [e["action_id"] for e in buttons["elements"]]
    assert [e["text"]["text"] for e in buttons["elements"]] == ["Previous", "Next"]
    assert [parse_page(i) for i in ids] == [
        PageQuery(Period.WEEK, Metric.XP, None, 0, True),
        PageQuery(Period.WEEK, Metric.XP, None, 2, True),
    ]
    assert block_errors(middle) == []


@pytest.mark.parametrize(
    "query",
    [
        PageQuery(Period.ALL, Metric.ACCURACY, "django-wsgi-asgi", 12, False),
        PageQuery(Period.MONTH, Metric.STREAK, None, 0, True),
    ],
)
def test_a_page_action_reads_back_as_its_query(query: PageQuery):
    assert parse_page(page_action(query, "n")) == query


@pytest.mark.parametrize(
    "forged",
    [
        "recall:lb:w:x::1",
        "recall:lb:z:x::1:n",
        "recall:lb:w:x:Deck!:1:n",
        "recall:lb:w:x::1234567:n",
        "recall:lb:w:x::1:n:s:extra",
        "recall:lb:w:x::1:n:shared",
    ],
)
def test_ids_recall_did_not_make_are_refused(forged: str):
    assert parse_page(forged) is None


def test_the_class_view_escapes_card_text_and_keeps_within_a_section():
    hard = tuple(
        HardCard("d", "Deck", f"card-{n}", "<!here> " + "y" * 150, attempts=10, wrong=9)
        for n in range(40)
    )
    report = ClassProgress(None, 3, 4, 20, 30, 50, 40, hard, ())
    blocks = progress_blocks(report)
    text = str(blocks)
    assert "&lt;!here&gt;" in text and "<!here>" not in text
    assert "80%" in text and "3 (7 days) · 4 (30 days)" in text
    assert block_errors(blocks) == []


def test_an_empty_class_says_so():
    empty = ClassProgress("d", 0, 0, 0, 0, 0, 0, (), ())
    blocks = progress_blocks(empty)
    assert "Nobody has answered" in str(blocks) and "Class progress · d" in str(blocks)
