"""The leaderboard's SQL: one page of a community's board and the viewer's rank.

The rules (periods, metrics, ties, paging) are :mod:`bot.core.leaderboard`'s; two of
them are repeated here for speed and held to their Python copies by tests: the
displayed streak (compared with ``alive_until``, :func:`bot.core.streaks.alive_until`)
and :data:`~bot.core.leaderboard.MIN_ACCURACY_REVIEWS` (:func:`ranked_sql`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.leaderboard import MIN_ACCURACY_REVIEWS, Metric
from bot.core.learner import Identity, Platform
from bot.storage.reports._sql import bind, hint, real
from bot.storage.rollups import Split
from bot.storage.script import Dialect, Script, rows

__all__ = ["BoardQuery", "RawBoard", "RawRow", "accuracy_sql", "board", "ranked_sql"]


def accuracy_sql(dialect: Dialect, prefix: str = "") -> str:
    """A learner's share of right answers, as a double on both backends (PostgreSQL's
    REAL is a 4-byte float, which would rank shares SQLite tells apart as ties)."""
    return f"CAST({prefix}correct AS {real(dialect)}) / {prefix}reviews"


def ranked_sql(prefix: str = "") -> str:
    """The accuracy board's minimum (:data:`~bot.core.leaderboard.MIN_ACCURACY_REVIEWS`)."""
    return f"{prefix}reviews >= {MIN_ACCURACY_REVIEWS}"


@dataclass(frozen=True, slots=True)
class BoardQuery:
    """What one page asks for, in storage terms (internal ids, unix seconds)."""

    community_id: int
    metric: Metric
    deck_id: str | None
    window: Split | None
    """The period's range split into roll-up days and log edges; None for all time."""
    page: int
    size: int
    viewer_id: int | None
    zones: str = "{}"
    """Streak only: JSON object of every zone's today (ISO date)."""
    utc_today: str = ""
    min_today: str = ""
    max_today: str = ""


@dataclass(frozen=True, slots=True)
class RawRow:
    """A learner's row as the database ranks it (rank None: read off the position)."""

    learner_id: int
    """Recall's id: the last tie-break of the board order."""
    learner: Identity
    reviews: int
    value: int | float
    rank: int | None


@dataclass(frozen=True, slots=True)
class RawBoard:
    """One page as read, before the ranks of the page's rows are filled in."""

    rows: list[RawRow]
    viewer: RawRow | None
    first_rank: int
    page: int
    total: int


# The displayed streak, the same rules as bot.core.streaks.view: a streak is shown
# while the learner's today is at most ``alive_until`` (the last active date plus one
# day plus the freezes held, stored on learners with each answer). ISO dates
# compare correctly as text; a NULL alive_until (no streak) compares to nothing: 0.
# Every zone's today is one of a few dates (:min_today..:max_today): only learners
# whose alive_until falls between them need their own zone's date looked up.
def _streak_sql(dialect: Dialect) -> str:
    # SQLite looks the zone's date up per learner in the automatic index it builds on
    # the materialized zone_today; PostgreSQL builds no such index and would scan the
    # ~600 zones per learner, so there zone_today is hash-joined in (:func:`_scored`).
    today = (
        "(SELECT z.today FROM zone_today z WHERE z.zone = l.time_zone)"
        if dialect is Dialect.SQLITE
        else "z.today"
    )
    return f"""CASE
        WHEN l.streak_alive_until >= :max_today THEN l.streak
        WHEN l.streak_alive_until IS NULL OR l.streak_alive_until < :min_today THEN 0
        WHEN l.streak_alive_until >= COALESCE({today}, :utc_today) THEN l.streak
        ELSE 0
    END"""


def _window_agg(dialect: Dialect, *, deck: bool) -> str:
    """Answers, right answers and XP per learner in ``[:since, :until]``."""
    if deck:
        # One deck: the time-ordered covering index of the log, a third of the rows.
        return (
            "SELECT learner_id, COUNT(*) AS reviews, SUM(correct) AS correct, SUM(xp) AS xp"
            f" FROM reviews{hint(dialect, 'reviews_community_deck_time_cover')}"
            " WHERE community_id = :community AND deck_id = :deck"
            " AND reviewed_at >= :since AND reviewed_at <= :until GROUP BY learner_id"
        )
    # Whole UTC days from the daily roll-up, the two partial edge days from the log
    # (bot.storage.rollups): the same sums as the log alone over the exact window.
    log = hint(dialect, "reviews_community_time_cover")
    return f"""
        SELECT learner_id, SUM(reviews) AS reviews, SUM(correct) AS correct, SUM(xp) AS xp
        FROM (
            SELECT learner_id, reviews, correct, xp FROM community_days
            WHERE community_id = :community AND day >= :first_bucket AND day < :end_bucket
            UNION ALL
            SELECT learner_id, 1, correct, xp FROM reviews{log}
            WHERE community_id = :community AND reviewed_at >= :since
              AND reviewed_at <= :head_end
            UNION ALL
            SELECT learner_id, 1, correct, xp FROM reviews{log}
            WHERE community_id = :community AND reviewed_at >= :tail_start
              AND reviewed_at <= :until
        ) w GROUP BY learner_id"""


