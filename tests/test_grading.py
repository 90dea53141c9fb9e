"""Tests for bot.core.grading and bot.core.text_normalize: matching, hostile input, ratings, MCQ."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.core.grading
import bot.core.text_normalize
from bot.core.grading import (
    GOOD_MIN_SHARE,
    HARD_MIN_SHARE,
    MAX_ANSWER_CHARS,
    ConceptResult,
    ConceptSpec,
    ExplainGrade,
    Grade,
    McqGrade,
    grade_explain,
    grade_mcq,
    is_correct_explain,
    max_typo_edits,
    rating_for_explain,
    rating_for_mcq,
)
from bot.core.text_normalize import fold_word, normalize_text, tokenize


@dataclass(frozen=True)
class Concept:
    """Stand-in with the deck model's shape: grading must accept it as a ConceptSpec."""

    name: str
    keywords: tuple[str, ...]


SYNC = Concept(
    "synchronous vs asynchronous",
    ("synchronous", "asynchronous", "async", "sync", "blocking", "non-blocking"),
)
PROTOCOLS = Concept(
    "protocols", ("websocket", "websockets", "http", "long-lived connection", "protocol")
)
CONCURRENCY = Concept(
    "concurrency", ("concurrency", "concurrent", "multiple requests", "event loop")
)
SERVERS = Concept("servers", ("gunicorn", "uvicorn", "daymon", "server"))
DJANGO = Concept("django support", ("django channels", "asgi.py", "wsgi.py"))
DECK: tuple[Concept, ...] = (SYNC, PROTOCOLS, CONCURRENCY, SERVERS, DJANGO)

# Hypothesis is derandomized so the suite is deterministic (same examples every run).
PROPERTY = settings(derandomize=True, max_examples=200, deadline=None)


def covered_names(answer: str, concepts: tuple[Concept, ...] = DECK) -> set[str]:
    return {r.name for r in grade_explain(answer, concepts).results if r.covered}


def stated(words: str) -> str:
    """``words`` inside a plain statement: bare word lists earn nothing (issue 14, item 7)."""
    return f"It uses {words}."


def one(answer: str, concept: Concept) -> ConceptResult:
    """Grade ``answer`` as a stated clause against ``concept`` alone (matching tests)."""
    (result,) = grade_explain(stated(answer), [concept]).results
    return result


def explain_grade(covered: int, total: int) -> ExplainGrade:
    return ExplainGrade(tuple(ConceptResult(f"c{i}", covered=i < covered) for i in range(total)))


# --- text normalisation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hello,   WORLD!", "hello world"),
        ("asynchrône café naïve", "asynchrone cafe naive"),
        ("**bold** _it_ `code` > quote", "bold it code quote"),
        ("ASGI's design", "asgi design"),
        ("ASGI’s design", "asgi design"),
        ("don't", "dont"),
        ("web\u200bsocket", "websocket"),
        ("soft\u00adhyphen", "softhyphen"),
        ("ﬁle", "file"),
        ("Straße", "strasse"),
        ("ping <@123> <@!45> <@&6> <#7> <:sync:890> <a:async:12> @everyone", "ping everyone"),
        ("\t\n  ", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("forms", "stem"),
    [
        (("request", "requests", "requested", "requesting"), "request"),
        (("handle", "handles", "handled", "handling"), "handl"),
        (("asynchronous", "asynchronously"), "asynchronous"),
        (("query", "queries", "queried", "querying"), "query"),
        (("run", "running"), "run"),
        (("match", "matches"), "match"),
        (("process", "processes"), "process"),
        (("websocket", "websockets"), "websocket"),
        (("block", "blocks", "blocked", "blocking"), "block"),
        (("server", "servers"), "server"),
        (("big", "biggest"), "big"),
    ],
)
def test_fold_word_merges_inflections(forms: tuple[str, ...], stem: str) -> None:
    assert {fold_word(f) for f in forms} == {stem}


@pytest.mark.parametrize(
    "word",
    ["status", "analysis", "class", "only", "apply", "assembly", "family", "test", "wsgi"],
)
def test_fold_word_keeps_words_that_only_look_inflected(word: str) -> None:
    assert fold_word(word) == word


