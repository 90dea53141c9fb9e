"""The server leaderboard (``/leaderboard``): learners ranked by XP, streak or accuracy.

Plain Python, no discord import. Decisions, so the cog and the docs agree:

- **Periods are rolling windows** ending at ``now``: ``week`` is the last 7 × 24 h,
  ``month`` the last 30 × 24 h, ``all`` everything. A rolling window is the same for
  every moderator whatever their time zone, and the board is never empty on a Monday
  morning the way a calendar week would be. A review exactly at the start counts;
  a review after ``now`` does not, so a page is reproducible for a given ``now``.
  ``all`` reads the running totals of migration V3, i.e. everything logged so far.
- **Who is on the board**: learners with at least one review logged in this server in
  the period (and in the deck, when one is chosen). Learners are global, reviews carry
  the guild, so every figure comes from the server's own reviews except the streak.
- **Metrics**: ``xp`` is XP earned in the period; ``accuracy`` is right answers over
  answers in the period, ranked only for learners with at least
  :data:`MIN_ACCURACY_REVIEWS` answers (one lucky answer is not 100 %); ``streak`` is
  the learner's current daily streak as ``/quiz stats`` shows it today in their own
  zone (:func:`bot.streaks.view`), a personal figure not tied to the server or deck.
- **Ties share a rank** (competition ranking: 1, 1, 3). Within a tie, more answers
  come first, then the lower user id, so the order is stable between pages.
- **Paging**: pages are 0-based; a page past the end is clamped to the last page
  (``clamped`` is set), because a button on an old message may point past a board
  that has since shrunk, and showing the last page beats an empty one.
"""

from __future__ import annotations

import json
import sqlite3
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.clock import require_aware
from bot.storage.codec import to_epoch
from bot.storage.database import Database

__all__ = [
    "MIN_ACCURACY_REVIEWS",
    "PAGE_SIZE",
    "LeaderboardPage",
    "LeaderboardRow",
    "Metric",
    "Period",
    "leaderboard_page",
    "rank_of",
]

PAGE_SIZE = 10
"""Rows per page (the issue asks for 10)."""

MIN_ACCURACY_REVIEWS = 5
"""Answers in the period a learner needs before their accuracy is ranked."""


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


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    """One ranked learner. ``value`` is XP or days (int) or a share in 0..1 (float)."""

    rank: int
    user_id: int
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

    def rank_of(self, user_id: int) -> int | None:
        """The rank of ``user_id`` if they are on this page or are the viewer, else None."""
        rows = self.rows if self.viewer is None else (*self.rows, self.viewer)
        return next((row.rank for row in rows if row.user_id == user_id), None)


# The displayed streak in SQL, the same rules as bot.streaks.view: a streak is alive
# if today already counted, or if the missed days since can all be paid with freezes.
# ISO dates compare correctly as text; julianday differences of dates are whole days.
_STREAK_SQL = """
    CASE
        WHEN l.last_active_date IS NULL OR l.streak = 0 THEN 0
        WHEN t.today <= l.last_active_date THEN l.streak
        WHEN julianday(t.today) - julianday(l.last_active_date) - 1 <= l.freezes
            THEN l.streak
        ELSE 0
    END"""

_VALUE_SQL = {
    Metric.XP: "a.xp",
    Metric.ACCURACY: "CAST(a.correct AS REAL) / a.reviews",
    Metric.STREAK: _STREAK_SQL,
}


