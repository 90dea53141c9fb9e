"""Deck importers (``bot.decks.importers``) and ``python -m bot import``.

The Anki fixtures were written by genanki (``tests/data/imports/make_fixtures.py``);
``mixed-anki21b.apkg`` is the same collection as current Anki stores it.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import genanki
import pytest
import zstandard

from bot.__main__ import main
from bot.decks import limits, load_deck_file
from bot.decks.importers import ImportResult, deck_id_for, derived_card_id, import_deck
from bot.decks.importers.anki import render
from bot.decks.importers.html import html_to_text
from bot.decks.loader import load_deck_bytes
from bot.decks.models import CardType, ExplainCard, FlashCard, McqCard
from tests.conftest import CONTENT_DIR, REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "data" / "imports"
ALL_FIXTURES = sorted(
    path.name
    for path in FIXTURES.iterdir()
    if path.suffix in {".apkg", ".colpkg", ".csv", ".tsv", ".txt"}
)


def imported(name: str) -> ImportResult:
    return import_deck(name, (FIXTURES / name).read_bytes())


def lines(result: ImportResult) -> list[str]:
    return [str(problem) for problem in result.problems]


def fronts(result: ImportResult) -> list[str]:
    assert result.deck is not None, lines(result)
    return [card.front for card in result.deck.cards if isinstance(card, FlashCard)]


def apkg(
    tmp_path: Path, notes: list[tuple[genanki.Model, list[str]]], name: str = "t.apkg"
) -> bytes:
    deck = genanki.Deck(1_234_567, "Test deck")
    for model, fields in notes:
        deck.add_note(genanki.Note(model=model, fields=fields))
    path = tmp_path / name
    genanki.Package(deck).write_to_file(str(path), timestamp=1_700_000_000.0)
    return path.read_bytes()


def zipped(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in members.items():
            package.writestr(name.replace("_", "."), content)
    return buffer.getvalue()


# Anki


def test_basic_notes_become_flashcards_with_markdown_and_media_counted() -> None:
    result = imported("basic.apkg")
    assert result.problems == ()
    assert result.deck is not None
    assert (result.deck.id, result.deck.title) == ("basic", "Spanish::Basics")
    assert fronts(result) == ["**hola**", "el perro", "Colours\n- rojo\n- azul", "gracias & adiós"]
    assert [card.back for card in result.deck.cards] == [  # type: ignore[union-attr]
        "hello *(greeting)*",
        "the dog",
        "red, blue",
        "thanks & goodbye",
    ]
    assert result.media_dropped == 2  # [sound:perro.mp3] and <img src="dog.png">
    assert result.counts == {CardType.FLASHCARD: 4, CardType.MCQ: 0, CardType.EXPLAIN: 0}
    assert result.summary() == "basic: 4 flashcards; 2 media references dropped"


def test_reversed_notes_give_one_card_per_template_and_cloze_one_per_number() -> None:
    result = imported("mixed.apkg")
    assert result.deck is not None, lines(result)
    cards = {card.id: card for card in result.deck.cards if isinstance(card, FlashCard)}
    note = "n1700000000002"
    assert (cards[f"{note}-1"].front, cards[f"{note}-1"].back) == (
        "DNA",
        "**d**eoxyribonucleic acid",
    )
    assert (cards[f"{note}-2"].front, cards[f"{note}-2"].back) == (
        "**d**eoxyribonucleic acid",
        "DNA",
    )
    cloze = "n1700000000005"
    assert cards[f"{cloze}-c1"].front == "[...] happens in the chloroplast."
    assert cards[f"{cloze}-c2"].front == "Photosynthesis happens in the [organelle]."
    assert (
        cards[f"{cloze}-c2"].back == "Photosynthesis happens in the **chloroplast**.\nPlants *only*"
    )
    assert len(cards) == 5


@pytest.mark.parametrize("name", ["mixed.colpkg", "mixed-anki21b.apkg"])
def test_colpkg_and_zstd_anki21b_give_the_same_deck(name: str) -> None:
    legacy, other = imported("mixed.apkg"), imported(name)
    assert other.deck is not None, lines(other)
    assert legacy.deck is not None
    assert other.deck.title == "Biology"
    assert other.deck.cards == legacy.deck.cards


def test_anki21b_is_preferred_to_the_stub_anki2() -> None:
    # Current Anki puts a one-note "please update" collection.anki2 beside the real one.
    result = imported("mixed-anki21b.apkg")
    assert not any("Please update" in front for front in fronts(result))


def test_anki_problem_is_named_by_its_note_id(tmp_path: Path) -> None:
    data = apkg(
        tmp_path, [(genanki.BASIC_MODEL, ["Front", ""]), (genanki.BASIC_MODEL, ["Ok", "Yes"])]
    )
    result = import_deck("Empty Back.apkg", data)
    assert result.deck is None
    assert lines(result) == [
        "Empty Back.apkg:note 1700000000000: n1700000000000: 'back' must not be empty"
    ]


def test_type_in_the_answer_shows_the_answer_on_the_back(tmp_path: Path) -> None:
    data = apkg(
        tmp_path, [(genanki.BASIC_TYPE_IN_THE_ANSWER_MODEL, ["Capital of France?", "Paris"])]
    )
    result = import_deck("t.apkg", data)
    assert result.deck is not None, lines(result)
    card = result.deck.cards[0]
    assert isinstance(card, FlashCard)
    assert (card.front, card.back) == ("Capital of France?", "Paris")


def test_template_sections_and_filters() -> None:
    fields = {"Front": "Q", "Extra": "", "Back": "A"}
    template = "{{Front}}{{#Extra}} ({{Extra}}){{/Extra}}{{^Extra}} none{{/Extra}} {{text:Back}}"
    assert render(template, fields, cloze=0, answer=False) == "Q none A"
    assert (
        render("{{FrontSide}}<hr id=answer>{{Back}}", fields, cloze=0, answer=True)
        == "<hr id=answer>A"
    )


# CSV, TSV and text exports


def test_csv_front_back_with_quoted_commas_and_line_breaks() -> None:
    result = imported("vocab.csv")
    assert fronts(result) == ["hola", "el perro, the dog", "adiós"]
    assert result.deck is not None
    assert result.deck.cards[2].back == "goodbye\n(formal: hasta luego)"  # type: ignore[union-attr]


def test_derived_ids_are_the_same_on_every_import() -> None:
    first, again = imported("vocab.csv"), imported("vocab.csv")
    assert first.deck is not None and again.deck is not None
    ids = [card.id for card in first.deck.cards]
    assert ids == [card.id for card in again.deck.cards]
    assert ids[0] == derived_card_id("hola") and ids[0].startswith("hola-")
    assert ids[2].startswith("adios-")


def test_tsv_of_every_card_type() -> None:
    result = imported("mixed.tsv")
    assert result.deck is not None, lines(result)
    flash, mcq, explain = result.deck.cards
    assert isinstance(flash, FlashCard) and flash.id == "wsgi"
    assert (
        isinstance(mcq, McqCard) and mcq.options == ("WSGI", "ASGI", "CGI") and mcq.answer == "ASGI"
    )
    assert isinstance(explain, ExplainCard)
    assert [(c.name, c.keywords) for c in explain.concepts] == [
        ("sync vs async", ("synchronous", "asynchronous")),
        ("protocols", ("websocket", "http")),
    ]
    assert explain.level == "advanced" and explain.hint == "Think about concurrency."
    assert result.summary() == "mixed: 1 flashcard, 1 mcq, 1 explain"


def test_quizlet_export() -> None:
    result = imported("quizlet.txt")
    assert fronts(result) == ["casa", "perro", "gato", "buenos días"]


def test_anki_text_export_reads_its_headers() -> None:
    # #html:true converts the HTML; "#tags column:3" drops the tags; a quoted field
    # may hold the separator.
    result = imported("anki-notes.txt")
    assert fronts(result) == ["**hola**", "uno dos"]
    assert result.deck is not None
    assert result.deck.cards[0].back == "hello\nhi"  # type: ignore[union-attr]
    assert result.media_dropped == 1


def test_csv_problems_name_file_line_and_card() -> None:
    data = (
        b"type,id,front,back,question,options,answer,explanation\n"
        b"flashcard,ok,Front,Back,,,,\n"
        b"mcq,pick,,,Which?,A|B,C,Because\n"
        b"flashcard,,Front only,,,,,\n"
        b"quiz,odd,F,B,,,,\n"
    )
    assert lines(import_deck("class.csv", data)) == [
        "class.csv:3: pick: answer 'C' is not one of the options: A, B",
        f"class.csv:4: {derived_card_id('Front only')}: 'back' must not be empty",
        "class.csv:5: odd: unknown card type 'quiz'; use flashcard, mcq or explain",
    ]


def test_csv_duplicate_rows_are_reported_with_both_lines() -> None:
    result = import_deck("d.csv", b"front,back\nsame,one\nsame,two\n")
    assert lines(result) == [
        f"d.csv:3: {derived_card_id('same')}: duplicate card id '{derived_card_id('same')}' "
        "(first at line 2); the same text twice? give the cards an id column"
    ]


def test_unknown_column_is_one_line_with_a_hint() -> None:
    result = import_deck("d.csv", b"front,bakc\na,b\n")
    assert lines(result) == [
        "d.csv:1: -: unknown column 'bakc' (did you mean 'back'?); the first row must name "
        "the columns, separated by ',', among: type, id, level, front, back, question, "
        "options, answer, explanation, prompt, hint, concepts, model_answer"
    ]


def test_text_line_without_two_fields() -> None:
    result = import_deck("q.txt", b"# a comment\ncasa\thouse\nno tab here\n")
    assert lines(result) == [
        "q.txt:3: -: expected 2 fields separated by a tab (front, back), found 1"
    ]


# Hostile input: one line each, no traceback


def test_csv_of_100000_columns_is_one_line() -> None:
    data = (",".join(f"c{n}" for n in range(100_000)) + "\n").encode()
    assert lines(import_deck("wide.csv", data)) == [
        "wide.csv:1: -: the header row has 100,000 columns; at most 50 are allowed (the columns "
        "are: type, id, level, front, back, question, options, answer, explanation, prompt, "
        "hint, concepts, model_answer)"
    ]


@pytest.mark.parametrize(
    ("name", "data", "line"),
    [
        ("garbage.csv", bytes(range(256)) * 20, "garbage.csv:1: -: binary data, not a text file"),
        (
            "latin1.csv",
            b"front,back\ncaf\xe9,x\n",
            "latin1.csv:2: -: not UTF-8 text (byte 0xe9); save the file as UTF-8",
        ),
        (
            "garbage.apkg",
            b"\x89PNG not a zip",
            "garbage.apkg:1: -: not a zip file (an Anki package is one); is it damaged?",
        ),
        (
            "empty.apkg",
            zipped(media=b"{}"),
            "empty.apkg:1: -: not an Anki package: no collection.anki2/anki21/anki21b inside",
        ),
        ("corrupt.apkg", zipped(collection_anki2=b"SQLite format 3\x00" + b"\xff" * 5000), None),
        ("notsql.apkg", zipped(collection_anki21=b"hello" * 1000), None),
        ("badzstd.apkg", zipped(collection_anki21b=b"not zstd at all"), None),
        (
            "deck.pdf",
            b"%PDF",
            "deck.pdf:1: -: unknown file type; use one of "
            ".apkg, .colpkg, .csv, .tsv, .txt, .yaml, .yml",
        ),
        (
            "big.csv",
            b"x" * (limits.IMPORT_BYTES_MAX + 1),
            "big.csv:1: -: the file is 8.0 MiB; at most 8 MiB",
        ),
    ],
)
def test_hostile_file_is_one_line(name: str, data: bytes, line: str | None) -> None:
    result = import_deck(name, data)
    assert result.deck is None
    assert len(result.problems) == 1, lines(result)
    if line is not None:
        assert lines(result) == [line]
    else:
        assert lines(result)[0].startswith(f"{name}:1: -: ")


def test_zip_bomb_is_refused_by_its_declared_size() -> None:
    data = zipped(collection_anki2=b"\x00" * (limits.UNPACKED_BYTES_MAX + 1))
    assert len(data) < 1024 * 1024
    assert lines(import_deck("bomb.apkg", data)) == [
        "bomb.apkg:1: -: the collection inside unpacks to more than 64 MiB"
    ]


def test_zstd_bomb_is_refused_by_the_bytes_it_produces() -> None:
    # The zip declares only the small compressed member; zstd would expand it past the cap.
    bomb = zstandard.ZstdCompressor().compress(b"\x00" * (limits.UNPACKED_BYTES_MAX + 1))
    data = zipped(collection_anki21b=bomb)
    assert lines(import_deck("bomb.apkg", data)) == [
        "bomb.apkg:1: -: the collection inside unpacks to more than 64 MiB"
    ]


def test_sqlite_that_never_ends_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No time at all: the first progress check (every 10,000 SQLite steps) stops it.
    monkeypatch.setattr(limits, "ANKI_READ_SECONDS", 0.0)
    path = tmp_path / "c.anki2"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE col (models text, decks text); CREATE TABLE notes (id, mid, flds);"
        "CREATE TABLE cards (nid, ord, did);"
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000) "
        "INSERT INTO cards SELECT x, 0, 1 FROM n;"
        "INSERT INTO notes SELECT nid, 1, 'a' FROM cards;"
    )
    db.close()
    # Let the 200,000 rows past the card cap: reading them is what takes time.
    monkeypatch.setattr(limits, "CARDS_MAX", 10**9)
    result = import_deck("slow.apkg", zipped(collection_anki2=path.read_bytes()))
    assert lines(result) == ["slow.apkg:1: -: reading the collection took more than 0 s"]


def test_a_view_in_place_of_a_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.anki2"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE col (models, decks); CREATE TABLE cards (nid, ord, did);"
        "CREATE VIEW notes AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)"
        " SELECT x AS id, 1 AS mid, 'a' AS flds FROM n;"
    )
    db.close()
    result = import_deck("view.apkg", zipped(collection_anki2=path.read_bytes()))
    assert lines(result) == ["view.apkg:1: -: not an Anki collection: no 'notes' table"]


def test_too_many_rows_is_one_line() -> None:
    data = "front,back\n" + "".join(f"f{n},b\n" for n in range(limits.CARDS_MAX + 1))
    assert lines(import_deck("many.csv", data.encode())) == [
        "many.csv:5002: -: the file has more than 5,000 cards, the most a deck may have"
    ]


def test_too_many_anki_cards_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "CARDS_MAX", 2)
    data = apkg(
        tmp_path,
        [(genanki.BASIC_AND_REVERSED_CARD_MODEL, ["a", "b"]), (genanki.BASIC_MODEL, ["c", "d"])],
    )
    assert lines(import_deck("t.apkg", data)) == [
        "t.apkg:1: -: the file has 3 cards; at most 2 are allowed"
    ]


# YAML, ids, HTML


def test_yaml_deck_is_validated_as_check_does() -> None:
    source = CONTENT_DIR / "django-wsgi-asgi.yaml"
    result = import_deck(source.name, source.read_bytes())
    assert result.deck == load_deck_file(source).deck
    broken = import_deck("b.yaml", b"id: b\ntitle: B\ncards:\n  - {id: x, type: flashcard}\n")
    assert lines(broken) == [
        "b.yaml:4: x: missing required key 'back'",
        "b.yaml:4: x: missing required key 'front'",
        "b.yaml:4: x: missing required key 'level'",
    ]


@pytest.mark.parametrize(
    ("filename", "deck_id"),
    [
        ("My Deck (v2).CSV", "my-deck-v2"),
        ("Español básico.apkg", "espanol-basico"),
        ("日本語.txt", "deck"),
    ],
)
def test_deck_id_from_the_file_name(filename: str, deck_id: str) -> None:
    assert deck_id_for(filename) == deck_id


def test_html_to_discord_markdown() -> None:
    html = (
        "<p>One&nbsp;<strong>two</strong></p><ol><li>a</li><li><em>b</em></li></ol>"
        "<script>alert(1)</script><img src=x.png>[sound:y.mp3]<b> </b>end"
    )
    assert html_to_text(html) == ("One **two**\n1. a\n2. *b*\nend", 2)


# Round trip and the CLI


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_round_trip_import_yaml_load_gives_the_same_deck(name: str) -> None:
    result = imported(name)
    assert result.deck is not None, lines(result)
    loaded = load_deck_bytes(Path("out.yaml"), result.yaml.encode())
    assert loaded.problems == ()
    assert loaded.deck == result.deck


def test_round_trip_of_awkward_text() -> None:
    rows = [
        ("yes", "no"),
        ("3.10", "null"),
        ("  leading", "trailing  "),
        ("a: b # c", "- dash"),
        ('"quoted"', "multi\n  indented\n\nlines"),
        ("tab\there", "~"),
    ]
    data = "front\tback\n" + "".join(
        f'"{f}"\t"{b}"\n'.replace('""quoted""', '"""quoted"""') for f, b in rows
    )
    result = import_deck("odd.tsv", data.encode())
    assert result.deck is not None, lines(result)
    loaded = load_deck_bytes(Path("odd.yaml"), result.yaml.encode())
    assert loaded.deck == result.deck


def test_cli_writes_a_deck_that_check_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deck.yaml"
    assert main(["import", str(FIXTURES / "mixed-anki21b.apkg"), "-o", str(out)]) == 0
    assert capsys.readouterr().err == "mixed-anki21b: 5 flashcards\n"
    assert load_deck_file(out).deck == imported("mixed-anki21b.apkg").deck
    assert main(["check", str(tmp_path)]) == 0


def test_cli_prints_problems_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.csv"
    source.write_bytes(b"front,back\nonly front,\n")
    out = tmp_path / "deck.yaml"
    assert main(["import", str(source), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == f"{source}:2: {derived_card_id('only front')}: 'back' must not be empty\n"
    assert not out.exists()


def test_cli_writes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(FIXTURES / "quizlet.txt")]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(
        "# yaml-language-server: $schema=deck.schema.json\nid: quizlet\n"
    )
    assert captured.err == "quizlet: 4 flashcards\n"
