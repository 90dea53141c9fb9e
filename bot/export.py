"""The CSV export (``/quiz-admin export``): one row per learner and deck in a community.

Plain Python, no SQL and no discord import: the rows come from
:meth:`bot.services.reports.ReportService.export_pages`, which reads the per learner
and deck running totals in keyset pages (memory stays at one page).

Columns (:data:`HEADER`): ``user_id`` (the learner's platform id), ``name`` (the
display name at export time, given by the caller, empty if unknown), ``deck`` (the deck
id, stable even when a title changes), ``reviews``, ``correct``, ``accuracy`` (0..1,
four decimals), ``xp`` (earned in this community and deck), ``streak`` (the learner's
current streak as their stats show it today), ``last_active`` (last answer in this
community and deck, ISO 8601 UTC).

Then the learner's memory of the deck, from FSRS (see :mod:`bot.core.memory`), over the
deck's cards the learner last studied in this community (``cards``): ``recall`` (their
predicted recall now, the mean FSRS retrievability of those cards, 0..1, four
decimals; empty without cards), ``due_now`` (cards due now or overdue), ``due_7d``
(cards coming due over the next 7 days, not yet due now) and ``overdue_days`` (whole
days since the most overdue card fell due; 0 when none is due).
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterable, Iterable, Mapping
from datetime import UTC
from typing import TextIO

from bot.core.learner import Identity
from bot.core.reports import ExportRow

__all__ = [
    "CSV_ENCODING",
    "HEADER",
    "ExportRow",
    "safe_cell",
    "write_csv",
    "write_csv_async",
]

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
    "cards",
    "recall",
    "due_now",
    "due_7d",
    "overdue_days",
)

# Characters that make a spreadsheet treat a cell as a formula (or, for tab and
# carriage return, that some apps strip before looking for one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def _record(row: ExportRow, names: Mapping[Identity, str]) -> list[str | int]:
    memory = row.memory
    return [
        safe_cell(row.learner.external_id),
        safe_cell(names.get(row.learner, "")),
        safe_cell(row.deck_id),
        row.reviews,
        row.correct,
        f"{row.accuracy:.4f}",
        row.xp,
        row.streak,
        row.last_active.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        memory.cards,
        "" if memory.recall is None else f"{memory.recall:.4f}",
        memory.due_now,
        memory.due_soon,
        memory.overdue_days,
    ]


def write_csv(rows: Iterable[ExportRow], names: Mapping[Identity, str], out: TextIO) -> int:
    """Write :data:`HEADER` and one line per row to ``out``; return the rows written.

    ``names`` maps learners to display names; a missing one gets an empty name. Open
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
    rows: AsyncIterable[ExportRow], names: Mapping[Identity, str], out: TextIO
) -> int:
    """:func:`write_csv` for an async stream of rows."""
    writer = csv.writer(out)
    writer.writerow(HEADER)
    count = 0
    async for row in rows:
        writer.writerow(_record(row, names))
        count += 1
    return count
