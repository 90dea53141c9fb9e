"""Build the Anki fixtures of ``tests/test_imports.py`` (a dev script, not run by the tests).

``python tests/data/imports/make_fixtures.py`` rewrites the ``.apkg`` and
``.colpkg`` files here with genanki (a dev dependency), which writes Anki's
legacy ``collection.anki2`` (schema 11: note types as JSON in ``col.models``).
``mixed-anki21b.apkg`` is converted from ``mixed.apkg`` the way current Anki
stores a collection: schema-18 ``notetypes``/``fields``/``templates``/``decks``
tables with protobuf ``config`` blobs, ``col.models`` emptied, the database
zstd-compressed as ``collection.anki21b``, next to a stub ``collection.anki2``
that asks for a newer Anki (what Anki 23.10+ exports). The CSV, TSV and text
files here are written by hand in the formats of those exporters.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import genanki
import zstandard

HERE = Path(__file__).resolve().parent
TIMESTAMP = 1_700_000_000.0  # fixed, so that note and card ids are the same on every run
DECK_ID = 2_059_400_110


def _write(deck: genanki.Deck, name: str) -> Path:
    path = HERE / name
    genanki.Package(deck).write_to_file(str(path), timestamp=TIMESTAMP)
    return path


def basic() -> Path:
    """Basic notes with HTML and media references."""
    deck = genanki.Deck(DECK_ID, "Spanish::Basics")
    notes = [
        ("<b>hola</b>", "hello <i>(greeting)</i>"),
        ("el perro<br>[sound:perro.mp3]", 'the dog <img src="dog.png">'),
        ("<div>Colours</div><ul><li>rojo</li><li>azul</li></ul>", "red, blue"),
        ("gracias &amp; adiós", "thanks &amp; goodbye"),
    ]
    for front, back in notes:
        deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=[front, back]))
    return _write(deck, "basic.apkg")


def mixed() -> Path:
    """One deck of Basic, Basic-and-reversed and Cloze notes."""
    deck = genanki.Deck(DECK_ID + 1, "Biology")
    deck.add_note(
        genanki.Note(model=genanki.BASIC_MODEL, fields=["Cell powerhouse?", "Mitochondria"])
    )
    deck.add_note(
        genanki.Note(
            model=genanki.BASIC_AND_REVERSED_CARD_MODEL,
            fields=["DNA", "<b>d</b>eoxyribonucleic acid"],
        )
    )
    deck.add_note(
        genanki.Note(
            model=genanki.CLOZE_MODEL,
            fields=[
                "{{c1::Photosynthesis}} happens in the {{c2::chloroplast::organelle}}.",
                "Plants <i>only</i>",
            ],
        )
    )
    return _write(deck, "mixed.apkg")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _text_field(number: int, text: str) -> bytes:
    data = text.encode()
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def to_schema18(source: Path) -> None:
    """Rewrite the schema-11 collection at ``source`` in place as schema 18 stores it."""
    db = sqlite3.connect(source)
    models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    db.executescript(
        """
        CREATE TABLE notetypes (id integer NOT NULL PRIMARY KEY, name text NOT NULL,
          mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL);
        CREATE TABLE fields (ntid integer NOT NULL, ord integer NOT NULL, name text NOT NULL,
          config blob NOT NULL, PRIMARY KEY (ntid, ord)) without rowid;
        CREATE TABLE templates (ntid integer NOT NULL, ord integer NOT NULL, name text NOT NULL,
          mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL,
          PRIMARY KEY (ntid, ord)) without rowid;
        CREATE TABLE decks (id integer PRIMARY KEY NOT NULL, name text NOT NULL,
          mtime_secs integer NOT NULL, usn integer NOT NULL, common blob NOT NULL,
          kind blob NOT NULL);
        """
    )
    for key, model in models.items():
        # Notetype.Config: kind = 1 (varint), css = 3 (string).
        config = _varint(1 << 3 | 0) + _varint(int(model["type"])) + _text_field(3, model["css"])
        db.execute(
            "INSERT INTO notetypes VALUES (?, ?, 0, 0, ?)", (int(key), model["name"], config)
        )
        for field in model["flds"]:
            db.execute(
                "INSERT INTO fields VALUES (?, ?, ?, x'')", (int(key), field["ord"], field["name"])
            )
        for template in model["tmpls"]:
            # Notetype.Template.Config: q_format = 1, a_format = 2.
            blob = _text_field(1, template["qfmt"]) + _text_field(2, template["afmt"])
            db.execute(
                "INSERT INTO templates VALUES (?, ?, ?, 0, 0, ?)",
                (int(key), template["ord"], template["name"], blob),
            )
    for key, deck in decks.items():
        name = deck["name"].replace("::", "\x1f")
        db.execute("INSERT INTO decks VALUES (?, ?, 0, 0, x'', x'')", (int(key), name))
    db.execute("UPDATE col SET models = '', decks = '', ver = 18")
    db.commit()
    db.close()


def anki21b(source: Path, name: str) -> None:
    """``source`` (a genanki package) converted to a current Anki export."""
    with tempfile.TemporaryDirectory() as folder:
        collection = Path(folder) / "collection.anki21b"
        with zipfile.ZipFile(source) as package:
            collection.write_bytes(package.read("collection.anki2"))
        to_schema18(collection)
        compressed = zstandard.ZstdCompressor().compress(collection.read_bytes())
        stub = _stub(Path(folder))
    with zipfile.ZipFile(HERE / name, "w", zipfile.ZIP_STORED) as out:
        out.writestr("collection.anki2", stub)
        out.writestr("collection.anki21b", compressed)
        out.writestr("media", zstandard.ZstdCompressor().compress(b""))


def _stub(folder: Path) -> bytes:
    deck = genanki.Deck(1, "Default")
    please = "Please update to the latest Anki version, then import the .colpkg/.apkg file again."
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=[please, ""]))
    stub = folder / "stub.apkg"
    genanki.Package(deck).write_to_file(str(stub), timestamp=TIMESTAMP)
    with zipfile.ZipFile(stub) as package:
        return package.read("collection.anki2")


def main() -> None:
    """Write every Anki fixture."""
    basic()
    source = mixed()
    shutil.copy(source, HERE / "mixed.colpkg")
    anki21b(source, "mixed-anki21b.apkg")


if __name__ == "__main__":
    main()