def test_fold_word_keeps_distinct_words_apart() -> None:
    # -er is not stripped: "server" must not become "serve".
    assert fold_word("server") != fold_word("serve")
    assert fold_word("request") != fold_word("requ")
    assert fold_word("letter") != fold_word("let")


def test_tokenize_caps_tokens_and_folds() -> None:
    assert tokenize("Handles REQUESTS, asynchronously!") == ("handl", "request", "asynchronous")
    assert tokenize("a b c d", max_tokens=2) == ("a", "b")


def test_decomposition_is_bounded() -> None:
    # "ﷺ" decomposes into 18 characters; the decomposed text is cut, not grown 18-fold.
    out = normalize_text("ﷺ" * 1000, max_chars=100)
    assert 0 < len(out) <= 100 * bot.core.text_normalize.DECOMPOSITION_HEADROOM


# --- explain grading: matching ------------------------------------------------------


def test_case_is_ignored() -> None:
    assert one("It is ASYNCHRONOUS", SYNC).covered


def test_accents_are_ignored() -> None:
    french = Concept("fr", ("asynchrone",))
    assert one("un modèle asynchrône", french).covered
    accented = Concept("fr2", ("asynchrône",))
    assert one("un modele asynchrone", accented).covered


def test_inflections_match_on_both_sides() -> None:
    concept = Concept("handling", ("handle request",))
    result = one("ASGI handles requests concurrently", concept)
    assert result.covered
    assert result.matched_keyword == "handle request"
    assert result.matched_text == "handles requests"
    assert one("it works asynchronously", Concept("a", ("asynchronous",))).covered


@pytest.mark.parametrize(
    ("answer", "concept", "keyword"),
    [
        ("ASGI is asyncronous", SYNC, "asynchronous"),
        ("it keeps a websockt open", PROTOCOLS, "websocket"),
        ("served by uvicron", SERVERS, "uvicorn"),  # swapped letters count as one typo
        ("it uses an evnt loop", CONCURRENCY, "event loop"),
        ("run it under a daemon", SERVERS, "daymon"),
    ],
)
def test_small_typos_are_forgiven(answer: str, concept: Concept, keyword: str) -> None:
    result = one(answer, concept)
    assert result.covered
    assert result.matched_keyword == keyword


def test_big_typos_are_not_forgiven() -> None:
    assert not one("a wbskt", PROTOCOLS).covered
    assert not one("gnucrn", SERVERS).covered


def test_synonyms_from_keyword_list() -> None:
    result = one("calls do not block: the code is non-blocking", SYNC)
    assert result.covered
    assert result.matched_keyword == "blocking"
    assert one("served by gunicorn", SERVERS).matched_keyword == "gunicorn"


def test_sync_does_not_match_inside_async() -> None:
    sync_only = Concept("sync", ("sync",))
    assert not one("async code, asynchronous views, asyncio", sync_only).covered
    assert not one("a sync", Concept("async", ("async",))).covered
    assert not one("it is a synchronous call", Concept("a", ("asynchronous",))).covered
    assert one("sync code", sync_only).covered


def test_different_first_letter_is_a_different_word() -> None:
    assert not one("wsgi", Concept("asgi", ("asgi",))).covered
    assert not one("unblocking", Concept("blocking", ("blocking",))).covered


@pytest.mark.parametrize("answer", ["ap", "apt", "ape", "apis"])
def test_short_keywords_need_exact_tokens(answer: str) -> None:
    short = Concept("api", ("api",))
    assert (answer == "apis") == one(answer, short).covered
    assert max_typo_edits("api") == 0


def test_edit_budget_by_length() -> None:
    assert [max_typo_edits("x" * n) for n in (1, 3, 4, 7, 8, 12)] == [0, 0, 1, 1, 2, 2]


def test_digits_need_exact_match() -> None:
    assert not one("http1", Concept("h2", ("http2",))).covered
    assert one("HTTP/2", Concept("h2", ("http 2",))).covered


