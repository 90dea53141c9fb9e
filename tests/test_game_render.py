"""A game round's message within Discord's limits, without a client (found in review):
a closed round of the longest card (question 4,096, answer and explanation 1,024), 40
winners and the longest deck title came to 6,420 characters, past the 6,000 Discord
allows in one embed, so its results were never shown; and a round whose card left its
deck showed no button at all, not even Stop game."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import discord
import pytest

from bot.core.game import GameStatus, Question
from bot.core.learner import Identity, Platform
from bot.decks import McqCard, limits
from bot.services.games import RoundView
from cogs.common.fit import cut, fitted
from cogs.games import round_embed, round_view

NOW = datetime(2026, 12, 1, tzinfo=UTC)
LONGEST = McqCard(
    id="q",
    type="mcq",
    level="beginner",
    question="Q" * limits.CARD_TEXT_MAX,
    options=tuple(letter * limits.OPTION_MAX for letter in "ABCDE"),
    answer="A" * limits.OPTION_MAX,
    explanation="E" * limits.FIELD_VALUE_MAX,
)
WINNERS = tuple(Identity(Platform.DISCORD, str(10**18 + n)) for n in range(45))
OPEN = RoundView(
    game_id=1,
    number=20,
    total=20,
    community=Identity(Platform.DISCORD, "1"),
    channel="2",
    deck_title="D" * limits.DECK_TITLE_MAX,
    card=LONGEST,
    question=Question("d", "q", 0, 5),
    started_at=NOW,
    deadline=NOW,
    closed=False,
    answered=0,
    winners=(),
    message=None,
    game_status=GameStatus.RUNNING,
)
CLOSED = replace(OPEN, closed=True, answered=10_000, winners=WINNERS)


def _labels(view: discord.ui.View) -> list[str | None]:
    return [getattr(getattr(c, "item", c), "label", None) for c in view.children]


def _check_limits(embed: discord.Embed) -> None:
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    for field in embed.fields:
        assert len(field.name or "") <= 256 and len(field.value or "") <= 1024


@pytest.mark.parametrize("view", [OPEN, CLOSED], ids=["open", "closed"])
def test_the_longest_round_fits_one_embed(view: RoundView) -> None:
    embed = round_embed(view)
    _check_limits(embed)
    suffix = " · round 20 of 20" + (" · over" if view.closed else "")
    assert (embed.title or "").endswith(suffix) and len(embed.title or "") == 256
    assert (embed.description or "").startswith("Q" * 1000)
    labels = _labels(round_view(view))
    assert all(label is not None and len(label) <= 80 for label in labels)


def test_a_closed_round_keeps_its_results_whole() -> None:
    """What gives way is the question (shown whole while the round was open)."""
    embed = round_embed(CLOSED)
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Why"] == LONGEST.explanation
    winners = fields["Right: 45 of 10000"] or ""
    assert winners.startswith(f"<@{10**18}>") and winners.endswith("and 5 more")
    assert (embed.description or "").endswith("…")


def test_an_open_round_whose_card_was_removed_can_still_be_stopped() -> None:
    removed = replace(OPEN, card=None)
    assert _labels(round_view(removed)) == ["Stop game"]
    assert (round_embed(removed).description or "").startswith("This question was removed")
    # Closed, or once the game is over, there is nothing to press.
    assert _labels(round_view(replace(removed, closed=True))) == []
    assert _labels(round_view(replace(removed, game_status=GameStatus.STOPPED))) == []


def test_cutting_keeps_the_suffix() -> None:
    assert cut("abcdef", 6) == "abcdef"
    assert cut("abcdefg", 6) == "abcde…"
    assert fitted("T" * 300, " · card 1 of 10") == "T" * 240 + "…" + " · card 1 of 10"
    assert len(fitted("T" * 300, " · card 1 of 10")) == 256
    assert fitted("Short", " · round 1 of 5") == "Short · round 1 of 5"
    assert len(fitted("T", "x" * 300)) == 256
