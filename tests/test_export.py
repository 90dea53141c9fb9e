"""The CSV export: rows per learner and deck, streaming in pages, safe for spreadsheets
(both backends)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.learner import Identity
from bot.core.memory import LearnerMemory
from bot.export import CSV_ENCODING, HEADER, ExportRow, safe_cell, write_csv, write_csv_async
from tests.review_rows import (
    GUILD,
    NOW,
    OTHER_GUILD,
    Env,
    Review,
    add_learner,
    add_reviews,
    person,
    server,
)


async def collect(env: Env, batch_size: int = 500) -> list[ExportRow]:
    return [row async for row in env.reports.export_rows(server(GUILD), batch_size=batch_size)]


async def export_csv(
    env: Env, names: dict[Identity, str], out: io.StringIO, batch_size: int = 500
) -> int:
    rows = env.reports.export_rows(server(GUILD), batch_size=batch_size)
    return await write_csv_async(rows, names, out)


def uid(row: ExportRow) -> int:
    return int(row.learner.external_id)


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


async def test_one_row_per_learner_and_deck(env: Env) -> None:
    today = NOW.date()
    await add_learner(env.store, 7, streak=3, last_active=today)
    await add_learner(env.store, 5, streak=9, last_active=today - timedelta(days=3))  # broken
    await add_reviews(
        env.store,
        [
            Review(7, deck_id="beta", xp=4, at=NOW - timedelta(days=2)),
            Review(7, deck_id="alpha", xp=10, correct=False, at=NOW - timedelta(days=40)),
            Review(7, deck_id="alpha", xp=20, at=NOW - timedelta(hours=1)),
            Review(5, deck_id="alpha", xp=1, at=NOW - timedelta(days=3)),
            Review(5, deck_id="alpha", xp=99, guild_id=OTHER_GUILD),
        ],
    )
    rows = await collect(env)
    # In Recall's learner order (7 was created first), then by deck.
    assert [(uid(r), r.deck_id, r.reviews, r.correct, r.xp, r.streak) for r in rows] == [
        (7, "alpha", 2, 1, 30, 3),
        (7, "beta", 1, 1, 4, 3),
        (5, "alpha", 1, 1, 1, 0),
    ]
    assert rows[0].last_active == NOW - timedelta(hours=1)
    assert rows[0].accuracy == 0.5


@pytest.mark.parametrize(
    ("zone", "now", "alive"),
    [
        # 11:00 UTC on 03-04 is 01:00 on 03-05 in Kiritimati (UTC+14): 03-04 was missed.
        ("Pacific/Kiritimati", datetime(2026, 3, 4, 11, 0, tzinfo=UTC), False),
        # 03:00 UTC on 03-05 is 22:00 on 03-04 in New York: 03-04 is still running there.
        ("America/New_York", datetime(2026, 3, 5, 3, 0, tzinfo=UTC), True),
    ],
)
async def test_streak_column_uses_each_learners_date(
    env: Env, zone: str, now: datetime, alive: bool
) -> None:
    # Both last studied on 03-03 (their local date); they differ only in their zone.
    await add_learner(env.store, 7, zone=zone, streak=4, last_active=date(2026, 3, 3))
    await add_learner(env.store, 8, zone="UTC", streak=4, last_active=date(2026, 3, 3))
    await add_reviews(env.store, [Review(7, at=now - timedelta(hours=30)), Review(8, at=now)])
    rows = [row async for row in env.at(now).export_rows(server(GUILD))]
    streaks = {uid(row): row.streak for row in rows}
    assert streaks == {7: 4 if alive else 0, 8: 0 if alive else 4}


async def test_pages_smaller_than_the_result_give_every_row_once(env: Env) -> None:
    # 23 learners × 2 decks = 46 rows, read 5 at a time.
    await add_reviews(
        env.store, [Review(u, deck_id=d, xp=u) for u in range(1, 24) for d in ("alpha", "beta")]
    )
    pages = [page async for page in env.reports.export_pages(server(GUILD), batch_size=5)]
    rows = [row for page in pages for row in page]
    assert len(rows) == 46
    assert [(uid(r), r.deck_id) for r in rows] == sorted(
        (u, d) for u in range(1, 24) for d in ("alpha", "beta")
    )
    # Ten pages (one read each) of at most five rows: the log is never read whole.
    assert [len(page) for page in pages] == [5] * 9 + [1]
    assert await collect(env, batch_size=1000) == rows


async def test_an_exact_multiple_of_the_batch_ends_cleanly(env: Env) -> None:
    await add_reviews(env.store, [Review(u) for u in range(1, 7)])
    assert len(await collect(env, batch_size=3)) == 6
    assert len(await collect(env, batch_size=1)) == 6


async def test_csv_round_trip_with_hostile_names(env: Env) -> None:
    names = {
        person(1): "Smith, John",
        person(2): 'The "Quoted" One',
        person(3): "two\nlines",
        person(4): '=HYPERLINK("http://evil","x")',
        person(5): "+1+1",
        person(6): "-2",
        person(7): "@SUM(A1)",
        person(8): "\tTabbed",
        person(9): "Zoë 🎉",
        # 10: no name known
    }
    await add_reviews(env.store, [Review(u, xp=u, correct=u % 2 == 0) for u in range(1, 11)])
    out = io.StringIO(newline="")
    count = await export_csv(env, names, out, batch_size=4)
    assert count == 10
    table = parse(out.getvalue())
    assert table[0] == list(HEADER)
    assert len(table) == 11
    expected_names = [
        "Smith, John",
        'The "Quoted" One',
        "two\nlines",
        '\'=HYPERLINK("http://evil","x")',
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        "'\tTabbed",
        "Zoë 🎉",
        "",
    ]
    for user, (line, name) in enumerate(zip(table[1:], expected_names, strict=True), start=1):
        assert line == [
            str(user),
            name,
            "alpha",
            "1",
            str(int(user % 2 == 0)),
            f"{float(user % 2 == 0):.4f}",
            str(user),
            "0",
            "2026-03-04T12:00:00Z",
            *("0", "", "0", "0", "0"),  # no card memory stored by these direct reviews
        ]
    # Encoded for Excel, the text survives the trip.
    data = out.getvalue().encode(CSV_ENCODING)
    assert data.startswith(b"\xef\xbb\xbf")
    assert parse(data.decode(CSV_ENCODING)) == table


def test_write_csv_from_a_plain_iterable() -> None:
    row = ExportRow(
        learner=person(42),
        deck_id="alpha",
        reviews=3,
        correct=2,
        xp=25,
        streak=4,
        last_active=NOW,
        memory=LearnerMemory(cards=6, recall=0.81234, due_now=2, due_soon=3, overdue_days=4),
    )
    out = io.StringIO(newline="")
    assert write_csv([row], {person(42): "Ann"}, out) == 1
    assert parse(out.getvalue())[1] == [
        "42",
        "Ann",
        "alpha",
        "3",
        "2",
        "0.6667",
        "25",
        "4",
        "2026-03-04T12:00:00Z",
        "6",
        "0.8123",
        "2",
        "3",
        "4",
    ]


async def test_empty_server_gives_a_header_only(env: Env) -> None:
    await add_reviews(env.store, [Review(1, guild_id=OTHER_GUILD)])
    out = io.StringIO(newline="")
    assert await export_csv(env, {}, out) == 0
    assert parse(out.getvalue()) == [list(HEADER)]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\r\n", "'\r\n"),
        ("", ""),
    ],
)
def test_safe_cell(text: str, safe: str) -> None:
    assert safe_cell(text) == safe


async def test_bad_batch_size_is_refused(env: Env) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        await collect(env, batch_size=0)
