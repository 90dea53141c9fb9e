"""Tests for bot.decks: the shipped deck, every validation rule, hostile files, the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.decks import (
    CardType,
    Concept,
    ConceptRule,
    Deck,
    DeckLibrary,
    DeckProblem,
    ExplainCard,
    FlashCard,
    Level,
    McqCard,
    limits,
    load_deck_file,
    load_decks,
)
from bot.decks.library import ReloadReport
from bot.decks.loader import PROBLEMS_SHOWN

CONTENT = Path(__file__).resolve().parents[1] / "content"
SHIPPED = CONTENT / "django-wsgi-asgi.yaml"
SCHEMA = CONTENT / "deck.schema.json"

# Line numbers in the tests below refer to this deck (line 1 is "id: demo").
BASE = """\
id: demo
title: Demo deck
cards:
  - id: first
    type: flashcard
    level: beginner
    front: Front text
    back: Back text
  - id: choice
    type: mcq
    level: beginner
    question: Pick one
    options: [WSGI, ASGI, CGI, FastCGI]
    answer: ASGI
    explanation: Because.
"""

EXPLAIN = """\
id: demo
title: Demo deck
cards:
  - id: essay
    type: explain
    level: advanced
    prompt: Explain it.
    concepts:
      - name: speed
        keywords: [fast, quick]
      - name: safety
        keywords: [safe]
    model_answer: It is fast and safe.