def test_phrases_need_consecutive_tokens_in_order() -> None:
    assert one("many multiple requests at once", CONCURRENCY).covered
    assert not one("requests, multiple of them", CONCURRENCY).covered
    assert not one("multiple incoming requests", CONCURRENCY).covered
    assert one("a long-lived connection", PROTOCOLS).matched_keyword == "long-lived connection"
    assert one("Django Channels", DJANGO).covered
    assert not one("channels in django", DJANGO).covered


def test_compounds_with_or_without_space() -> None:
    assert one("web socket", Concept("ws", ("websocket",))).matched_text == "web socket"
    assert one("nonblocking IO", Concept("nb", ("non-blocking",))).matched_text == "nonblocking"
    assert one("the eventloop", CONCURRENCY).matched_keyword == "event loop"


def test_dotted_file_names() -> None:
    assert one("edit asgi.py", DJANGO).matched_keyword == "asgi.py"
    assert one("edit ASGI py", DJANGO).covered
    assert not one("edit asgi", DJANGO).covered


def test_first_keyword_in_deck_order_wins() -> None:
    result = one("sync and async and blocking", SYNC)
    assert result.matched_keyword == "async"


def test_full_answer() -> None:
    answer = (
        "WSGI is synchronous: each worker handles one request at a time under Gunicorn. "
        "ASGI is async, so one event loop serves many concurrent requests and long-lived "
        "WebSocket connections; Django Channels plugs into asgi.py."
    )
    grade = grade_explain(answer, DECK)
    assert grade.covered == grade.total == 5
    assert grade.summary() == "You got 5/5 concepts"
    assert rating_for_explain(grade) is Grade.EASY


def test_partial_answer_keeps_checklist_order() -> None:
    grade = grade_explain("It is asynchronous and runs under uvicorn.", DECK)
    assert [r.covered for r in grade.results] == [True, False, False, True, False]
    assert [r.name for r in grade.results] == [c.name for c in DECK]
    assert grade.summary() == "You got 2/5 concepts"
    assert grade.fraction == pytest.approx(0.4)
    missed = grade.results[1]
    assert missed.matched_keyword is None
    assert missed.matched_text is None


# --- explain grading: hostile input -------------------------------------------------


@pytest.mark.parametrize("answer", ["", " ", "\n\t  \u3000", "\u200b\u200b", "?!...", "😀🎉"])
def test_empty_answers_cover_nothing(answer: str) -> None:
    grade = grade_explain(answer, DECK)
    assert (grade.covered, grade.total) == (0, 5)
    assert grade.summary() == "You got 0/5 concepts"
    assert rating_for_explain(grade) is Grade.AGAIN


def test_markdown_mentions_emoji_and_zero_width() -> None:
    answer = (
        "@everyone <@123> **ASGI** is __a\u200bsync__ 🚀 and `uvicorn` 🦄 runs it;\n"
        "> it opens web\u200dsockets ~~struck~~ <:sync:1234> ||spoiler||"
    )
    assert covered_names(answer) == {SYNC.name, SERVERS.name, PROTOCOLS.name}
    # The custom emoji's name is markup, not an answer.
    assert covered_names("<:sync:1234> <a:uvicorn:99>") == set()


def test_ten_thousand_char_answer() -> None:
    answer = ("This one is asynchronous and uses gunicorn. " + "filler text " * 900)[:10_000]
    assert len(answer) == 10_000
    assert covered_names(answer) == {SYNC.name, SERVERS.name}


