"""The leaderboard's vocabulary: periods, metrics, rows and pages (no storage here).

Decisions, so the front ends and the docs agree:

- **Periods are rolling windows** ending at ``now``: ``week`` is the last 7 × 24 h,
  ``month`` the last 30 × 24 h, ``all`` everything. A rolling window is the same for
  every moderator whatever their time zone, and the board is never empty on a Monday
  morning the way a calendar week would be. A review exactly at the start counts;
  a review after ``now`` does not, so a page is reproducible for a given ``now``.
  ``all`` reads the running totals, i.e. everything logged so far.
- **Who is on the board**: learners with at least one review logged in this community
  in the period (and in the deck, when one is chosen). Learners are global, reviews
  carry the community, so every figure comes from the community's own reviews except
  the streak.
- **Metrics**: ``xp`` is XP earned in the period; ``accuracy`` is right answers over
  answers in the period, ranked only for learners with at least
  :data:`MIN_ACCURACY_REVIEWS` answers (one lucky answer is not 100 %); ``streak`` is
  the learner's current daily streak as their stats show it today in their own zone
  (:func:`bot.core.streaks.view`), a personal figure not tied to the community or deck.
- **Ties share a rank** (competition ranking: 1, 1, 3). Within a tie, more answers
  come first, then the lower internal learner id, so the order is stable between pages.
- **Paging**: pages are 0-based; a page past the end is clamped to the last page
  (``clamped`` is set), because a button on an old message may point past a board
  that has since shrunk, and showing the last page beats an empty one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.clock import require_aware
from bot.core.learner import Identity

__all__ = [
    "MIN_ACCURACY_REVIEWS",
    "PAGE_SIZE",
    "LeaderboardPage",
    "LeaderboardRow",
    "Metric",
    "Period",
]

PAGE_SIZE = 10
"""Rows per page (the issue asks for 10)."""

MIN_ACCURACY_REVIEWS = 5
"""Answers in the period a learner needs before their accuracy is ranked.

The board's SQL repeats it (``bot.storage.reports.leaderboard.ranked_sql``);
``tests/test_leaderboard.py`` holds the two together."""


class Period(StrEnum):
    """How far back the leaderboard looks; values are the slash command choices."""

    WEEK = "week"
    MONTH = "month"
    ALL = "all"

    def start(self, now: datetime) -> datetime | None:
        """The first instant inside the period ending at ``now`` (None for all time)."""
        now = require_aware(now, "now")
        if self is Period.WEEK:
            return now - timedelta(days=7)
        if self is Period.MONTH:
            return now - timedelta(days=30)
        return None


class Metric(StrEnum):
    """What the leaderboard ranks by; values are the slash command choices."""

    XP = "xp"
    STREAK = "streak"
    ACCURACY = "accuracy"

    @property
    def min_reviews(self) -> int:
        """Answers in the period needed to be ranked by this metric."""
        return MIN_ACCURACY_REVIEWS if self is Metric.ACCURACY else 1


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    """One ranked learner. ``value`` is XP or days (int) or a share in 0..1 (float)."""

    rank: int
    learner: Identity
    """Who, as their platform knows them (for a mention or a name)."""
    value: int | float
    reviews: int
    """Answers in the period (and deck), shown beside accuracy to give it weight."""


@dataclass(frozen=True, slots=True)
class LeaderboardPage:
    """One page of the board, with the viewer's own standing."""

    period: Period
    metric: Metric
    deck_id: str | None
    rows: tuple[LeaderboardRow, ...]
    page: int
    """The page shown (0-based), after clamping."""
    pages: int
    """Number of pages, at least 1 (an empty board has one empty page)."""
    total: int
    """Ranked learners on the whole board."""
    clamped: bool
    """True when the requested page did not exist and another one is shown."""
    viewer: LeaderboardRow | None
    """The viewer's row wherever it is on the board; None if not ranked."""
    min_reviews: int
    """Answers needed to be ranked (1, or :data:`MIN_ACCURACY_REVIEWS` for accuracy)."""

    @property
    def empty(self) -> bool:
        """Nobody is ranked (no activity in the period, or nobody met the minimum)."""
        return self.total == 0

    @property
    def has_previous(self) -> bool:
        """Whether a Previous button has somewhere to go."""
        return self.page > 0

    @property
    def has_next(self) -> bool:
        """Whether a Next button has somewhere to go."""
        return self.page + 1 < self.pages

    def rank_of(self, learner: Identity) -> int | None:
        """The rank of ``learner`` if they are on this page or are the viewer, else None."""
        rows = self.rows if self.viewer is None else (*self.rows, self.viewer)
        return next((row.rank for row in rows if row.learner == learner), None)
