"""The /quiz stats picture: activity by local day (both backends) and the PNG heatmap."""

from __future__ import annotations

import asyncio
import io
import struct
from datetime import UTC, date, datetime, timedelta

import matplotlib.image
import pytest

from bot.charts import (
    BACKGROUND,
    COLOURS,
    HEATMAP_SIZE_PX,
    TEXT_COLOURS,
    grid_start,
    heatmap_png,
    render_heatmap,
    totals_lines,
)
from bot.core.timezones import local_date, parse_zone
from tests.review_rows import (
    NOW,
    Env,
    Review,
    add_reviews,
    person,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_grid_starts_on_a_monday_weeks_back() -> None:
    today = date(2026, 3, 4)  # a Wednesday
    first = grid_start(today)
    assert first == date(2025, 12, 15)
    assert first.weekday() == 0
    assert (today - first).days == 11 * 7 + 2
    assert grid_start(date(2026, 3, 2), weeks=1) == date(2026, 3, 2)
    with pytest.raises(ValueError, match="weeks"):
        grid_start(today, weeks=0)


@pytest.mark.parametrize(
    ("zone", "late", "early"),
    [
        # 23:30 local on the 2nd and 00:30 local on the 3rd, as UTC instants.
        ("America/New_York", datetime(2026, 3, 3, 4, 30), datetime(2026, 3, 3, 5, 30)),
        ("Asia/Kolkata", datetime(2026, 3, 2, 18, 0), datetime(2026, 3, 2, 19, 0)),
        ("Asia/Kathmandu", datetime(2026, 3, 2, 17, 45), datetime(2026, 3, 2, 18, 45)),
        ("UTC", datetime(2026, 3, 2, 23, 30), datetime(2026, 3, 3, 0, 30)),
    ],
)
async def test_days_are_local_to_the_learner(
    env: Env, zone: str, late: datetime, early: datetime
) -> None:
    late, early = late.replace(tzinfo=UTC), early.replace(tzinfo=UTC)
    await add_reviews(env.store, [Review(1, at=late), Review(1, at=late), Review(1, at=early)])
    counts = await env.reports.activity(person(1), zone)
    assert counts[date(2026, 3, 2)] == 2
    assert counts[date(2026, 3, 3)] == 1
    assert sum(counts.values()) == 3


async def test_the_same_instants_fall_on_other_days_elsewhere(env: Env) -> None:
    # 23:30 in New York is already the next day in UTC.
    await add_reviews(env.store, [Review(1, at=datetime(2026, 3, 3, 4, 30, tzinfo=UTC))])
    assert (await env.reports.activity(person(1), parse_zone("America/New_York")))[
        date(2026, 3, 2)
    ] == 1
    assert (await env.reports.activity(person(1), "UTC"))[date(2026, 3, 3)] == 1


async def test_every_grid_day_up_to_today_and_nothing_else(env: Env) -> None:
    first = grid_start(NOW.date())
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    await add_reviews(
        env.store,
        [
            Review(1, at=start - timedelta(seconds=1)),  # before the grid
            Review(1, at=start),  # its first second
            Review(1, at=NOW),
            Review(1, at=NOW + timedelta(seconds=1)),  # after now
            Review(2, at=NOW),  # someone else
        ],
    )
    counts = await env.reports.activity(person(1), "UTC")
    assert min(counts) == first
    assert max(counts) == NOW.date()
    assert len(counts) == (NOW.date() - first).days + 1
    assert counts[first] == 1
    assert counts[NOW.date()] == 1
    assert sum(counts.values()) == 2


def test_png_is_decodable_and_sized() -> None:
    today = date(2026, 3, 4)
    counts = {today - timedelta(days=i): i % 5 for i in range(90)}
    data = render_heatmap(counts, today)
    assert png_size(data) == HEATMAP_SIZE_PX == (800, 250)
    pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (250, 800)
    # Some cells are the busiest level's bright green (#39d353), so the counts were drawn.
    busiest = (pixels[..., 0] * 255).round() == 0x39
    busiest &= (pixels[..., 1] * 255).round() == 0xD3
    assert busiest.sum() > 100


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_heatmap_is_drawn_for_dark_mode() -> None:
    data = render_heatmap({date(2026, 3, 4): 3}, date(2026, 3, 4))
    pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
    corner = tuple(round(float(c) * 255) for c in pixels[0, 0, :3])
    assert corner == tuple(int(BACKGROUND[i : i + 2], 16) for i in (1, 3, 5))
    assert _luminance(BACKGROUND) < 0.05  # a dark card, not a white one in a dark client
    # Text passes WCAG AA on it; activity levels get brighter, each one distinguishable.
    assert all(_contrast(colour, BACKGROUND) >= 4.5 for colour in TEXT_COLOURS)
    levels = [_luminance(colour) for colour in COLOURS[1:]]
    assert levels == sorted(levels)
    assert _contrast(COLOURS[-1], BACKGROUND) >= 4.5


def test_heatmap_totals_are_singular_for_one() -> None:
    day = date(2026, 3, 4)
    assert totals_lines({day: 1}) == ("1 review", "1 active day", "Best day: 1 review on 4 Mar")
    assert totals_lines({day: 2, day - timedelta(days=1): 3}) == (
        "5 reviews",
        "2 active days",
        "Best day: 3 reviews on 3 Mar",
    )
    assert totals_lines({}) == ("0 reviews", "0 active days", None)


async def test_renders_in_threads_concurrently(env: Env) -> None:
    today = date(2026, 3, 4)
    results = await asyncio.gather(
        *(
            asyncio.to_thread(render_heatmap, {today - timedelta(days=n): n}, today)
            for n in range(4)
        )
    )
    assert all(png_size(data) == (800, 250) for data in results)
    assert len(set(results)) == 4  # each drew its own counts

    await add_reviews(env.store, [Review(1, at=NOW)])
    paris = parse_zone("Europe/Paris")
    counts = await env.reports.activity(person(1), paris)
    assert sum(counts.values()) == 1
    assert png_size(await heatmap_png(counts, local_date(NOW, paris))) == (800, 250)