"""


def write(directory: Path, text: str | bytes, name: str = "deck.yaml") -> Path:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems_in(tmp_path: Path, text: str | bytes) -> list[DeckProblem]:
    path = write(tmp_path, text)
    result = load_deck_file(path)
    assert result.deck is None, "a deck with problems must not load"
    assert result.problems, "expected at least one problem"
    assert all(problem.path == path for problem in result.problems)
    return list(result.problems)


def only(problems: list[DeckProblem]) -> DeckProblem:
    assert len(problems) == 1, [str(problem) for problem in problems]
    return problems[0]


def edit(old: str, new: str, base: str = BASE) -> str:
    assert old in base
    return base.replace(old, new, 1)


# The shipped deck


def test_shipped_deck_loads_with_no_problems() -> None:
    result = load_deck_file(SHIPPED)
    assert result.problems == ()
    deck = result.deck
    assert deck is not None
    assert deck.id == "django-wsgi-asgi"
    assert deck.title == "WSGI vs ASGI in Django"
    assert deck.tags == ("django", "python", "web")
    assert len(deck.cards_of(CardType.FLASHCARD)) == 5
    assert len(deck.cards_of(CardType.MCQ)) == 5
    assert len(deck.cards_of(CardType.EXPLAIN)) == 2


def test_shipped_deck_cards_are_complete() -> None:
    deck = load_deck_file(SHIPPED).deck
    assert deck is not None
    for mcq in deck.cards_of(CardType.MCQ):
        assert mcq.answer in mcq.options
        assert len(mcq.options) == 4
        assert mcq.options[mcq.answer_index] == mcq.answer
    for explain in deck.cards_of(CardType.EXPLAIN):
        assert len(explain.concepts) == 5
        assert explain.hint
        # A concept graded by rules (issue 14, item 8) need not list keywords.
        assert all(len(concept.keywords) >= 5 or concept.rules for concept in explain.concepts)
    for card in deck.cards_of(CardType.FLASHCARD):
        assert "Click to reveal" not in card.back
    wsgi = deck.card("wsgi-meaning")
    assert isinstance(wsgi, FlashCard)
    assert wsgi.front == "What does WSGI stand for and what is its main purpose?"
    assert "Web Server Gateway Interface" in wsgi.back


def test_shipped_deck_declares_its_schema() -> None:
    first_line = SHIPPED.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=deck.schema.json"


# Models


def test_deck_lookups_and_kinds() -> None:
    deck = Deck.model_validate(
        {
            "id": "demo",
            "title": "Demo",
            "cards": [
                {"id": "a", "type": "flashcard", "level": "beginner", "front": "F", "back": "B"},
                {
                    "id": "b",
                    "type": "mcq",
                    "level": "intermediate",
                    "question": "Q",
                    "options": ["x", "y", "z"],
                    "answer": "z",
                    "explanation": "E",
                },
            ],
        }
    )
    assert isinstance(deck.card("a"), FlashCard)
    assert deck.card("missing") is None
    mcq = deck.card("b")
    assert isinstance(mcq, McqCard)
    assert mcq.answer_index == 2
    assert mcq.level is Level.INTERMEDIATE
    assert deck.cards_of(CardType.EXPLAIN) == ()
    assert deck.description == ""
    with pytest.raises(ValidationError):
        deck.title = "changed"  # type: ignore[misc]


def test_deck_built_in_code_rejects_duplicate_card_ids() -> None:
    card: dict[str, Any] = {"type": "flashcard", "level": "beginner", "front": "F", "back": "B"}
    with pytest.raises(ValidationError, match="duplicate card id 'a'"):
        Deck.model_validate(
            {"id": "d", "title": "T", "cards": [{"id": "a", **card}, {"id": "a", **card}]}
        )


def test_problem_str_is_file_line_card_message() -> None:
    problem = DeckProblem(Path("content/x.yaml"), 12, "card-1", "something is wrong")
    assert str(problem) == "content/x.yaml:12: card-1: something is wrong"
    assert str(DeckProblem(Path("x.yaml"), 1, None, "bad")) == "x.yaml:1: -: bad"


# One test per validation rule


def test_valid_base_decks_load(tmp_path: Path) -> None:
    assert load_deck_file(write(tmp_path, BASE)).problems == ()
    result = load_deck_file(write(tmp_path, EXPLAIN, "explain.yaml"))
    assert result.problems == ()
    assert isinstance(result.deck and result.deck.card("essay"), ExplainCard)


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("title: Demo deck", "title: [unclosed")))
    assert problem.line == 3
    assert problem.card_id is None
    assert problem.message.startswith("invalid YAML:")


def test_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, "- just\n- a list\n"))
    assert (problem.line, problem.card_id) == (1, None)
    assert problem.message == "the file is not a mapping; a deck needs at least id, title and cards"


def test_empty_file(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, "# nothing here\n"))
    assert problem.message.startswith("the file is empty")


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    problems = problems_in(tmp_path, edit("    answer: ASGI", "    anwser: ASGI"))
    assert [(p.line, p.card_id, p.message) for p in problems] == [
        (9, "choice", "missing required key 'answer'"),
        (14, "choice", "unknown key 'anwser' (did you mean 'answer'?)"),
    ]


def test_unknown_deck_key(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("title: Demo deck", "title: Demo deck\ntitel: x")))
    assert (problem.line, problem.card_id) == (3, None)
    assert problem.message == "unknown key 'titel' (did you mean 'title'?)"


def test_missing_field(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("    back: Back text\n", "")))
    assert (problem.line, problem.card_id) == (4, "first")
    assert problem.message == "missing required key 'back'"


def test_wrong_type(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("front: Front text", "front: [a, b]")))
    assert (problem.line, problem.card_id) == (7, "first")
    assert problem.message == "'front' must be text, not a list"


def test_card_that_is_not_a_mapping(tmp_path: Path) -> None:
    text = edit("cards:\n", "cards:\n  - just text\n")
    problem = only(problems_in(tmp_path, text))
    assert (problem.line, problem.card_id) == (4, None)
    assert problem.message == "card 1 must be a mapping of keys to values, not text"


def test_duplicate_card_id_names_the_first(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("id: choice", "id: first")))
    assert (problem.line, problem.card_id) == (9, "first")
    assert problem.message == "duplicate card id 'first' (first at line 4)"


def test_answer_not_an_option(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("answer: ASGI", "answer: ASGII")))
    assert (problem.line, problem.card_id) == (14, "choice")
    assert problem.message == "answer 'ASGII' is not one of the options: WSGI, ASGI, CGI, FastCGI"


def test_duplicate_options(tmp_path: Path) -> None:
    text = edit(
        "options: [WSGI, ASGI, CGI, FastCGI]", "options:\n      - WSGI\n      - ASGI\n      - WSGI"
    )
    problem = only(problems_in(tmp_path, text))
    assert (problem.line, problem.card_id) == (16, "choice")
    assert problem.message == "'options' lists 'WSGI' twice"


def test_bad_id_format(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("id: choice", "id: Choice_2")))
    assert (problem.line, problem.card_id) == (9, "Choice_2")
    assert problem.message == (
        "'id' must be lowercase letters and digits joined by single hyphens "
        "(like 'wsgi-meaning'), not 'Choice_2'"
    )


def test_id_too_long(tmp_path: Path) -> None:
    long_id = "a" * (limits.ID_MAX + 1)
    problem = only(problems_in(tmp_path, edit("id: demo", f"id: {long_id}")))
    assert (problem.line, problem.card_id) == (1, None)
    assert (
        problem.message == f"'id' is {limits.ID_MAX + 1} characters long; at most 64 fit in Discord"
    )


def test_bad_level(tmp_path: Path) -> None:
    text = edit("    level: beginner\n    front", "    level: expert\n    front")
    problem = only(problems_in(tmp_path, text))
    assert (problem.line, problem.card_id) == (6, "first")
    assert (
        problem.message == "'level' must be 'beginner', 'intermediate' or 'advanced', not 'expert'"
    )


def test_bad_card_type(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("type: mcq", "type: mqc")))
    assert (problem.line, problem.card_id) == (10, "choice")
    assert problem.message == (
        "unknown card type 'mqc'; use flashcard, mcq or explain (did you mean 'mcq'?)"
    )


def test_missing_card_type(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("    type: mcq\n", "")))
    assert (problem.line, problem.card_id) == (9, "choice")
    assert problem.message == "missing required key 'type' (flashcard, mcq or explain)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("[ASGI]", "'options' needs at least 2 item(s), not 1"),
        ("[A, B, C, D, E, ASGI]", "'options' allows at most 5 items, not 6"),
    ],
)
def test_option_count_out_of_range(tmp_path: Path, options: str, message: str) -> None:
    text = edit("options: [WSGI, ASGI, CGI, FastCGI]", f"options: {options}")
    problem = only(problems_in(tmp_path, text))
    assert (problem.line, problem.card_id, problem.message) == (13, "choice", message)


def test_concept_and_keyword_counts(tmp_path: Path) -> None:
    too_many = ", ".join(f"k{n}" for n in range(limits.KEYWORDS_MAX + 1))
    text = edit("keywords: [safe]", f"keywords: [{too_many}]", EXPLAIN)
    text = edit("keywords: [fast, quick]", "keywords: []", text)
    problems = problems_in(tmp_path, text)
    assert [(p.line, p.card_id, p.message) for p in problems] == [
        (10, "essay", "'keywords' of concept 1 needs at least 1 item(s), not 0"),
        (12, "essay", "'keywords' of concept 2 allows at most 25 items, not 26"),
    ]


def test_no_concepts(tmp_path: Path) -> None:
    start = EXPLAIN.index("    concepts:")
    end = EXPLAIN.index("    model_answer")
    text = EXPLAIN[:start] + "    concepts: []\n" + EXPLAIN[end:]
    problem = only(problems_in(tmp_path, text))
    assert (problem.line, problem.card_id) == (8, "essay")
    assert problem.message == "'concepts' needs at least 1 item(s), not 0"


def test_duplicate_concept_names(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, edit("name: safety", "name: speed", EXPLAIN)))
    assert (problem.line, problem.card_id) == (11, "essay")
    assert problem.message == "concept 'speed' is listed twice"


def test_unknown_key_in_concept(tmp_path: Path) -> None:
    text = edit("        keywords: [safe]", "        keywords: [safe]\n        weight: 2", EXPLAIN)
    problem = only(problems_in(tmp_path, text))
    assert (problem.line, problem.card_id) == (13, "essay")
    assert problem.message == "unknown key 'weight' in concept 2"


@pytest.mark.parametrize(
    ("old", "field", "limit", "line"),
    [
        ("back: Back text", "back", limits.FIELD_VALUE_MAX, 8),
        ("front: Front text", "front", limits.CARD_TEXT_MAX, 7),
        ("title: Demo deck", "title", limits.DECK_TITLE_MAX, 2),
    ],
)
def test_text_past_discord_limits(
    tmp_path: Path, old: str, field: str, limit: int, line: int
) -> None:
    text = edit(old, f"{field}: {'x' * (limit + 1)}")
    problem = only(problems_in(tmp_path, text))
    assert problem.line == line
    assert (
        problem.message
        == f"'{field}' is {limit + 1} characters long; at most {limit} fit in Discord"
    )


def test_text_at_the_limit_is_fine(tmp_path: Path) -> None:
    text = edit("back: Back text", f"back: {'x' * limits.FIELD_VALUE_MAX}")
    assert load_deck_file(write(tmp_path, text)).problems == ()


@pytest.mark.parametrize(
    ("value", "message"),
    [("'   '", "'front' must not be empty"), ("", "'front' is empty")],
)
def test_empty_text(tmp_path: Path, value: str, message: str) -> None:
    problem = only(problems_in(tmp_path, edit("front: Front text", f"front: {value}")))
    assert (problem.line, problem.card_id, problem.message) == (7, "first", message)


def test_empty_deck(tmp_path: Path) -> None:
    text = BASE[: BASE.index("cards:")] + "cards: []\n"
    problem = only(problems_in(tmp_path, text))
    assert (problem.line, problem.card_id, problem.message) == (3, None, "the deck has no cards")


def test_too_many_cards(tmp_path: Path) -> None:
    card = "  - {id: c, type: flashcard, level: beginner, front: F, back: B}\n"
    text = "id: demo\ntitle: Demo\ncards:\n" + card * (limits.CARDS_MAX + 1)
    problem = only(problems_in(tmp_path, text))
    assert (problem.line, problem.card_id) == (4, None)
    assert problem.message == "the deck has 5001 cards; at most 5000 are allowed"


def test_problems_per_file_are_capped(tmp_path: Path) -> None:
    cards = "".join(f"  - {{id: c{n}, type: flashcard}}\n" for n in range(60))
    problems = problems_in(tmp_path, "id: demo\ntitle: Demo\ncards:\n" + cards)
    assert len(problems) == PROBLEMS_SHOWN + 1
    # 60 cards, each missing 'level', 'front' and 'back'.
    assert problems[-1].message == "80 more problems"


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = edit("    back: Back text", "    back: Back text\n    front: Another front")
    problem = only(problems_in(tmp_path, text))
    assert (problem.line, problem.card_id) == (9, "first")
    assert problem.message == (
        "key 'front' is repeated (first at line 7); YAML would keep only the last value"
    )


def test_scalars_are_kept_as_written(tmp_path: Path) -> None:
    # YAML 1.1 would read these as False, True and 3.1; deck text is shown as written.
    text = edit("options: [WSGI, ASGI, CGI, FastCGI]", "options: [no, yes, '3.1', 3.10]")
    text = edit("answer: ASGI", "answer: 3.10", text)
    deck = load_deck_file(write(tmp_path, text)).deck
    assert deck is not None
    card = deck.card("choice")
    assert isinstance(card, McqCard)
    assert card.options == ("no", "yes", "3.1", "3.10")
    assert card.answer_index == 3


def test_all_problems_are_reported_in_line_order(tmp_path: Path) -> None:
    text = edit("id: demo", "id: Demo")
    text = edit("front: Front text", "front: [x]", text)
    text = edit("answer: ASGI", "answer: HTTP", text)
    problems = problems_in(tmp_path, text)
    assert [(p.line, p.card_id) for p in problems] == [(1, None), (7, "first"), (14, "choice")]


# Folders of decks


def test_broken_deck_beside_a_good_one(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a-good.yaml")
    broken = write(tmp_path, edit("answer: ASGI", "answer: nope"), "b-broken.yml")
    result = load_decks(tmp_path)
    assert list(result.decks) == ["demo"]
    assert result.sources["demo"] == tmp_path / "a-good.yaml"
    assert result.rejected == frozenset({broken})
    assert [p.path for p in result.problems] == [broken]


def test_duplicate_deck_ids_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, BASE, "a.yaml")
    second = write(tmp_path, "# copy\n" + BASE, "b.yaml")
    result = load_decks(tmp_path)
    assert result.sources == {"demo": first}
    problem = only(list(result.problems))
    assert (problem.path, problem.line, problem.card_id) == (second, 2, None)
    assert problem.message == "deck id 'demo' is already used by a.yaml"  # no host path


def test_only_deck_files_are_read(tmp_path: Path) -> None:
    write(tmp_path, BASE, "deck.yml")
    write(tmp_path, "not: a deck", "notes.txt")
    write(tmp_path, "garbage: [", ".#deck.yaml")  # an editor's lock file
    result = load_decks(tmp_path)
    assert result.files == (tmp_path / "deck.yml",)
    assert result.problems == ()


def test_links_out_of_the_folder_are_refused_not_followed(tmp_path: Path) -> None:
    folder, outside = tmp_path / "content", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    target = write(outside, BASE, "secret.yaml")
    (folder / "a-link.yaml").symlink_to(target)
    (folder / "b-inside.yaml").symlink_to(write(folder, edit("id: demo", "id: other"), "c.yml"))
    result = load_decks(folder)
    assert sorted(result.decks) == ["other"]  # the link inside the folder is read
    problem = only([p for p in result.problems if p.path.name == "a-link.yaml"])
    assert problem.line == 1
    assert problem.message == "a link to a file outside the deck folder; not read"
    assert folder / "a-link.yaml" in result.rejected


def test_problem_relative_to_its_folder(tmp_path: Path) -> None:
    problem = DeckProblem(tmp_path / "deck.yaml", 3, "card", "what")
    assert problem.relative_to(tmp_path) == "deck.yaml:3: card: what"
    assert DeckProblem(tmp_path, 1, None, "x").relative_to(tmp_path) == ".:1: -: x"


def test_values_are_quoted_short(tmp_path: Path) -> None:
    # Problems reach a Discord reply and the log: they name what is wrong and
    # quote at most the start of a value.
    long = "Z" * 500
    problems = problems_in(tmp_path, edit("level: beginner", f"level: {long}"))
    problem = only(problems)
    assert long[:40] not in str(problem)
    assert problem.message.endswith(f"not '{long[:39]}…'")


def test_missing_folder_is_a_problem(tmp_path: Path) -> None:
    result = load_decks(tmp_path / "nowhere")
    assert result.decks == {}
    assert only(list(result.problems)).message == "deck folder not found"


def test_empty_folder_is_a_problem(tmp_path: Path) -> None:
    problem = only(list(load_decks(tmp_path).problems))
    assert (problem.path, problem.message) == (tmp_path, "no deck files (*.yaml, *.yml) here")


# Hostile files


def test_binary_garbage(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, bytes(range(256)) * 4))
    assert problem.message.startswith("not UTF-8 text")


def test_control_characters(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, "id: demo\ntitle: a\x00b\n"))
    assert problem.line == 2
    assert problem.message == "invalid YAML: unacceptable character #x0000"


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    problem = only(problems_in(tmp_path, b"# " + b"x" * (3 * 1024 * 1024) + b"\n"))
    assert (problem.line, problem.message) == (1, "file is larger than 2 MiB")


def test_alias_bomb(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    problem = only(problems_in(tmp_path, "\n".join(lines) + "\n"))
    assert problem.line == 2
    assert problem.message == "YAML aliases (*name) are not allowed in deck files"


def _unknown_keys(count: int) -> str:
    """A valid one-card deck followed by ``count`` unknown top-level keys."""
    card = "  - {id: c, type: flashcard, level: beginner, front: F, back: B}\n"
    return "id: demo\ntitle: Demo\ncards:\n" + card + "".join(f"k{n}: v\n" for n in range(count))


def test_many_unknown_keys_are_located_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20,000 unknown keys took 16.8 s to reload: each problem searched the tree
    # again, and each unknown key got a did-you-mean search. Count the work done.
    from bot.decks import _errors, _yaml

    lookups = {"line": 0, "hint": 0, "index": 0}
    real_line, real_init = _yaml.LineIndex.line, _yaml.LineIndex.__init__
    real_close = _errors._close

    def line(self: Any, *args: Any, **kwargs: Any) -> int:
        lookups["line"] += 1
        return real_line(self, *args, **kwargs)

    def init(self: Any, root: Any) -> None:
        lookups["index"] += 1
        real_init(self, root)

    def close(*args: Any) -> str:
        lookups["hint"] += 1
        return real_close(*args)

    monkeypatch.setattr(_yaml.LineIndex, "line", line)
    monkeypatch.setattr(_yaml.LineIndex, "__init__", init)
    monkeypatch.setattr(_errors, "_close", close)
    problems = problems_in(tmp_path, _unknown_keys(20_000))
    assert len(problems) == PROBLEMS_SHOWN + 1
    assert problems[0].message == "unknown key 'k0'"
    assert problems[-1].message == f"{20_000 - PROBLEMS_SHOWN} more problems"
    assert lookups["index"] == 1  # the tree is walked once
    assert lookups["line"] <= PROBLEMS_SHOWN + 2  # then one look-up per problem shown
    assert lookups["hint"] <= PROBLEMS_SHOWN


def test_many_repeated_keys_are_capped(tmp_path: Path) -> None:
    text = BASE + "".join("title: again\n" for _ in range(5_000))
    problems = problems_in(tmp_path, text)
    assert len(problems) == PROBLEMS_SHOWN + 1
    assert problems[0].message.startswith("key 'title' is repeated (first at line 2)")
    assert problems[-1].message == f"{5_000 - PROBLEMS_SHOWN} more problems"


def test_file_of_tiny_keys_is_refused_by_its_node_count(tmp_path: Path) -> None:
    # 2 MiB of "k1: v" lines is 200,000 keys: under the size cap, so the number
    # of YAML values is capped too, before any tree is built.
    text = _unknown_keys(limits.NODES_MAX // 2)
    assert len(text.encode()) < limits.FILE_BYTES_MAX
    problem = only(problems_in(tmp_path, text))
    assert problem.message == "more than 200,000 YAML values; a deck needs far fewer"
    assert problem.line < text.count("\n")  # refused where the cap was met, not at the end


def test_the_largest_valid_explain_deck_is_under_the_node_cap(tmp_path: Path) -> None:
    # 500 explain cards of every concept and keyword (the size cap stops more of
    # them: a deck of up to CARDS_MAX cards is mostly imported flashcards).
    keywords = "[" + ", ".join(f"w{n}" for n in range(limits.KEYWORDS_MAX)) + "]"
    concepts = "".join(
        f"      - {{name: c{n}, keywords: {keywords}}}\n" for n in range(limits.CONCEPTS_MAX)
    )
    card = (
        "  - id: e{n}\n    type: explain\n    level: advanced\n    prompt: P\n    hint: H\n"
        "    model_answer: M\n    concepts:\n" + concepts
    )
    text = "id: demo\ntitle: Demo\ndescription: D\ntags: [a]\ncards:\n" + "".join(
        card.replace("{n}", str(n)) for n in range(500)
    )
    assert len(text.encode()) < limits.FILE_BYTES_MAX
    result = load_deck_file(write(tmp_path, text))
    assert result.problems == ()
    assert result.deck is not None and len(result.deck.cards) == 500


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        "".join(f"{'  ' * depth}k:\n" for depth in range(200)),
    ],
)
def test_deep_nesting(tmp_path: Path, text: str) -> None:
    problem = only(problems_in(tmp_path, text))
    # Recall's own cap, or libyaml's (1000 levels), whichever the parser meets first.
    assert problem.message in {
        f"nested more than {limits.NESTING_MAX} levels deep",
        "invalid YAML: exceeded maximum nesting depth",
    }


def test_python_tags_are_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    problem = only(problems_in(tmp_path, f'x: !!python/object/apply:os.system ["touch {marker}"]'))
    assert problem.message.startswith("invalid YAML: could not determine a constructor")
    assert not marker.exists()


# The library


def test_library_reload_keeps_broken_and_drops_deleted(tmp_path: Path) -> None:
    write(tmp_path, BASE, "demo.yaml")
    other = write(tmp_path, edit("id: demo", "id: other", EXPLAIN), "other.yaml")
    library, problems = DeckLibrary.load(tmp_path)
    assert problems == ()
    assert "demo" in library
    assert "other" in library
    good = library.get("demo")

    write(tmp_path, edit("answer: ASGI", "answer: broken"), "demo.yaml")
    other.unlink()
    write(tmp_path, edit("id: demo", "id: fresh"), "fresh.yaml")
    report = library.reload()

    assert report.kept_broken == ("demo",)
    assert report.removed == ("other",)
    assert report.added == ("fresh",)
    assert report.updated == ()
    assert not report.ok
    assert [p.card_id for p in report.problems] == ["choice"]
    assert library.get("demo") is good
    assert "other" not in library
    assert report.summary() == "1 added, 1 removed, 1 kept (broken file), 1 problem"

    write(tmp_path, edit("title: Demo deck", "title: Demo deck, fixed"), "demo.yaml")
    report = library.reload()
    assert (report.updated, report.kept_broken, report.ok) == (("demo",), (), True)
    deck = library.get("demo")
    assert deck is not None
    assert deck.title == "Demo deck, fixed"


def test_library_reload_without_folder_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    path = write(folder, BASE)
    library, _ = DeckLibrary.load(folder)
    path.unlink()
    folder.rmdir()
    report = library.reload()
    assert report.kept_broken == ("demo",)
    assert "demo" in library


def test_library_lookups(tmp_path: Path) -> None:
    write(tmp_path, edit("title: Demo deck", "title: Zebra"), "z.yaml")
    write(
        tmp_path, edit("id: demo", "id: apple", edit("title: Demo deck", "title: apple")), "a.yaml"
    )
    library, _ = DeckLibrary.load(tmp_path)
    assert [deck.title for deck in library.all()] == ["apple", "Zebra"]
    assert isinstance(library.card("demo", "choice"), McqCard)
    assert library.card("demo", "nope") is None
    assert library.card("nope", "choice") is None
    assert library.source("apple") == tmp_path / "a.yaml"
    assert len(library) == 2


# The JSON schema: it must agree with the loader. jsonschema is not a
# dependency, so its structure is compared with the models and limits.


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return loaded


def test_schema_is_draft_2020_12() -> None:
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    ("name", "model"),
    [("flashcard", FlashCard), ("mcq", McqCard), ("explain", ExplainCard)],
)
def test_schema_card_kinds_match_models(name: str, model: type[Any]) -> None:
    definition = schema()["$defs"][name]
    assert definition["additionalProperties"] is False
    assert set(definition["properties"]) == set(model.model_fields)
    required = {field for field, info in model.model_fields.items() if info.is_required()}
    assert set(definition["required"]) == required
    assert definition["properties"]["type"] == {"const": name}


def test_schema_deck_and_concept_match_models() -> None:
    root = schema()
    assert set(root["properties"]) == set(Deck.model_fields)
    assert set(root["required"]) == {"id", "title", "cards"}
    assert root["additionalProperties"] is False
    concept = root["$defs"]["concept"]
    # Keywords or rules (issue 14, item 8): "name" and one of the two are required.
    assert set(concept["required"]) == {"name"}
    assert [set(alt["required"]) for alt in concept["anyOf"]] == [{"keywords"}, {"rules"}]
    assert set(concept["properties"]) == set(Concept.model_fields)
    assert concept["additionalProperties"] is False
    rule = root["$defs"]["rule"]
    assert set(rule["properties"]) == set(ConceptRule.model_fields)
    assert set(rule["required"]) == {"require"}
    require = rule["properties"]["require"]
    assert (require["minItems"], require["maxItems"]) == (
        limits.RULE_GROUPS_MIN,
        limits.RULE_GROUPS_MAX,
    )
    assert rule["properties"]["near"]["maximum"] == limits.NEAR_MAX


def test_schema_enums_patterns_and_limits_match() -> None:
    root = schema()
    defs = root["$defs"]
    assert defs["level"]["enum"] == [level.value for level in Level]
    assert defs["card"]["properties"]["type"]["enum"] == [kind.value for kind in CardType]
    assert [ref["$ref"] for ref in defs["card"]["oneOf"]] == [
        "#/$defs/flashcard",
        "#/$defs/mcq",
        "#/$defs/explain",
    ]
    assert defs["id"]["pattern"] == limits.ID_PATTERN
    assert defs["id"]["maxLength"] == limits.ID_MAX
    assert root["properties"]["title"]["maxLength"] == limits.DECK_TITLE_MAX
    assert root["properties"]["cards"]["maxItems"] == limits.CARDS_MAX
    options = defs["mcq"]["properties"]["options"]
    assert (options["minItems"], options["maxItems"]) == (limits.OPTIONS_MIN, limits.OPTIONS_MAX)
    assert options["items"]["maxLength"] == limits.OPTION_MAX
    concepts = defs["explain"]["properties"]["concepts"]
    assert (concepts["minItems"], concepts["maxItems"]) == (
        limits.CONCEPTS_MIN,
        limits.CONCEPTS_MAX,
    )
    keywords = defs["concept"]["properties"]["keywords"]
    assert (keywords["minItems"], keywords["maxItems"]) == (
        limits.KEYWORDS_MIN,
        limits.KEYWORDS_MAX,
    )
    assert keywords["items"]["maxLength"] == limits.KEYWORD_MAX
    for kind, field, limit in [
        ("flashcard", "front", limits.CARD_TEXT_MAX),
        ("flashcard", "back", limits.FIELD_VALUE_MAX),
        ("mcq", "question", limits.CARD_TEXT_MAX),
        ("mcq", "explanation", limits.FIELD_VALUE_MAX),
        ("explain", "prompt", limits.CARD_TEXT_MAX),
        ("explain", "hint", limits.FIELD_VALUE_MAX),
        ("explain", "model_answer", limits.FIELD_VALUE_MAX),
    ]:
        assert defs[kind]["properties"][field]["maxLength"] == limit, (kind, field)


def test_schema_covers_every_key_of_the_shipped_deck() -> None:
    # Every key written in the shipped deck is one the schema knows, for its card kind.
    import yaml

    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    defs = schema()["$defs"]
    assert set(data) <= set(schema()["properties"])
    for card in data["cards"]:
        assert set(card) <= set(defs[card["type"]]["properties"])
        assert set(defs[card["type"]]["required"]) <= set(card)


def test_schema_validates_like_the_loader(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    validator = jsonschema.Draft202012Validator(schema())
    assert list(validator.iter_errors(yaml.safe_load(SHIPPED.read_text(encoding="utf-8")))) == []
    for broken in [
        edit("    answer: ASGI", "    anwser: ASGI"),
        edit("    back: Back text\n", ""),
        edit("id: choice", "id: Choice_2"),
        edit("type: mcq", "type: mqc"),
        edit("options: [WSGI, ASGI, CGI, FastCGI]", "options: [ASGI]"),
    ]:
        assert load_deck_file(write(tmp_path, broken)).problems
        assert list(validator.iter_errors(yaml.safe_load(broken)))


def test_reload_summary_counts_the_problems_behind_the_cut() -> None:
    cut = DeckProblem(Path("big.yaml"), 9, None, "19900 more problems", stands_for=19_900)
    shown = tuple(DeckProblem(Path("big.yaml"), n, None, "unknown key") for n in range(100))
    assert ReloadReport(problems=(*shown, cut)).summary() == "20000 problems"
