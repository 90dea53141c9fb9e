"""CSV, TSV and plain-text exports (Anki's "Notes in Plain Text", Quizlet's export).

CSV/TSV: the first row names the columns (``COLUMNS``); each other row is a
card. ``.txt``: two fields per line, front and back, separated by a tab;
lines starting with ``#`` are Anki's header lines (``#separator:tab``,
``#html:true``, ``#tags column:3``...), which are read, or comments.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.decks import limits
from bot.decks.importers._common import (
    Draft,
    ImportFailed,
    Problems,
    derived_card_id,
    too_many_cards,
)
from bot.decks.importers.html import html_to_text
from bot.decks.models import CardType
from bot.decks.problems import DeckProblem, excerpt

COLUMNS = (
    "type",
    "id",
    "level",
    "front",
    "back",
    "question",
    "options",
    "answer",
    "explanation",
    "prompt",
    "hint",
    "concepts",
    "model_answer",
)
"""The columns a CSV or TSV header may name, in any order."""
_KEYS = {
    CardType.FLASHCARD: ("front", "back"),
    CardType.MCQ: ("question", "options", "answer", "explanation"),
    CardType.EXPLAIN: ("prompt", "hint", "concepts", "model_answer"),
}
_MAIN = {CardType.FLASHCARD: "front", CardType.MCQ: "question", CardType.EXPLAIN: "prompt"}
_OWNER = {key: kind for kind, keys in _KEYS.items() for key in keys}
_DEFAULT_LEVEL = "beginner"
_ANKI_SEPARATORS = {
    "tab": "\t",
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
    "space": " ",
    "colon": ":",
}
_ANKI_META_COLUMNS = ("tags", "deck", "notetype", "guid")


def decode_text(path: Path, data: bytes) -> str:
    """``data`` as UTF-8 text (a BOM is allowed), or ``ImportFailed`` with one line."""
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ImportFailed(DeckProblem(path, line, None, "binary data, not a text file"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        raise ImportFailed(DeckProblem(path, line, None, message)) from None


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of every row, a quoted field spanning lines included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _RowError(line, f"unreadable row: {error}") from None
        yield line, row
        line = reader.line_num + 1


class _RowError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def read_table(path: Path, data: bytes, delimiter: str, problems: Problems) -> list[Draft]:
    """The drafts of a CSV (``delimiter=","``) or TSV (``"\\t"``) file with a header row."""
    text = decode_text(path, data)
    rows = _rows(text, delimiter)
    try:
        header_row = next(rows, None)
        if header_row is None:
            raise ImportFailed(DeckProblem(path, 1, None, "the file is empty"))
        header = _header(path, header_row[1], delimiter)
        drafts: list[Draft] = []
        for line, row in rows:
            if not any(field.strip() for field in row):
                continue
            if len(drafts) >= limits.CARDS_MAX:
                raise ImportFailed(DeckProblem(path, line, None, too_many_cards()))
            if len(row) > len(header):
                message = f"the row has {len(row)} fields; the header names {len(header)} columns"
                problems.add(line, None, message)
                continue
            values = {name: field.strip() for name, field in zip(header, row, strict=False)}
            draft = _table_draft(values, line, problems)
            if draft is not None:
                drafts.append(draft)
    except _RowError as error:
        problems.add(error.line, None, error.message)
        return []
    return drafts


def _header(path: Path, row: list[str], delimiter: str) -> list[str]:
    separator = "tab" if delimiter == "\t" else f"'{delimiter}'"
    if len(row) > limits.CSV_COLUMNS_MAX:
        message = (
            f"the header row has {len(row):,} columns; at most {limits.CSV_COLUMNS_MAX} "
            f"are allowed (the columns are: {', '.join(COLUMNS)})"
        )
        raise ImportFailed(DeckProblem(path, 1, None, message))
    names = [name.strip().lower() for name in row]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        first = unknown[0]
        close = difflib.get_close_matches(first, COLUMNS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        message = (
            f"unknown column '{excerpt(first)}'{hint}; the first row must name the columns, "
            f"separated by {separator}, among: {', '.join(COLUMNS)}"
        )
        raise ImportFailed(DeckProblem(path, 1, None, message))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        message = f"column '{repeated[0]}' is named twice in the header"
        raise ImportFailed(DeckProblem(path, 1, None, message))
    if not {"front", "question", "prompt"} & set(names):
        message = "the header needs a 'front' column (or 'question' or 'prompt')"
        raise ImportFailed(DeckProblem(path, 1, None, message))
    return names


def _table_draft(values: dict[str, str], line: int, problems: Problems) -> Draft | None:
    written_type = values.get("type", "")
    if written_type:
        kind_text = written_type.lower()
    elif values.get("front"):
        kind_text = CardType.FLASHCARD
    elif values.get("question"):
        kind_text = CardType.MCQ
    else:
        kind_text = CardType.EXPLAIN if values.get("prompt") else CardType.FLASHCARD
    card_id = values.get("id", "")
    data: dict[str, Any] = {"type": kind_text, "level": values.get("level") or _DEFAULT_LEVEL}
    if kind_text not in _KEYS:
        # Let validation word the unknown type, with the text of the row's id.
        data["id"] = card_id or derived_card_id("".join(values.values()))
        return Draft(data, line, derived_id=not card_id)
    kind = CardType(kind_text)
    derived = not card_id
    main = values.get(_MAIN[kind], "")
    data["id"] = card_id or derived_card_id(main)
    for name, value in values.items():
        owner = _OWNER.get(name)
        if owner is not None and owner != kind and value:
            message = f"column '{name}' is for {owner.value} cards; this row is a {kind.value}"
            problems.add(line, data["id"], message)
    for key in _KEYS[kind]:
        value = values.get(key, "")
        if key == "hint" and not value:
            continue
        if key == "options":
            data[key] = [option.strip() for option in value.split("|") if option.strip()]
        elif key == "concepts":
            concepts = _concepts(value)
            if isinstance(concepts, str):
                problems.add(line, data["id"], concepts)
                return None
            data[key] = concepts
        else:
            data[key] = value
    return Draft(data, line, derived_id=derived)


def _concepts(text: str) -> list[dict[str, Any]] | str:
    """``name: keyword, keyword; name: keyword`` as concepts, or what is wrong with it."""
    concepts: list[dict[str, Any]] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        name, colon, keywords = part.partition(":")
        if not colon:
            return (
                f"concept '{excerpt(part.strip())}' has no keywords; "
                "write concepts as 'name: keyword, keyword; name: keyword'"
            )
        words = [word.strip() for word in keywords.split(",") if word.strip()]
        concepts.append({"name": name.strip(), "keywords": words})
    return concepts


def read_text_export(path: Path, data: bytes, problems: Problems) -> tuple[list[Draft], int]:
    """The drafts of a ``.txt`` export and the media references dropped from it."""
    text = decode_text(path, data)
    separator = "\t"
    html = False
    dropped: set[int] = set()  # 0-based columns of tags, deck, note type, guid
    anki = False
    body: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            key, colon, value = line[1:].partition(":")
            key, value = key.strip().lower(), value.strip()
            if not colon:
                continue
            if key == "separator":
                anki = True
                separator = _ANKI_SEPARATORS.get(value.lower(), value[:1] or "\t")
            elif key == "html":
                anki = True
                html = value.lower() == "true"
            elif key.endswith(" column") and key[: -len(" column")] in _ANKI_META_COLUMNS:
                anki = True
                if value.isdigit() and int(value) > 0:
                    dropped.add(int(value) - 1)
            continue
        body.append((number, line))

    media = 0
    drafts: list[Draft] = []
    lines: Iterator[tuple[int, list[str]]]
    if anki:
        # Anki quotes a field holding the separator, a quote or a line break, as CSV does.
        lines = _csv_lines(body, separator)
    else:
        lines = ((number, line.split(separator)) for number, line in body)
    try:
        for number, raw_fields in lines:
            fields = [field for index, field in enumerate(raw_fields) if index not in dropped]
            if not any(field.strip() for field in fields):
                continue
            if len(drafts) >= limits.CARDS_MAX:
                raise ImportFailed(DeckProblem(path, number, None, too_many_cards()))
            if len(fields) != 2:
                name = "tab" if separator == "\t" else f"'{separator}'"
                message = (
                    f"expected 2 fields separated by a {name} (front, back), found {len(fields)}"
                )
                problems.add(number, None, message)
                continue
            front, back = (field.strip() for field in fields)
            if html:
                front, front_media = html_to_text(front)
                back, back_media = html_to_text(back)
                media += front_media + back_media
            card = {
                "id": derived_card_id(front),
                "type": CardType.FLASHCARD.value,
                "level": _DEFAULT_LEVEL,
                "front": front,
                "back": back,
            }
            drafts.append(Draft(card, number, derived_id=True))
    except _RowError as error:
        problems.add(error.line, None, error.message)
        return [], media
    return drafts, media


def _csv_lines(body: list[tuple[int, str]], separator: str) -> Iterator[tuple[int, list[str]]]:
    """Rows of Anki's text export (``body``: its non-header lines with their numbers)."""
    numbers = [number for number, _ in body]
    text = "\n".join(line for _, line in body)
    for index_line, row in _rows(text, separator):
        yield numbers[index_line - 1] if index_line <= len(numbers) else numbers[-1], row