def _agg_sql(*, since: bool, deck: bool) -> str:
    """Answers, right answers and XP per learner on the board (fixed SQL fragments only)."""
    if not since:
        # All time: the running totals (migration V3), one row per learner and deck,
        # instead of summing the whole log.
        if deck:
            return (
                "SELECT user_id, reviews, correct, xp FROM review_totals"
                " WHERE guild_id = :guild AND deck_id = :deck"
            )
        return (
            "SELECT user_id, SUM(reviews) AS reviews, SUM(correct) AS correct, SUM(xp) AS xp"
            " FROM review_totals WHERE guild_id = :guild GROUP BY user_id"
        )
    # A period: the time-ordered covering index. INDEXED BY because, without table
    # statistics, SQLite prefers an index that spares it the GROUP BY sort and would
    # read the server's whole log to find one week; it also makes a missing index an
    # error instead of a silent slowdown.
    index = "reviews_guild_deck_time_cover" if deck else "reviews_guild_time_cover"
    deck_sql = " AND deck_id = :deck" if deck else ""
    return (
        "SELECT user_id, COUNT(*) AS reviews, SUM(correct) AS correct, SUM(xp) AS xp"
        f" FROM reviews INDEXED BY {index}"
        " WHERE guild_id = :guild AND reviewed_at >= :since AND reviewed_at <= :until"
        f"{deck_sql} GROUP BY user_id"
    )


def _board_sql(metric: Metric, *, since: bool, deck: bool) -> str:
    # Built from fixed fragments only: no user text is ever spliced into SQL.
    if metric is Metric.STREAK:
        # The learner's "today" depends on their zone, which SQLite cannot convert;
        # Python passes today's date for every zone as a JSON object (zone -> date).
        # MATERIALIZED lets SQLite build an automatic index on it for the join.
        zones = (
            "zone_today(zone, today) AS MATERIALIZED (SELECT key, value FROM json_each(:zones)),"
        )
        source = (
            "agg a JOIN learners l ON l.user_id = a.user_id"
            " LEFT JOIN zone_today z ON z.zone = l.time_zone"
            " CROSS JOIN (SELECT :utc_today AS utc) u"
        )
        value = _STREAK_SQL.replace("t.today", "COALESCE(z.today, u.utc)")
    else:
        zones, source, value = "", "agg a", _VALUE_SQL[metric]
    return f"""
        WITH {zones}
        agg AS ({_agg_sql(since=since, deck=deck)}),
        scored AS MATERIALIZED (
            SELECT a.user_id, a.reviews, {value} AS value
            FROM {source}
            WHERE a.reviews >= :min_reviews
        ),
        -- Ranking without window functions: each window over the whole board is a
        -- sort of every learner. Here there is one pass to count, a top-k sort for the
        -- page, and a count of better scores for the two rows whose rank cannot be
        -- read off their position (the first row of the page and the viewer).
        total AS (SELECT COUNT(*) AS n FROM scored),
        shown AS (
            -- Clamped here, where the total is known: a page past the end costs no
            -- second query.
            SELECT MIN(:page, MAX(n - 1, 0) / :size) AS page, n FROM total
        ),
        page_rows AS (
            SELECT user_id, reviews, value FROM scored
            ORDER BY value DESC, reviews DESC, user_id
            LIMIT :size OFFSET (SELECT page FROM shown) * :size
        )
        SELECT 'row' AS kind, user_id, reviews, value, NULL AS rank FROM page_rows
        UNION ALL
        SELECT 'viewer', v.user_id, v.reviews, v.value,
               1 + (SELECT COUNT(*) FROM scored s WHERE s.value > v.value)
        FROM scored v WHERE v.user_id = :viewer
        UNION ALL
        SELECT 'first', NULL, NULL, NULL,
               1 + (SELECT COUNT(*) FROM scored s
                    WHERE s.value > (SELECT MAX(value) FROM page_rows))
        UNION ALL
        SELECT 'meta', NULL, n, page, NULL FROM shown
    """


def _ranked_page(
    rows: list[tuple[int, int, int | float]], first_rank: int, first_position: int
) -> tuple[LeaderboardRow, ...]:
    """Competition ranks for one page: a row ties the one above it or ranks at its position."""
    # UNION ALL promises no order, so the page is put back in board order here.
    rows.sort(key=lambda r: (-r[2], -r[1], r[0]))
    ranked: list[LeaderboardRow] = []
    for index, (user_id, reviews, value) in enumerate(rows):
        if index == 0:
            rank = first_rank
        elif value == ranked[-1].value:
            rank = ranked[-1].rank
        else:
            rank = first_position + index
        ranked.append(LeaderboardRow(rank, user_id, value, reviews))
    return tuple(ranked)