def _scored(dialect: Dialect, metric: Metric, *, since: bool, deck: bool) -> str:
    """The ``scored`` rows (learner_id, reviews, value).

    Computed once (grouped, joined or read off a primary-key range of the roll-ups)
    and read three times: for the total, the page and the two ranks. No board is an
    index walk any more: an index in board order moved an entry with every answer
    (migration V11); the all-time boards read the community's roll-up rows instead,
    as the streak board always did.
    """
    if since:
        agg = f"({_window_agg(dialect, deck=deck)}) a"
    elif deck:
        agg = "review_totals a"
    else:
        agg = "community_learners a"  # all decks, all time: one row per learner already
    where = (
        ""
        if since
        else " AND a.community_id = :community" + (" AND a.deck_id = :deck" if deck else "")
    )
    if metric is Metric.STREAK:
        # The streak is the learner's own (learners, by primary key), read for the
        # community's rows only: no copy per community for each answer to keep
        # (migration V11 dropped it and its trigger).
        source = f"{agg} JOIN learners l ON l.id = a.learner_id"
        if dialect is Dialect.POSTGRES:
            source += " LEFT JOIN zone_today z ON z.zone = l.time_zone"
        return (
            f"SELECT a.learner_id, a.reviews, {_streak_sql(dialect)} AS value"
            f" FROM {source} WHERE 1 = 1{where}"
        )
    if metric is Metric.XP:
        value, minimum = "a.xp", ""
    else:
        value, minimum = accuracy_sql(dialect, "a."), f" AND {ranked_sql('a.')}"
    return (
        f"SELECT a.learner_id, a.reviews, {value} AS value FROM {agg} WHERE 1 = 1{where}{minimum}"
    )


def _board_sql(dialect: Dialect, metric: Metric, *, since: bool, deck: bool) -> str:
    # Built from fixed fragments only: no user text is ever spliced into SQL.
    zones = ""
    if metric is Metric.STREAK:
        # The learner's "today" depends on their zone; Python passes today's date for
        # every zone as a JSON object (zone -> date), so both backends use the same
        # zone rules (Python's). MATERIALIZED lets SQLite index it for the lookup.
        source = (
            "SELECT key, value FROM json_each(:zones)"
            if dialect is Dialect.SQLITE
            else "SELECT key, value FROM json_each_text(CAST(:zones AS json))"
        )
        zones = f"zone_today(zone, today) AS MATERIALIZED ({source}),"
    scored = _scored(dialect, metric, since=since, deck=deck)
    return f"""
        WITH {zones}
        scored AS MATERIALIZED ({scored}),
        -- Ranking without window functions: each window over the whole board is a
        -- sort of every learner. Here there is one count, a top-k for the page, and a
        -- count of better scores for the two rows whose rank cannot be read off their
        -- position (the first row of the page and the viewer).
        total AS (SELECT COUNT(*) AS n FROM scored),
        shown AS (
            -- Clamped here, where the total is known: a page past the end costs no
            -- second query. (CASE, not MIN/LEAST: one text for both dialects.)
            SELECT CASE WHEN n = 0 THEN 0
                        WHEN :page < (n - 1) / :size THEN :page
                        ELSE (n - 1) / :size END AS page, n
            FROM total
        ),
        page_rows AS MATERIALIZED (
            SELECT learner_id, reviews, value FROM scored
            ORDER BY value DESC, reviews DESC, learner_id
            LIMIT :size OFFSET (SELECT page FROM shown) * :size
        )
        SELECT 'row' AS kind, p.learner_id, l.platform, l.external_id, p.reviews, p.value,
               NULL AS rank
        FROM page_rows p JOIN learners l ON l.id = p.learner_id
        UNION ALL
        SELECT 'viewer', v.learner_id, l.platform, l.external_id, v.reviews, v.value,
               1 + (SELECT COUNT(*) FROM scored s WHERE s.value > v.value)
        FROM scored v JOIN learners l ON l.id = v.learner_id WHERE v.learner_id = :viewer
        UNION ALL
        SELECT 'first', NULL, NULL, NULL, NULL, NULL,
               1 + (SELECT COUNT(*) FROM scored s
                    WHERE s.value > (SELECT MAX(value) FROM page_rows))
        UNION ALL
        SELECT 'meta', NULL, NULL, NULL, n, page, NULL FROM shown
    """


def board(query: BoardQuery) -> Script[RawBoard]:
    """One page of the community's board and the viewer's row (see :class:`BoardQuery`)."""
    since = query.window is not None
    deck = query.deck_id is not None
    params: dict[str, object] = {
        "community": query.community_id,
        "page": query.page,
        "size": query.size,
        # No viewer: an id no learner has (a NULL would need a cast on PostgreSQL).
        "viewer": -1 if query.viewer_id is None else query.viewer_id,
        "deck": query.deck_id,
        "zones": query.zones,
        "utc_today": query.utc_today,
        "min_today": query.min_today,
        "max_today": query.max_today,
    }
    if query.window is not None:
        params.update(query.window.params())
    sql, args = bind(
        lambda d: _board_sql(d, query.metric, since=since, deck=deck),
        params,
    )
    found = yield from rows(sql, *args)

    def value_of(raw: int | float) -> int | float:
        return float(raw) if query.metric is Metric.ACCURACY else int(raw)

    def raw_row(r: object, rank: int | None) -> RawRow:
        return RawRow(
            int(r["learner_id"]),  # type: ignore[index]
            Identity(Platform(r["platform"]), str(r["external_id"])),  # type: ignore[index]
            int(r["reviews"]),  # type: ignore[index]
            value_of(r["value"]),  # type: ignore[index]
            rank,
        )

    page_rows: list[RawRow] = []
    viewer: RawRow | None = None
    first_rank, page, total = 1, 0, 0
    for r in found:
        kind = r["kind"]
        if kind == "row":
            page_rows.append(raw_row(r, None))
        elif kind == "viewer":
            viewer = raw_row(r, int(r["rank"]))
        elif kind == "first":
            first_rank = int(r["rank"])
        else:
            total, page = int(r["reviews"]), int(r["value"])
    return RawBoard(page_rows, viewer, first_rank, page, total)