def test_only_first_max_answer_chars_are_graded() -> None:
    answer = "x " * (MAX_ANSWER_CHARS // 2) + "asynchronous"
    assert covered_names(answer) == set()


def hostile_answers() -> list[str]:
    size = 100_000
    return [
        "a" * size,
        ("async " * size)[:size],
        ("😀\u200b<@123>**@everyone " * size)[:size],
        "ﷺ" * size,  # each decomposes into 18 characters
        ("é\u0301\u0302" * size)[:size],  # stacked combining marks
        ("websockt asynchronus " * size)[:size],
        "".join(chr(0x20 + (i * 7919) % 0x2FFD0) for i in range(size)),  # spread over planes
        "\ud800" * size,  # lone surrogates
    ]


def test_hostile_100kb_answers_never_raise() -> None:
    # Speed is measured in `make bench`, not asserted here (shared, noisy machines).
    for answer in hostile_answers():
        grade = grade_explain(answer, DECK)
        assert 0 <= grade.covered <= grade.total == 5


def test_hostile_answer_with_keywords_early_is_graded_correctly() -> None:
    answer = "It is asynchronous; it runs uvicorn; it opens websockt; " + (
        "😀 spam @everyone " * 10_000
    )
    assert len(answer) > 100_000
    assert covered_names(answer) == {SYNC.name, SERVERS.name, PROTOCOLS.name}


def test_repetition_is_bounded() -> None:
    # Repeating the first word of a phrase keyword makes every position a candidate start;
    # the token cap bounds that scan, and "requests" past the char cap is not read.
    answer = "multiple " * 5000 + "requests"
    assert covered_names(answer) == set()
    assert one("multiple " * 10 + "requests", CONCURRENCY).matched_text == "multiple requests"


# --- explain grading: properties ----------------------------------------------------


@PROPERTY
@given(st.text())
def test_any_text_grades_without_error(answer: str) -> None:
    grade = grade_explain(answer, DECK)
    assert 0 <= grade.covered <= grade.total == len(DECK)
    assert 0.0 <= grade.fraction <= 1.0
    for result in grade.results:
        assert result.covered == (result.matched_keyword is not None)


all_keywords = st.sampled_from([(c, k) for c in DECK for k in c.keywords])


@PROPERTY
@given(
    st.text(max_size=300), st.text(max_size=300), all_keywords, st.sampled_from([" ", "\n", ". "])
)
def test_adding_a_keyword_covers_its_concept(
    before: str, after: str, concept_keyword: tuple[Concept, str], sep: str
) -> None:
    # A keyword counts when it is stated: in a sentence of its own, not in a word list.
    concept, keyword = concept_keyword
    answer = before + sep + "\n" + stated(keyword) + "\n" + sep + after
    result = grade_explain(answer, DECK).results[DECK.index(concept)]
    assert result.covered


@PROPERTY
@given(st.text(max_size=300))
def test_grading_is_invariant_under_case(answer: str) -> None:
    grade = grade_explain(answer, DECK)
    covered = [r.covered for r in grade.results]
    for variant in (answer.upper(), answer.lower(), answer.swapcase()):
        assert [r.covered for r in grade_explain(variant, DECK).results] == covered


@PROPERTY
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=200))
def test_grading_is_invariant_under_case_of_keywords(answer: str) -> None:
    upper_deck = tuple(Concept(c.name, tuple(k.upper() for k in c.keywords)) for c in DECK)
    assert [r.covered for r in grade_explain(answer, upper_deck).results] == [
        r.covered for r in grade_explain(answer, DECK).results
    ]


# --- explain grading: API shape -----------------------------------------------------


def test_accepts_any_concept_spec() -> None:
    class Plain:
        def __init__(self) -> None:
            self.name = "plain"
            self.keywords = ["protocol"]

    spec: ConceptSpec = Plain()
    assert grade_explain("It speaks a protocol.", [spec]).covered == 1


def test_no_concepts_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="at least one concept"):
        grade_explain("anything", [])


def test_keyword_with_no_words_never_matches() -> None:
    assert not one("?? !!", Concept("odd", ("??", ""))).covered


def test_results_round_trip_through_dicts() -> None:
    grade = grade_explain("asynchronous under uvicorn", DECK)
    assert ExplainGrade.from_dict(grade.to_dict()) == grade
    mcq = grade_mcq(["WSGI", "ASGI"], "ASGI", 0)
    assert McqGrade.from_dict(mcq.to_dict()) == mcq


