"""Anki packages (``.apkg`` decks, ``.colpkg`` collections) read from their SQLite.

A package is a zip holding the collection: ``collection.anki21b`` (zstd
compressed, current Anki), ``collection.anki21`` or ``collection.anki2`` (older
Anki and genanki); the newest present is read. Note types, their fields and card
templates come from the ``notetypes``, ``fields`` and ``templates`` tables
(schema 15 and later, with protobuf ``config`` blobs) or from the ``col.models``
JSON (older schemas). Each row of ``cards`` becomes a flashcard: for a normal
note type its template rendered with the note's fields, for a cloze note type
the cloze number ``ord + 1``. HTML becomes Discord markdown and media are
dropped and counted (``bot.decks.importers.html``).

The collection is written to a private temporary file and opened read-only
(``immutable``), with table types checked and every query stopped after
``limits.ANKI_READ_SECONDS``: a crafted database can neither write anything nor
run for ever.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tempfile
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import zstandard

from bot.decks import limits
from bot.decks.importers._common import Draft, ImportFailed, too_many_cards
from bot.decks.importers.html import html_to_text
from bot.decks.models import CardType
from bot.decks.problems import DeckProblem

COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
"""Collection files of a package, the preferred first (a new export keeps a stub anki2)."""
_CHUNK = 1024 * 1024
_FIELD_SEPARATOR = "\x1f"
_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# Anki's convention: the answer side repeats the question, then ``<hr id=answer>``.
_ANSWER_RULE = re.compile(r"<hr[^>]*id\s*=\s*[\"']?answer[\"']?[^>]*>", re.IGNORECASE)
_SPECIAL_FIELDS = frozenset({"FrontSide", "Tags", "Type", "Deck", "Subdeck", "Card", "CardFlag"})


@dataclass(frozen=True)
class NoteType:
    """A note type: its fields by position, templates by ``ord`` and whether it is cloze."""

    name: str
    cloze: bool
    fields: tuple[str, ...]
    templates: dict[int, tuple[str, str]] = field(default_factory=dict)
    """ord -> (question format, answer format)."""


@dataclass
class AnkiDeck:
    """What a package gave: its deck name, card drafts and media references dropped."""

    name: str | None
    drafts: list[Draft]
    media_dropped: int


def read_package(path: Path, data: bytes) -> AnkiDeck:
    """Read an ``.apkg`` or ``.colpkg``; raises ``ImportFailed`` with one line if unreadable."""
    with tempfile.TemporaryDirectory(prefix="recall-anki-") as folder:
        collection = Path(folder) / "collection.sqlite"
        _unpack(path, data, collection)
        return _read_collection(path, collection)


def _fail(path: Path, message: str) -> ImportFailed:
    return ImportFailed(DeckProblem(path, 1, None, message))


def _unpack(path: Path, data: bytes, target: Path) -> None:
    """Write the package's collection to ``target``, refusing anything past the caps."""
    cap = limits.UNPACKED_BYTES_MAX
    cap_text = f"{cap // (1024 * 1024)} MiB"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            chosen = next((name for name in COLLECTIONS if name in names), None)
            if chosen is None:
                raise _fail(path, "not an Anki package: no collection.anki2/anki21/anki21b inside")
            info = package.getinfo(chosen)
            if info.file_size > cap:
                raise _fail(path, f"the collection inside unpacks to more than {cap_text}")
            with package.open(info) as member, target.open("wb") as out:
                if chosen.endswith("b"):
                    reader = zstandard.ZstdDecompressor().stream_reader(member)
                    _copy(path, reader, out, cap, cap_text)
                else:
                    _copy(path, member, out, cap, cap_text)
    except ImportFailed:
        raise
    except zstandard.ZstdError as error:
        raise _fail(path, f"the collection inside is not valid zstd data ({error})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise _fail(path, "not a zip file (an Anki package is one); is it damaged?") from None
    except (EOFError, zlib.error, OSError, ValueError) as error:
        raise _fail(path, f"the package is damaged: {error}") from None
    except (NotImplementedError, RuntimeError) as error:
        # An encrypted member or an unknown compression method.
        raise _fail(path, f"cannot unpack the package: {error}") from None


def _copy(path: Path, source: IO[bytes], out: IO[bytes], cap: int, cap_text: str) -> None:
    # Count what is actually produced: the sizes a zip declares may lie.
    written = 0
    while chunk := source.read(_CHUNK):
        written += len(chunk)
        if written > cap:
            raise _fail(path, f"the collection inside unpacks to more than {cap_text}")
        out.write(chunk)


def _read_collection(path: Path, collection: Path) -> AnkiDeck:
    uri = f"file:{quote(str(collection))}?mode=ro&immutable=1"
    # CPU time of this thread, not the wall clock: the bot imports uploads in a child
    # process below its own priority, which a busy machine may leave waiting; the
    # limit is on the work a crafted database makes, not on that wait.
    deadline = time.thread_time() + limits.ANKI_READ_SECONDS
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as error:
        raise _fail(path, f"cannot open the collection inside: {error}") from None
    try:
        connection.set_progress_handler(lambda: int(time.thread_time() > deadline), 10_000)
        connection.execute("PRAGMA trusted_schema = OFF")
        return _read_notes(path, connection)
    except sqlite3.OperationalError as error:
        if time.thread_time() > deadline:
            seconds = limits.ANKI_READ_SECONDS
            raise _fail(path, f"reading the collection took more than {seconds:g} s") from None
        raise _fail(path, f"not a readable Anki collection: {error}") from None
    except sqlite3.DatabaseError as error:
        raise _fail(path, f"the collection inside is not a readable database: {error}") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as error:
        raise _fail(path, f"not a readable Anki collection: {type(error).__name__}") from None
    finally:
        connection.close()


def _tables(connection: sqlite3.Connection) -> dict[str, str]:
    rows = connection.execute("SELECT name, type FROM sqlite_master").fetchall()
    return {str(name): str(kind) for name, kind in rows}


def _read_notes(path: Path, connection: sqlite3.Connection) -> AnkiDeck:
    tables = _tables(connection)
    new_schema = "notetypes" in tables
    needed = ["notes", "cards", *(["notetypes", "fields", "templates"] if new_schema else ["col"])]
    for name in needed:
        if tables.get(name) != "table":
            raise _fail(path, f"not an Anki collection: no '{name}' table")
    (count,) = connection.execute("SELECT count(*) FROM cards").fetchone()
    if count > limits.CARDS_MAX:
        raise _fail(path, too_many_cards(int(count)))
    note_types = _note_types_new(connection) if new_schema else _note_types_old(connection)
    deck_names = _deck_names(connection, tables)

    ords: dict[int, list[int]] = {}
    decks: Counter[int] = Counter()
    for nid, ord_, did in connection.execute("SELECT nid, ord, did FROM cards ORDER BY nid, ord"):
        ords.setdefault(int(nid), []).append(int(ord_))
        decks[int(did)] += 1

    drafts: list[Draft] = []
    media = 0
    rows = connection.execute("SELECT id, mid, flds FROM notes ORDER BY id")
    for nid, mid, flds in rows:
        note_id = int(nid)
        anchor = f"note {note_id}"
        note_type = note_types.get(int(mid))
        if note_type is None or note_id not in ords:
            if note_type is None:
                message = "the note's note type is missing from the collection"
                drafts.append(_broken(note_id, anchor, message))
            continue
        values = str(flds).split(_FIELD_SEPARATOR)
        fields = dict(zip(note_type.fields, values, strict=False))
        media += sum(html_to_text(value)[1] for value in values)
        for ord_ in ords[note_id]:
            drafts.append(_card(note_id, anchor, note_type, fields, ord_))
    deck_name: str | None = None
    if decks:
        # The deck most cards are in; "Default" only when it is the only one.
        ranked = sorted(decks, key=lambda did: (deck_names.get(did) == "Default", -decks[did]))
        deck_name = deck_names.get(ranked[0])
    return AnkiDeck(deck_name, drafts, media)


def _broken(note_id: int, anchor: str, message: str) -> Draft:
    return Draft({"id": f"n{note_id}"}, anchor=anchor, problem=message)


def _card(
    note_id: int, anchor: str, note_type: NoteType, fields: dict[str, str], ord_: int
) -> Draft:
    if note_type.cloze:
        number = ord_ + 1
        question_format, answer_format = note_type.templates.get(0, ("", ""))
        card_id = f"n{note_id}-c{number}"
    else:
        number = 0
        if ord_ not in note_type.templates:
            message = f"card template {ord_ + 1} is missing from note type '{note_type.name}'"
            return Draft({"id": f"n{note_id}-{ord_ + 1}"}, anchor=anchor, problem=message)
        question_format, answer_format = note_type.templates[ord_]
        card_id = f"n{note_id}" if len(note_type.templates) == 1 else f"n{note_id}-{ord_ + 1}"
    front_html = render(question_format, fields, cloze=number, answer=False)
    # Only what follows the answer rule: a flashcard's back shows its answer alone.
    back_html = _ANSWER_RULE.split(render(answer_format, fields, cloze=number, answer=True))[-1]
    front, _ = html_to_text(front_html)
    back, _ = html_to_text(back_html)
    data = {
        "id": card_id,
        "type": CardType.FLASHCARD.value,
        "level": "beginner",
        "front": front,
        "back": back,
    }
    return Draft(data, anchor=anchor)


def render(template: str, fields: dict[str, str], *, cloze: int, answer: bool) -> str:
    """An Anki card template with ``fields`` filled in (HTML in, HTML out).

    Handles ``{{Field}}``, filters (``{{text:Field}}``, ``{{cloze:Text}}``,
    ``{{type:Field}}``, ``{{hint:Field}}``, TTS and furigana ones), sections
    ``{{#Field}}…{{/Field}}`` and ``{{^Field}}…{{/Field}}``. ``{{FrontSide}}``
    is left empty: the back of a flashcard shows only the answer.
    """
    output: list[str] = []
    skipping: list[tuple[str, bool]] = []  # open sections: (field, shown)
    position = 0
    for match in _TAG.finditer(template):
        if all(shown for _, shown in skipping):
            output.append(template[position : match.start()])
        position = match.end()
        tag = match.group(1).strip()
        if tag[:1] in "#^":
            name = tag[1:].strip()
            present = bool(_plain(fields.get(name, "")))
            skipping.append((name, present if tag[0] == "#" else not present))
            continue
        if tag[:1] == "/":
            if skipping:
                skipping.pop()
            continue
        if not all(shown for _, shown in skipping):
            continue
        *filters, name = [part.strip() for part in tag.split(":")]
        if name in _SPECIAL_FIELDS or tag.startswith("tts"):
            continue
        value = fields.get(name, "")
        if "cloze" in filters:
            value = _cloze(value, cloze, answer=answer)
        elif "type" in filters and not answer:
            value = ""
        output.append(value)
    if all(shown for _, shown in skipping):
        output.append(template[position:])
    return "".join(output)


def _cloze(text: str, number: int, *, answer: bool) -> str:
    def replace(match: re.Match[str]) -> str:
        if int(match.group(1)) != number:
            return match.group(2)
        if answer:
            return f"<b>{match.group(2)}</b>"
        return f"[{match.group(3)}]" if match.group(3) else "[...]"

    return _CLOZE.sub(replace, text)


def _plain(html: str) -> str:
    return html_to_text(html)[0].strip()


def _note_types_old(connection: sqlite3.Connection) -> dict[int, NoteType]:
    row = connection.execute("SELECT models FROM col").fetchone()
    models = json.loads(row[0]) if row and row[0] else {}
    note_types: dict[int, NoteType] = {}
    for key, model in models.items():
        fields = sorted(model.get("flds", []), key=lambda item: int(item.get("ord", 0)))
        templates = {
            int(template.get("ord", index)): (
                str(template.get("qfmt", "")),
                str(template.get("afmt", "")),
            )
            for index, template in enumerate(model.get("tmpls", []))
        }
        note_types[int(key)] = NoteType(
            name=str(model.get("name", "")),
            cloze=int(model.get("type", 0)) == 1,
            fields=tuple(str(item.get("name", "")) for item in fields),
            templates=templates,
        )
    return note_types


def _note_types_new(connection: sqlite3.Connection) -> dict[int, NoteType]:
    fields: dict[int, list[str]] = {}
    for ntid, name in connection.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(int(ntid), []).append(str(name))
    templates: dict[int, dict[int, tuple[str, str]]] = {}
    for ntid, ord_, config in connection.execute("SELECT ntid, ord, config FROM templates"):
        # Notetype.Template.Config: string q_format = 1; string a_format = 2.
        parsed = dict(_protobuf_fields(bytes(config)))
        question = parsed.get(1, b"")
        answer = parsed.get(2, b"")
        templates.setdefault(int(ntid), {})[int(ord_)] = (
            question.decode() if isinstance(question, bytes) else "",
            answer.decode() if isinstance(answer, bytes) else "",
        )
    note_types: dict[int, NoteType] = {}
    for ntid, name, config in connection.execute("SELECT id, name, config FROM notetypes"):
        # Notetype.Config: Kind kind = 1 (0 normal, 1 cloze).
        kind = dict(_protobuf_fields(bytes(config))).get(1, 0)
        note_types[int(ntid)] = NoteType(
            name=str(name),
            cloze=kind == 1,
            fields=tuple(fields.get(int(ntid), [])),
            templates=templates.get(int(ntid), {}),
        )
    return note_types


def _deck_names(connection: sqlite3.Connection, tables: dict[str, str]) -> dict[int, str]:
    if tables.get("decks") == "table":
        rows = connection.execute("SELECT id, name FROM decks").fetchall()
        # Schema 15+ separates nested deck names with \x1f; Anki shows "::".
        return {int(did): str(name).replace(_FIELD_SEPARATOR, "::") for did, name in rows}
    row = connection.execute("SELECT decks FROM col").fetchone()
    decks: dict[str, Any] = json.loads(row[0]) if row and row[0] else {}
    return {int(did): str(deck.get("name", "")) for did, deck in decks.items()}


def _protobuf_fields(blob: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message's top-level varint and length fields.

    Enough of the wire format for Anki's ``config`` blobs; other wire types are
    skipped, and a malformed blob raises ``ValueError``.
    """
    position = 0

    def varint() -> int:
        nonlocal position
        result = shift = 0
        while True:
            if position >= len(blob) or shift > 63:
                raise ValueError("truncated protobuf varint")
            byte = blob[position]
            position += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    while position < len(blob):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, varint()
        elif wire == 2:
            length = varint()
            if position + length > len(blob):
                raise ValueError("truncated protobuf field")
            yield number, blob[position : position + length]
            position += length
        elif wire == 1:
            position += 8
        elif wire == 5:
            position += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
