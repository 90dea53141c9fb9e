"""The activity picture of ``/quiz stats``: a GitHub-style calendar heatmap as a PNG.

Plain Python, no discord import, no SQL: :func:`render_heatmap` is a pure function of
the counts per day (:class:`bot.services.reports.ReportService` reads them). Rendering
is CPU work of tens of milliseconds, so callers run it with ``asyncio.to_thread``
(:func:`heatmap_png` does). It uses ``matplotlib.figure.Figure`` with the Agg canvas directly and
never ``pyplot``, whose global "current figure" state is not safe across threads.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Mapping
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.core.reports import WEEKS, grid_start

__all__ = [
    "BACKGROUND",
    "COLOURS",
    "HEATMAP_SIZE_PX",
    "TEXT_COLOURS",
    "WEEKS",
    "grid_start",
    "heatmap_png",
    "render_heatmap",
    "totals_lines",
]

_DPI = 100
_FIGSIZE_IN = (8.0, 2.5)
HEATMAP_SIZE_PX = (800, 250)
"""Width and height of the PNG."""

# Drawn on Discord's dark embed colour with GitHub's dark palette (no activity, then
# four levels), so that the picture sits in the dark theme most people use instead of
# glaring as a white card; the levels get brighter with activity, and every text
# colour has a contrast ratio above 4.5:1 on the background (WCAG AA), which also
# keeps it readable when the light theme shows it as an opaque dark card.
_BACKGROUND = "#2b2d31"
_COLOURS = ("#3f4147", "#0e4429", "#006d32", "#26a641", "#39d353")
_TEXT = "#f2f3f5"
_MUTED = "#b5bac1"

BACKGROUND = _BACKGROUND
COLOURS = _COLOURS
TEXT_COLOURS = (_TEXT, _MUTED)

# matplotlib does not promise thread safety even for separate figures (its font
# cache and text layout are shared), and renders are short: one at a time.
_RENDER_LOCK = threading.Lock()


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

    with _RENDER_LOCK:
        fig = Figure(figsize=_FIGSIZE_IN, dpi=_DPI, facecolor=_BACKGROUND)
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
        headline, active_line, best_line = totals_lines(shown)
        fig.text(0.62, 0.72, headline, fontsize=16, color=_TEXT, weight="bold")
        fig.text(0.62, 0.60, f"in the last {weeks} weeks", fontsize=10, color=_MUTED)
        fig.text(0.62, 0.42, active_line, fontsize=10, color=_TEXT)
        if best_line:
            fig.text(0.62, 0.30, best_line, fontsize=10, color=_TEXT)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=_DPI, facecolor=_BACKGROUND)
    return buffer.getvalue()


def totals_lines(shown: Mapping[date, int]) -> tuple[str, str, str | None]:
    """The picture's words: ``12 reviews``, ``1 active day``, ``Best day: 5 reviews on
    2 Mar`` (None without any review)."""
    total = sum(shown.values())
    active = sum(1 for n in shown.values() if n)
    peak = max(shown.values(), default=0)
    best = None
    if peak:
        day = max(shown, key=lambda d: (shown[d], d))
        best = f"Best day: {_count(peak, 'review')} on {day.day} {day:%b}"
    return _count(total, "review"), _count(active, "active day"), best


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


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


async def heatmap_png(counts: Mapping[date, int], today: date, weeks: int = WEEKS) -> bytes:
    """:func:`render_heatmap` in a worker thread, off the event loop."""
    return await asyncio.to_thread(render_heatmap, counts, today, weeks)
