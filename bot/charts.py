"""The activity picture of ``/quiz stats``: a GitHub-style calendar heatmap as a PNG.

Plain Python, no discord import. :func:`activity_by_day` counts a learner's answers
per local day; :func:`render_heatmap` draws them. Rendering is CPU work of tens of
milliseconds, so the cog runs it with ``asyncio.to_thread`` (:func:`activity_png`
does both). It uses ``matplotlib.figure.Figure`` with the Agg canvas directly and
never ``pyplot``, whose global "current figure" state is not safe across threads.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.core.clock import require_aware
from bot.core.timezones import local_date, parse_zone
from bot.storage.codec import to_epoch
from bot.storage.database import Database
from bot.storage.rollups import HOUR_SECONDS, split

__all__ = [
    "HEATMAP_SIZE_PX",
    "WEEKS",
    "activity_by_day",
    "activity_png",
    "grid_start",
    "render_heatmap",
    "server_activity_by_day",
    "server_activity_png",
]

WEEKS = 12
"""Weeks shown by default (the issue asks for the last 12)."""

_DPI = 100
_FIGSIZE_IN = (8.0, 2.5)
HEATMAP_SIZE_PX = (800, 250)
"""Width and height of the PNG."""

# GitHub's light palette: no activity, then four levels.
_COLOURS = ("#ebedf0", "#9be9a8", "#40c463", "#30a14e", "#216e39")
_TEXT = "#24292f"
_MUTED = "#57606a"

# Reviews are bucketed by quarter hour: every zone offset in use today is a multiple
# of 15 minutes and changes on a quarter hour, so all the instants of one bucket share
# a local date. The hourly roll-up of migration V4 holds each hour's four quarter
# counts, so a learner's 12 weeks are at most 2,016 rows, however many answers.
_BUCKET_SECONDS = 900
_QUARTERS = 4

# matplotlib does not promise thread safety even for separate figures (its font
# cache and text layout are shared), and renders are short: one at a time.
_RENDER_LOCK = threading.Lock()


def grid_start(today: date, weeks: int = WEEKS) -> date:
    """The Monday that starts the grid: ``weeks`` columns, the last one holding ``today``."""
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)


def _zone(zone: ZoneInfo | str) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else parse_zone(zone)


async def activity_by_day(
    db: Database, user_id: int, zone: ZoneInfo | str, now: datetime, weeks: int = WEEKS
) -> dict[date, int]:
    """Answers per local day in ``zone``, for every day of the grid up to today (zeros too).

    Days run from :func:`grid_start` to today's date in ``zone``; answers after ``now``
    are not counted. The learner's whole history is counted, across servers.
    """
    tz = _zone(zone)
    now = require_aware(now, "now")
    today = local_date(now, tz)
    first = grid_start(today, weeks)
    start = datetime.combine(first, time(0), tzinfo=tz)
    window = split(to_epoch(start), to_epoch(now), HOUR_SECONDS)
    # Whole hours from the roll-up; the partial first and last hours from the log.
    hours = await db.fetchall(
        "SELECT hour, q0, q1, q2, q3 FROM learner_hours"
        " WHERE user_id = :user AND hour >= :first_bucket AND hour < :end_bucket",
        {"user": user_id, **window.params()},
    )
    # Two range scans: with an OR of the ranges SQLite reads the learner's whole log.
    edges = await db.fetchall(
        "SELECT reviewed_at / :bucket AS q, COUNT(*) AS n FROM ("
        " SELECT reviewed_at FROM reviews INDEXED BY reviews_user_time_cover"
        " WHERE user_id = :user AND reviewed_at >= :since AND reviewed_at <= :head_end"
        " UNION ALL"
        " SELECT reviewed_at FROM reviews INDEXED BY reviews_user_time_cover"
        " WHERE user_id = :user AND reviewed_at >= :tail_start AND reviewed_at <= :until"
        ") GROUP BY q",
        {"bucket": _BUCKET_SECONDS, "user": user_id, **window.params()},
    )
    counts = {first + timedelta(days=i): 0 for i in range((today - first).days + 1)}

    def day_of(quarter: int) -> date:
        # The same date as local_date(from_epoch(...), tz) in one C call: this runs up
        # to twice per hour of the grid, and the heatmap is on the reply's path.
        return datetime.fromtimestamp(quarter * _BUCKET_SECONDS, tz).date()

    def add(quarter: int, n: int) -> None:
        day = day_of(quarter)
        if day in counts:
            counts[day] += n

    for row in hours:
        base = int(row["hour"]) * _QUARTERS
        quarters = (int(row["q0"]), int(row["q1"]), int(row["q2"]), int(row["q3"]))
        # An hour usually lies within one local day: two zone conversions, not four.
        if day_of(base) == day_of(base + _QUARTERS - 1):
            add(base, sum(quarters))
        else:
            for k, n in enumerate(quarters):
                if n:
                    add(base + k, n)
    for row in edges:
        add(int(row["q"]), int(row["n"]))
    return counts


async def server_activity_by_day(
    db: Database, guild_id: int, user_id: int, now: datetime, weeks: int = WEEKS
) -> dict[date, int]:
    """Answers per UTC day in one server, for every day of the grid up to today (zeros too).

    What a moderator sees of a member: the learner's own zone is theirs (their
    stats alone use it), so these days are UTC days, read whole from the
    per-server day sums of migration V4 (``guild_days``).
    """
    now = require_aware(now, "now")
    today = now.astimezone(UTC).date()
    first = grid_start(today, weeks)
    epoch_day = date(1970, 1, 1)
    rows = await db.fetchall(
        "SELECT day, reviews FROM guild_days"
        " WHERE guild_id = ? AND user_id = ? AND day >= ? AND day <= ?",
        (guild_id, user_id, (first - epoch_day).days, (today - epoch_day).days),
    )
    counts = {first + timedelta(days=i): 0 for i in range((today - first).days + 1)}
    for row in rows:
        counts[epoch_day + timedelta(days=int(row["day"]))] = int(row["reviews"])
    return counts


def _level(count: int, peak: int) -> int:
    # Relative to the learner's own busiest day, like GitHub: four equal steps.
    if count <= 0 or peak <= 0:
        return 0
    return min(4, max(1, -(-4 * count // peak)))


def _month_labels(first: date, weeks: int) -> list[tuple[int, str]]:
    # Like GitHub: a label over the first column whose Monday is in a new month.
    labels: list[tuple[int, str]] = []
    for col in range(weeks):
        monday = first + timedelta(weeks=col)
        if not labels or monday.strftime("%b") != labels[-1][1]:
            labels.append((col, monday.strftime("%b")))
    # The first column's month is dropped when the next label would overlap it.
    if len(labels) >= 2 and labels[1][0] - labels[0][0] < 2:
        labels.pop(0)
    return labels


def render_heatmap(counts: Mapping[date, int], today: date, weeks: int = WEEKS) -> bytes:
    """A PNG of ``counts`` as a 7 × ``weeks`` calendar grid, :data:`HEATMAP_SIZE_PX` pixels.

    Columns are weeks (Monday at the top), the last one holds ``today``; days after
    today are left blank. Includes month labels, Mon/Wed/Fri labels, a Less→More
    legend and totals. Thread-safe: call it with ``asyncio.to_thread``.
    """
    first = grid_start(today, weeks)
    days = [first + timedelta(days=i) for i in range(weeks * 7)]
    shown = {day: max(0, int(counts.get(day, 0))) for day in days if day <= today}
    peak = max(shown.values(), default=0)
    total = sum(shown.values())
    active = sum(1 for n in shown.values() if n)

    with _RENDER_LOCK:
        fig = Figure(figsize=_FIGSIZE_IN, dpi=_DPI, facecolor="white")
        FigureCanvasAgg(fig)
        grid = fig.add_axes((0.07, 0.14, 0.5, 0.66))
        grid.set_xlim(-0.5, weeks - 0.5)
        grid.set_ylim(6.5, -0.5)  # row 0 (Monday) at the top
        grid.set_aspect("equal")
        grid.axis("off")
        for day in days:
            col, row = (day - first).days // 7, day.weekday()
            if day > today:
                continue
            grid.add_patch(
                Rectangle(
                    (col - 0.42, row - 0.42),
                    0.84,
                    0.84,
                    facecolor=_COLOURS[_level(shown[day], peak)],
                    edgecolor="none",
                )
            )
        for col, label in _month_labels(first, weeks):
            grid.text(col - 0.42, -0.9, label, fontsize=8, color=_MUTED, va="bottom")
        for row, label in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
            grid.text(-0.8, row, label, fontsize=8, color=_MUTED, ha="right", va="center")

        _legend(fig)
        fig.text(0.62, 0.72, f"{total} reviews", fontsize=16, color=_TEXT, weight="bold")
        fig.text(0.62, 0.60, f"in the last {weeks} weeks", fontsize=10, color=_MUTED)
        fig.text(0.62, 0.42, f"{active} active days", fontsize=10, color=_TEXT)
        if peak:
            best = max(shown, key=lambda d: (shown[d], d))
            fig.text(0.62, 0.30, f"Best day: {peak} on {best:%d %b}", fontsize=10, color=_TEXT)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=_DPI, facecolor="white")
    return buffer.getvalue()


def _legend(fig: Figure) -> None:
    legend = fig.add_axes((0.36, 0.03, 0.21, 0.08))
    legend.set_xlim(-2.2, len(_COLOURS) + 1.6)
    legend.set_ylim(-0.5, 0.5)
    legend.set_aspect("equal")
    legend.axis("off")
    for i, colour in enumerate(_COLOURS):
        legend.add_patch(
            Rectangle((i - 0.42, -0.42), 0.84, 0.84, facecolor=colour, edgecolor="none")
        )
    legend.text(-0.7, 0, "Less", fontsize=8, color=_MUTED, ha="right", va="center")
    legend.text(len(_COLOURS) - 0.3, 0, "More", fontsize=8, color=_MUTED, va="center")


async def activity_png(
    db: Database, user_id: int, zone: ZoneInfo | str, now: datetime, weeks: int = WEEKS
) -> bytes:
    """Count and render in one call; the drawing runs in a worker thread."""
    tz = _zone(zone)
    counts = await activity_by_day(db, user_id, tz, now, weeks)
    return await asyncio.to_thread(render_heatmap, counts, local_date(now, tz), weeks)


async def server_activity_png(
    db: Database, guild_id: int, user_id: int, now: datetime, weeks: int = WEEKS
) -> bytes:
    """:func:`server_activity_by_day` drawn in a worker thread."""
    counts = await server_activity_by_day(db, guild_id, user_id, now, weeks)
    return await asyncio.to_thread(render_heatmap, counts, now.astimezone(UTC).date(), weeks)