def test_module_imports_neither_discord_nor_deck_models() -> None:
    for module in (bot.core.grading, bot.core.text_normalize):
        tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        assert not any(name.split(".")[0] in {"discord", "fsrs"} for name in imported)
        assert imported <= {
            "__future__",
            "collections.abc",
            "dataclasses",
            "enum",
            "fractions",
            "functools",
            "typing",
            "re",
            "unicodedata",
            "rapidfuzz",
            "rapidfuzz.distance",
            "itertools",
            "bot.core.text_normalize",
        }


# --- ratings ------------------------------------------------------------------------


def test_grade_values_mirror_fsrs_rating() -> None:
    assert [(g.name, int(g)) for g in Grade] == [
        ("AGAIN", 1),
        ("HARD", 2),
        ("GOOD", 3),
        ("EASY", 4),
    ]
    fsrs = pytest.importorskip("fsrs")
    assert {g.name: int(g) for g in Grade} == {r.name.upper(): int(r.value) for r in fsrs.Rating}


def test_rating_for_mcq() -> None:
    assert rating_for_mcq(True) is Grade.GOOD
    assert rating_for_mcq(False) is Grade.AGAIN


@pytest.mark.parametrize(
    ("covered", "total", "expected"),
    [
        (0, 5, Grade.AGAIN),
        (1, 5, Grade.AGAIN),
        (2, 5, Grade.HARD),  # exactly 40%: the HARD boundary is inclusive
        (3, 5, Grade.GOOD),  # exactly 60%: the GOOD boundary is inclusive
        (4, 5, Grade.GOOD),
        (5, 5, Grade.EASY),
        (1, 3, Grade.AGAIN),
        (2, 3, Grade.GOOD),
        (3, 3, Grade.EASY),
        (0, 2, Grade.AGAIN),
        (1, 2, Grade.HARD),
        (2, 2, Grade.EASY),
        (0, 1, Grade.AGAIN),
        (1, 1, Grade.EASY),
        (9, 10, Grade.GOOD),
        (5, 10, Grade.HARD),
        (3, 10, Grade.AGAIN),
        (0, 0, Grade.AGAIN),
    ],
)
def test_rating_for_explain_boundaries(covered: int, total: int, expected: Grade) -> None:
    grade = explain_grade(covered, total)
    assert rating_for_explain(grade) is expected
    assert is_correct_explain(grade) == (expected >= Grade.GOOD)


def test_thresholds_are_ordered() -> None:
    assert Fraction(0) < HARD_MIN_SHARE < GOOD_MIN_SHARE < Fraction(1)


def test_empty_grade_has_zero_fraction() -> None:
    grade = ExplainGrade(())
    assert (grade.covered, grade.total, grade.fraction) == (0, 0, 0.0)
    assert grade.summary() == "You got 0/0 concepts"


# --- multiple choice ----------------------------------------------------------------

OPTIONS = ("WSGI", "ASGI", "CGI", "FastCGI")


def test_grade_mcq_right() -> None:
    assert grade_mcq(OPTIONS, "ASGI", 1) == McqGrade(
        correct=True, chosen="ASGI", chosen_index=1, right_answer="ASGI", right_index=1
    )


def test_grade_mcq_wrong() -> None:
    grade = grade_mcq(OPTIONS, "ASGI", 3)
    assert not grade.correct
    assert (grade.chosen, grade.chosen_index) == ("FastCGI", 3)
    assert (grade.right_answer, grade.right_index) == ("ASGI", 1)
    assert rating_for_mcq(grade.correct) is Grade.AGAIN


@pytest.mark.parametrize("index", [-1, 4, 100])
def test_grade_mcq_bad_index(index: int) -> None:
    with pytest.raises(ValueError, match=rf"choice index {index} is out of range for 4 options"):
        grade_mcq(OPTIONS, "ASGI", index)


def test_grade_mcq_no_options() -> None:
    with pytest.raises(ValueError, match="there are no options"):
        grade_mcq([], "ASGI", 0)


def test_grade_mcq_answer_not_an_option() -> None:
    with pytest.raises(ValueError, match="not one of the options"):
        grade_mcq(OPTIONS, "HTTP", 0)