@lru_cache(maxsize=1)
def _zones() -> tuple[ZoneInfo, ...]:
    # Loaded once: reading ~600 zone files on every leaderboard would dominate it.
    names = sorted(zoneinfo.available_timezones() - {"Factory", "localtime", "posixrules"})
    found: list[ZoneInfo] = []
    for name in names:
        try:
            found.append(ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            continue  # listed but unreadable; its learners fall back to UTC's date
    return tuple(found)


def _zone_dates(now: datetime) -> str:
    """Today's local date in every known zone, as a JSON object for the streak query."""
    return json.dumps({str(zone): now.astimezone(zone).date().isoformat() for zone in _zones()})


async def leaderboard_page(
    db: Database,
    guild_id: int,
    period: Period,
    metric: Metric,
    deck_id: str | None,
    page: int,
    now: datetime,
    page_size: int = PAGE_SIZE,
    *,
    viewer_id: int | None = None,
) -> LeaderboardPage:
    """One page (0-based) of the server's board, with ``viewer_id``'s own row if ranked.

    See the module docstring for the periods, metrics, ties and paging rules. A
    negative page is page 0; a page past the end is the last page (``clamped``).
    """
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    now = require_aware(now, "now")
    requested = page
    start = period.start(now)
    min_reviews = MIN_ACCURACY_REVIEWS if metric is Metric.ACCURACY else 1
    params: dict[str, object] = {
        "guild": guild_id,
        "until": to_epoch(now),
        "min_reviews": min_reviews,
        "page": max(0, page),
        "size": page_size,
        "viewer": viewer_id,
    }
    if start is not None:
        params["since"] = to_epoch(start)
    if deck_id is not None:
        params["deck"] = deck_id
    if metric is Metric.STREAK:
        params["zones"] = _zone_dates(now)
        params["utc_today"] = now.date().isoformat()
    sql = _board_sql(metric, since=start is not None, deck=deck_id is not None)
    rows = await db.fetchall(sql, params)

    def value_of(raw: int | float) -> int | float:
        return float(raw) if metric is Metric.ACCURACY else int(raw)

    by_kind: dict[str, list[sqlite3.Row]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    meta = by_kind["meta"][0]
    total, shown_page = int(meta["reviews"]), int(meta["value"])
    page_rows = _ranked_page(
        [
            (int(r["user_id"]), int(r["reviews"]), value_of(r["value"]))
            for r in by_kind.get("row", [])
        ],
        first_rank=int(by_kind["first"][0]["rank"]),
        first_position=shown_page * page_size + 1,
    )
    viewer = next(
        (
            LeaderboardRow(
                int(r["rank"]), int(r["user_id"]), value_of(r["value"]), int(r["reviews"])
            )
            for r in by_kind.get("viewer", [])
        ),
        None,
    )
    pages = max(1, -(-total // page_size))
    return LeaderboardPage(
        period=period,
        metric=metric,
        deck_id=deck_id,
        rows=page_rows,
        page=shown_page,
        pages=pages,
        total=total,
        clamped=shown_page != requested,
        viewer=viewer,
        min_reviews=min_reviews,
    )


async def rank_of(
    db: Database,
    guild_id: int,
    period: Period,
    metric: Metric,
    deck_id: str | None,
    user_id: int,
    now: datetime,
) -> LeaderboardRow | None:
    """``user_id``'s row on the board (rank, value, answers), or None if not ranked."""
    board = await leaderboard_page(
        db, guild_id, period, metric, deck_id, 0, now, page_size=1, viewer_id=user_id
    )
    return board.viewer
