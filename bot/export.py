"""The CSV export (``/quiz-admin export``): one row per learner and deck in a server.

Plain Python, no discord import. The review log can be millions of rows, so it is
never loaded: :func:`export_rows` reads the per learner and deck running totals
(``review_totals``, migration V3, kept by triggers on the log) in keyset-paginated
batches over ``(user_id, deck_id)``, each batch one primary-key seek that does not
slow down as the export moves on the way ``OFFSET`` would. Memory stays at one batch.

Columns (:data:`HEADER`): ``user_id``, ``name`` (the display name at export time,
given by the caller, empty if unknown), ``deck`` (the deck id, stable even when a
title changes), ``reviews``, ``correct``, ``accuracy`` (0..1, four decimals), ``xp``
(earned in this server and deck), ``streak`` (the learner's current streak as
``/quiz stats`` shows it today), ``last_active`` (last answer in this server and deck,
ISO 8601 UTC).
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.core.clock import require_aware
from bot.core.streaks import StreakState
from bot.core.streaks import view as streak_view
from bot.core.timezones import InvalidTimeZone, local_date, parse_zone
from bot.storage.codec import from_epoch
from bot.storage.database import Database

__all__ = [
    "BATCH_SIZE",
    "CSV_ENCODING",
    "HEADER",
    "ExportRow",
    "export_csv",
    "export_rows",
    "safe_cell",
    "write_csv",
    "write_csv_async",
]

BATCH_SIZE = 500
"""(learner, deck) rows read per query."""

CSV_ENCODING = "utf-8-sig"
"""Encode the CSV text with this: the BOM makes Excel read names as UTF-8."""

HEADER = (
    "user_id",
    "name",
    "deck",
    "reviews",
    "correct",
    "accuracy",
    "xp",
    "streak",
    "last_active",
)

# Characters that make a spreadsheet treat a cell as a formula (or, for tab and
# carriage return, that some apps strip before looking for one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_MIN_USER_ID = -(2**63)  # below every SQLite integer: the keyset before the first row


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One learner's results in one deck of the server."""

    user_id: int
    deck_id: str
    reviews: int
    correct: int
    xp: int
    streak: int
    last_active: datetime

    @property
    def accuracy(self) -> float:
        """Share of right answers (a row exists only once there is an answer)."""
        return self.correct / self.reviews if self.reviews else 0.0


# Keyset pagination over the running totals' primary key (migration V3): each
# batch is one seek, however far into the server the export has got.
_BATCH_SQL = """
    SELECT t.user_id, t.deck_id, t.reviews, t.correct, t.xp, t.last_at,
           l.time_zone, l.streak, l.best_streak, l.freezes, l.last_active_date
    FROM review_totals t
    LEFT JOIN learners l ON l.user_id = t.user_id
    WHERE t.guild_id = :guild AND (t.user_id, t.deck_id) > (:after_user, :after_deck)
    ORDER BY t.user_id, t.deck_id
    LIMIT :limit
"""


class _Today:
    """Today's local date per zone name, computed once per export."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._dates: dict[str, date] = {}

    def __call__(self, zone_name: str | None) -> date:
        key = zone_name or "UTC"
        if key not in self._dates:
            try:
                zone = parse_zone(key)
            except InvalidTimeZone:
                zone = ZoneInfo("UTC")  # a stored zone this host no longer knows
            self._dates[key] = local_date(self._now, zone)
        return self._dates[key]


async def export_rows(
    db: Database, guild_id: int, now: datetime, *, batch_size: int = BATCH_SIZE
) -> AsyncIterator[ExportRow]:
    """Every (learner, deck) of the server, ordered by user id then deck id, in batches."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    today = _Today(require_aware(now, "now"))
    after: tuple[int, str] = (_MIN_USER_ID, "")
    while True:
        params = {"guild": guild_id, "after_user": after[0], "after_deck": after[1]}
        batch = await db.fetchall(_BATCH_SQL, {**params, "limit": batch_size})
        for r in batch:
            yield _export_row(r, today)
        if len(batch) < batch_size:
            return
        after = (int(batch[-1]["user_id"]), str(batch[-1]["deck_id"]))


def _export_row(r: sqlite3.Row, today: _Today) -> ExportRow:
    streak = 0
    if r["streak"] is not None:  # None: the learner row is gone (LEFT JOIN)
        last = r["last_active_date"]
        state = StreakState(
            current=r["streak"],
            best=r["best_streak"],
            freezes=r["freezes"],
            last_active=date.fromisoformat(last) if last else None,
        )
        streak = streak_view(state, today(r["time_zone"])).current
    return ExportRow(
        user_id=int(r["user_id"]),
        deck_id=str(r["deck_id"]),
        reviews=int(r["reviews"]),
        correct=int(r["correct"]),
        xp=int(r["xp"]),
        streak=streak,
        last_active=from_epoch(int(r["last_at"])),
    )


def safe_cell(text: str) -> str:
    """``text`` made safe for a spreadsheet: a leading formula character gets a ``'``.

    Display names are chosen by the learners themselves, and a moderator opens the file
    in Excel, LibreOffice or Google Sheets, which run a cell starting with ``=``, ``+``,
    ``-`` or ``@`` as a formula (CSV injection: ``=HYPERLINK(...)`` can leak the sheet,
    DDE formulas can run commands). A leading apostrophe is the spreadsheets' own
    "this is text" marker: the cell then shows the name as typed. Commas, quotes and
    newlines need no care here: the csv module quotes them.
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _record(row: ExportRow, names: Mapping[int, str]) -> list[str | int]:
    return [
        row.user_id,
        safe_cell(names.get(row.user_id, "")),
        safe_cell(row.deck_id),
        row.reviews,
        row.correct,
        f"{row.accuracy:.4f}",
        row.xp,
        row.streak,
        row.last_active.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]


def write_csv(rows: Iterable[ExportRow], names: Mapping[int, str], out: TextIO) -> int:
    """Write :data:`HEADER` and one line per row to ``out``; return the rows written.

    ``names`` maps user ids to display names; a missing id gets an empty name. Open
    files with ``newline=""`` (the csv module writes ``\\r\\n`` itself).
    """
    writer = csv.writer(out)
    writer.writerow(HEADER)
    count = 0
    for row in rows:
        writer.writerow(_record(row, names))
        count += 1
    return count


async def write_csv_async(
    rows: AsyncIterable[ExportRow], names: Mapping[int, str], out: TextIO
) -> int:
    """:func:`write_csv` for an async stream such as :func:`export_rows`."""
    writer = csv.writer(out)
    writer.writerow(HEADER)
    count = 0
    async for row in rows:
        writer.writerow(_record(row, names))
        count += 1
    return count


async def export_csv(
    db: Database,
    guild_id: int,
    names: Mapping[int, str],
    out: TextIO,
    now: datetime,
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Stream the server's export into ``out`` as CSV; return the number of data rows."""
    return await write_csv_async(export_rows(db, guild_id, now, batch_size=batch_size), names, out)
