"""The server leaderboard (``/leaderboard``): learners ranked by XP, streak or accuracy.

Plain Python, no discord import. Decisions, so the cog and the docs agree:

- **Periods are rolling windows** ending at ``now``: ``week`` is the last 7 × 24 h,
  ``month`` the last 30 × 24 h, ``all`` everything. A rolling window is the same for
  every moderator whatever their time zone, and the board is never empty on a Monday
  morning the way a calendar week would be. A review exactly at the start counts;
  a review after ``now`` does not, so a page is reproducible for a given ``now``.
  ``all`` reads the running totals of migrations V3 and V4, i.e. everything logged so far.
- **Who is on the board**: learners with at least one review logged in this server in
  the period (and in the deck, when one is chosen). Learners are global, reviews carry
  the guild, so every figure comes from the server's own reviews except the streak.
- **Metrics**: ``xp`` is XP earned in the period; ``accuracy`` is right answers over
  answers in the period, ranked only for learners with at least
  :data:`MIN_ACCURACY_REVIEWS` answers (one lucky answer is not 100 %); ``streak`` is
  the learner's current daily streak as ``/quiz stats`` shows it today in their own
  zone (:func:`bot.core.streaks.view`), a personal figure not tied to the server or deck.
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

from bot.core.clock import require_aware
from bot.storage.codec import to_epoch
from bot.storage.database import Database
from bot.storage.rollups import DAY_SECONDS, split

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


# The displayed streak in SQL, the same rules as bot.core.streaks.view: a streak is shown
# while the learner's today is at most ``alive_until``, the last active date plus one
# day plus the freezes held (migration V4 keeps it on guild_learners). ISO dates
# compare correctly as text; a NULL alive_until (no streak) compares to nothing: 0.
# Every zone's today is one of a few dates (:min_today..:max_today): only learners
# whose alive_until falls between them need their own zone's date looked up.
_STREAK_SQL = """CASE
        WHEN g.alive_until >= :max_today THEN g.streak
        WHEN g.alive_until IS NULL OR g.alive_until < :min_today THEN 0
        WHEN g.alive_until >= COALESCE(
            (SELECT z.today FROM zone_today z WHERE z.zone = g.time_zone), :utc_today)
            THEN g.streak
        ELSE 0
    END"""

# The accuracy ranking condition and value, spelled exactly as in the partial
# expression index guild_learners_accuracy (migration V4), which SQLite only uses for
# a query repeating them verbatim.
_ACCURACY_SQL = "CAST(correct AS REAL) / reviews"
_RANKED_SQL = f"reviews >= {MIN_ACCURACY_REVIEWS}"


def _window_agg_sql(*, deck: bool) -> str:
    """Answers, right answers and XP per learner in ``[:since, :until]`` (fixed SQL only)."""
    if deck:
        # One deck: the time-ordered covering index of the log, a third of the rows of
        # the server's. INDEXED BY because, without table statistics, SQLite prefers an
        # index that spares it the GROUP BY sort and would read the server's whole log
        # to find one week; it also makes a missing index an error, not a slowdown.
        return (
            "SELECT user_id, COUNT(*) AS reviews, SUM(correct) AS correct, SUM(xp) AS xp"
            " FROM reviews INDEXED BY reviews_guild_deck_time_cover"
            " WHERE guild_id = :guild AND deck_id = :deck"
            " AND reviewed_at >= :since AND reviewed_at <= :until GROUP BY user_id"
        )
    # Whole UTC days from the daily roll-up, the two partial edge days from the log
    # (bot.storage.rollups): the same sums as the log alone over the exact window.
    return """
        SELECT user_id, SUM(reviews) AS reviews, SUM(correct) AS correct, SUM(xp) AS xp
        FROM (
            SELECT user_id, reviews, correct, xp FROM guild_days
            WHERE guild_id = :guild AND day >= :first_bucket AND day < :end_bucket
            UNION ALL
            SELECT user_id, 1, correct, xp FROM reviews INDEXED BY reviews_guild_time_cover
            WHERE guild_id = :guild AND reviewed_at >= :since AND reviewed_at <= :head_end
            UNION ALL
            SELECT user_id, 1, correct, xp FROM reviews INDEXED BY reviews_guild_time_cover
            WHERE guild_id = :guild AND reviewed_at >= :tail_start AND reviewed_at <= :until
        ) GROUP BY user_id"""


def _scored_sql(metric: Metric, *, since: bool, deck: bool) -> tuple[str, bool]:
    """The ``scored`` rows (user_id, reviews, value) and whether to materialize them.

    Boards read straight off an index (all time, XP or accuracy) are left as a view that
    SQLite flattens into each use: the page is then the first rows of the index in
    board order, and a rank or the total a count over an index range. The others are
    computed once, grouped or joined, and read three times.
    """
    minimum = f" AND {_RANKED_SQL}" if metric is Metric.ACCURACY else ""
    if not since and not deck and metric is not Metric.STREAK:
        value = "xp" if metric is Metric.XP else _ACCURACY_SQL
        return (
            f"SELECT user_id, reviews, {value} AS value FROM guild_learners"
            f" WHERE guild_id = :guild{minimum}",
            False,
        )
    if not since and deck and metric is Metric.XP:
        # One deck, all time: the running totals' index in XP board order.
        return (
            "SELECT user_id, reviews, xp AS value FROM review_totals"
            " WHERE guild_id = :guild AND deck_id = :deck",
            False,
        )
    if since:
        agg = f"({_window_agg_sql(deck=deck)}) a"
    elif deck:
        agg = "review_totals a"
    else:
        agg = "guild_learners a"  # all decks, all time: one row per learner already
    where = "" if since else " AND a.guild_id = :guild" + (" AND a.deck_id = :deck" if deck else "")
    if metric is Metric.STREAK:
        # The streak copy on guild_learners: a narrow row of this server per learner
        # (for all decks and all time, the very row), not the global learners table.
        if agg == "guild_learners a":
            source, reviews = "guild_learners g", "g.reviews"
            where = where.replace("a.", "g.")
        else:
            source = f"{agg} JOIN guild_learners g ON g.guild_id = :guild AND g.user_id = a.user_id"
            reviews = "a.reviews"
        return (
            f"SELECT g.user_id, {reviews} AS reviews, {_STREAK_SQL} AS value"
            f" FROM {source} WHERE 1{where}",
            True,
        )
    if metric is Metric.XP:
        value, minimum = "a.xp", ""
    else:
        value, minimum = "CAST(a.correct AS REAL) / a.reviews", f" AND a.{_RANKED_SQL}"
    return f"SELECT a.user_id, a.reviews, {value} AS value FROM {agg} WHERE 1{where}{minimum}", True


def _board_sql(metric: Metric, *, since: bool, deck: bool) -> str:
    # Built from fixed fragments only: no user text is ever spliced into SQL.
    zones = ""
    if metric is Metric.STREAK:
        # The learner's "today" depends on their zone, which SQLite cannot convert;
        # Python passes today's date for every zone as a JSON object (zone -> date).
        # MATERIALIZED lets SQLite build an automatic index on it for the lookup.
        zones = (
            "zone_today(zone, today) AS MATERIALIZED (SELECT key, value FROM json_each(:zones)),"
        )
    scored, materialized = _scored_sql(metric, since=since, deck=deck)
    hint = "MATERIALIZED" if materialized else "NOT MATERIALIZED"
    return f"""
        WITH {zones}
        scored AS {hint} ({scored}),
        -- Ranking without window functions: each window over the whole board is a
        -- sort of every learner. Here there is one count, a top-k (or an index walk)
        -- for the page, and a count of better scores for the two rows whose rank
        -- cannot be read off their position (the first row of the page and the viewer).
        total AS (SELECT COUNT(*) AS n FROM scored),
        shown AS (
            -- Clamped here, where the total is known: a page past the end costs no
            -- second query.
            SELECT MIN(:page, MAX(n - 1, 0) / :size) AS page, n FROM total
        ),
        page_rows AS MATERIALIZED (
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


def _zone_dates(now: datetime) -> dict[str, str]:
    """Today's local date (ISO) in every known zone, for the streak query."""
    return {str(zone): now.astimezone(zone).date().isoformat() for zone in _zones()}


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
        params.update(split(to_epoch(start), to_epoch(now), DAY_SECONDS).params())
    if deck_id is not None:
        params["deck"] = deck_id
    if metric is Metric.STREAK:
        zones = _zone_dates(now)
        params["zones"] = json.dumps(zones)
        utc_today = now.date().isoformat()
        every = {*zones.values(), utc_today}
        params["utc_today"], params["min_today"], params["max_today"] = (
            utc_today,
            min(every),
            max(every),
        )
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
