"""Explain grading that a teacher would sign (issue 14, items 7 and 8).

Clauses and statements, negations, hedges, prompt copies, keyword lists and stuffing,
concept rules (require / near / forbid), the evidence each result carries, blank
answers, the deck model and ``check`` for rules, and the adversarial set's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.grading_report import CATEGORIES, load_set, new_grader, score
from bot.core.grading import Refusal, grade_explain, is_blank_answer
from bot.decks import Concept, ConceptRule, load_deck_file, run_check


@dataclass(frozen=True)
class Rule:
    """Stand-in for :class:`bot.decks.ConceptRule`."""

    require: tuple[tuple[str, ...], ...]
    near: int | None = None
    forbid: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuledConcept:
    """Stand-in for a concept with rules and forbidden words."""

    name: str
    keywords: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    forbid: tuple[str, ...] = field(default=())


ASYNC = RuledConcept("async", ("asynchronous", "async"))
SOCKETS = RuledConcept("sockets", ("websocket",))
ROLES = RuledConcept(
    "roles",
    rules=(
        Rule((("wsgi",), ("synchronous", "blocking")), near=3, forbid=("non-blocking",)),
        Rule((("asgi",), ("asynchronous", "async")), near=3),
    ),
)


def covered(answer: str, concept: RuledConcept, prompt: str = "") -> bool:
    (result,) = grade_explain(answer, [concept], prompt=prompt).results
    return result.covered


def refused(answer: str, concept: RuledConcept, prompt: str = "") -> str | None:
    (result,) = grade_explain(answer, [concept], prompt=prompt).results
    return result.refused


# --- statements ------------------------------------------------------------------------


def test_a_stated_keyword_earns_the_concept() -> None:
    assert covered("ASGI is asynchronous.", ASYNC)
    assert covered("WSGI blocks, but ASGI runs async views.", ASYNC)


@pytest.mark.parametrize(
    "answer",
    [
        "asynchronous",
        "async websocket gunicorn event loop",
        "Keywords: async, websockets, concurrency.",
    ],
)
def test_word_lists_earn_nothing(answer: str) -> None:
    assert not covered(answer, ASYNC)
    assert refused(answer, ASYNC) in {Refusal.NO_SENTENCE, Refusal.KEYWORD_LIST}


def test_a_clause_stuffed_with_keywords_is_a_list() -> None:
    concepts = [ASYNC, SOCKETS, RuledConcept("live", ("streaming", "chat"))]
    grade = grade_explain("async websockets are streaming chat", concepts)
    assert [r.refused for r in grade.results] == [Refusal.KEYWORD_LIST] * 3


def test_repeating_a_keyword_earns_nothing() -> None:
    stuffed = "ASGI is async. " * 10
    assert refused(stuffed, ASYNC) == Refusal.REPEATED
    assert covered("ASGI is async. " * 3, ASYNC)


def test_one_fragment_joins_a_statement_not_a_list_of_them() -> None:
    both = [SOCKETS, RuledConcept("polling", ("long polling",))]
    grade = grade_explain("ASGI supports streaming, websockets, long polling.", both)
    assert [r.covered for r in grade.results] == [True, False]


def test_leading_fragments_join_the_first_statement() -> None:
    anywhere = RuledConcept("roles", rules=(Rule((("wsgi",), ("synchronous",))),))
    assert covered("WSGI, the older standard, is synchronous.", anywhere)
    assert not covered("WSGI, the older standard, is synchronous.", ROLES)  # 5 words apart


@pytest.mark.parametrize(
    "answer",
    [
        "ASGI is not asynchronous.",
        "ASGI doesn't use async views.",
        "Neither of them is asynchronous.",
        "ASGI never runs async code.",
    ],
)
def test_negated_clauses_earn_nothing(answer: str) -> None:
    assert refused(answer, ASYNC) == Refusal.NEGATED


def test_negation_stays_in_its_clause() -> None:
    assert covered("WSGI does not block the loop, but ASGI is asynchronous.", ASYNC)


@pytest.mark.parametrize(
    "answer",
    [
        "Is it asynchronous?",
        "is it about async",
        "Maybe ASGI is asynchronous.",
        "ASGI is probably async.",
    ],
)
def test_hedges_and_questions_earn_nothing(answer: str) -> None:
    assert refused(answer, ASYNC) == Refusal.HEDGED


def test_a_question_does_not_spoil_the_next_sentence() -> None:
    assert covered("Is it about keys? No: ASGI is asynchronous.", ASYNC)


def test_keywords_from_the_prompt_earn_nothing_alone() -> None:
    prompt = "Why is ASGI asynchronous?"
    assert refused("ASGI is asynchronous.", ASYNC, prompt) == Refusal.PROMPT_COPY
    assert covered("ASGI is asynchronous.", ASYNC)


def test_a_copy_of_the_prompt_or_hint_earns_nothing() -> None:
    concept = RuledConcept("live", ("live updates",))
    hint = "Consider apps that need live updates."
    (result,) = grade_explain("Apps that need live updates.", [concept], hint=hint).results
    assert result.refused == Refusal.PROMPT_COPY
    (own,) = grade_explain("Dashboards need live updates.", [concept], hint=hint).results
    assert own.covered


# --- rules -----------------------------------------------------------------------------


def test_roles_are_tied_to_their_subject() -> None:
    assert covered("WSGI is synchronous.", ROLES)
    assert covered("Unlike WSGI, ASGI is asynchronous.", ROLES)
    assert not covered("WSGI is asynchronous and ASGI is synchronous.", ROLES)
    assert refused("WSGI is asynchronous.", ROLES) == Refusal.RULE_UNMET


def test_near_counts_the_words_between() -> None:
    assert covered("WSGI is really quite blocking.", ROLES)  # 3 words between
    assert not covered("WSGI is really quite very blocking.", ROLES)  # 4


def test_rule_forbid_stops_the_rule() -> None:
    assert refused("WSGI is non-blocking.", ROLES) == Refusal.FORBIDDEN


def test_concept_forbid_stops_keywords_in_that_clause() -> None:
    concept = RuledConcept("async", ("async",), forbid=("wsgi",))
    assert refused("WSGI runs async views.", concept) == Refusal.FORBIDDEN
    assert covered("WSGI is old. ASGI runs async views.", concept)


def test_require_all_groups_in_one_clause() -> None:
    concept = RuledConcept("both", rules=(Rule((("event loop",), ("many", "thousands"))),))
    assert covered("One event loop serves many clients.", concept)
    assert not covered("It has an event loop. It serves many clients.", concept)


def test_result_names_the_clause_that_earned_it() -> None:
    answer = "WSGI is old.  ASGI is asynchronous; it is new."
    (result,) = grade_explain(answer, [ROLES]).results
    assert result.covered
    assert result.matched_keyword == "asgi + asynchronous"
    assert result.matched_text == "asgi is asynchronous"
    assert result.start is not None and result.end is not None
    assert answer[result.start : result.end] == "ASGI is asynchronous"


def test_offsets_survive_markup_and_accents() -> None:
    answer = "<@123> Ça va. ASGI is ásynchronous."
    (result,) = grade_explain(answer, [ASYNC]).results
    assert result.start is not None and result.end is not None
    assert answer[result.start : result.end] == "ASGI is ásynchronous"


def test_grading_is_deterministic() -> None:
    answer = "WSGI blocks; ASGI is async, websockets. Maybe streaming?"
    first = grade_explain(answer, [ASYNC, SOCKETS, ROLES])
    assert all(grade_explain(answer, [ASYNC, SOCKETS, ROLES]) == first for _ in range(5))


# --- blank answers ---------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["", "  ", "\n\t\u3000", "\u200b", "?!...", "<@1> <#2>"])
def test_blank_answers(answer: str) -> None:
    assert is_blank_answer(answer)


@pytest.mark.parametrize("answer", ["a", "ASGI", "é", "42"])
def test_answers_with_a_word_are_not_blank(answer: str) -> None:
    assert not is_blank_answer(answer)


# --- the deck model and check ----------------------------------------------------------


def test_old_concepts_keep_working() -> None:
    concept = Concept(name="c", keywords=("k",))
    assert (concept.rules, concept.forbid) == ((), ())


def test_a_rule_concept_needs_no_keywords() -> None:
    rule = ConceptRule(require=(("wsgi",), ("sync",)), near=2, forbid=("not",))
    assert Concept(name="c", rules=(rule,)).keywords == ()


DECK = """id: demo
title: Demo
cards:
  - id: essay
    type: explain
    level: beginner
    prompt: P
    model_answer: M
    concepts:
{concepts}
"""


def check(tmp_path: Path, concepts: str) -> list[str]:
    (tmp_path / "demo.yaml").write_text(DECK.format(concepts=concepts), encoding="utf-8")
    out: list[str] = []

    class Out:
        def write(self, text: str) -> None:
            out.append(text)

    run_check(tmp_path, Out())  # type: ignore[arg-type]
    return "".join(out).splitlines()


def test_check_accepts_rules(tmp_path: Path) -> None:
    lines = check(
        tmp_path,
        "      - name: roles\n"
        "        forbid: [not]\n"
        "        rules:\n"
        "          - {require: [[wsgi], [sync, blocking]], near: 3, forbid: [non-blocking]}\n",
    )
    assert lines == ["1 deck OK"]
    deck = load_deck_file(tmp_path / "demo.yaml").deck
    assert deck is not None


@pytest.mark.parametrize(
    ("concepts", "expected"),
    [
        ("      - name: bare\n", "demo.yaml:10: essay: concept 'bare' needs keywords or rules"),
        (
            "      - name: r\n        rules:\n          - {require: [[a]], near: -1}\n",
            "demo.yaml:12: essay: 'near' of rule 1 of concept 1 must be a whole number "
            "from 0 to 50",
        ),
        (
            "      - name: r\n        rules:\n          - {require: []}\n",
            "demo.yaml:12: essay: 'require' of rule 1 of concept 1 needs at least 1 item(s), not 0",
        ),
        (
            "      - name: r\n        rules:\n          - {require: [[a]], nera: 2}\n",
            "demo.yaml:12: essay: unknown key 'nera' in rule 1 of concept 1 (did you mean 'near'?)",
        ),
    ],
)
def test_check_reports_bad_rules_with_file_line_and_card(
    tmp_path: Path, concepts: str, expected: str
) -> None:
    lines = check(tmp_path, concepts)
    assert lines[0].endswith(f"/{expected}")
    assert lines[-1] == "1 problem in 1 of 1 deck"


# --- the adversarial set ---------------------------------------------------------------

# Set from the measured figures of bench/grading_report.py (see its table), a little
# below them: a change that makes the grader credit salads, negations or swaps again,
# or miss what a teacher credits, fails here.
THRESHOLDS: dict[str, tuple[float, float]] = {
    # category: (min precision, min recall)
    "salad": (1.0, 1.0),
    "negation": (1.0, 1.0),
    "hedge": (1.0, 1.0),
    "prompt": (1.0, 1.0),
    "swap": (0.6, 1.0),
    "paraphrase": (0.95, 0.95),
    "typo": (0.95, 0.95),
    "short": (0.95, 0.95),
    "all": (0.95, 0.95),
}


def test_adversarial_set_is_big_enough_and_names_real_concepts() -> None:
    cases = load_set()
    assert len(cases) >= 50
    assert {c.category for c in cases} == set(CATEGORIES)
    deck = load_deck_file(Path("content/django-wsgi-asgi.yaml")).deck
    assert deck is not None
    names = {
        card.id: {concept.name for concept in card.concepts}
        for card in deck.cards
        if card.type == "explain"
    }
    for case in cases:
        assert case.credit <= names[case.card], case.answer


def test_adversarial_set_figures_stay_above_thresholds() -> None:
    scores = score(load_set(), new_grader())
    for category, (precision, recall) in THRESHOLDS.items():
        got = scores[category]
        assert got.precision >= precision, (category, got)
        assert got.recall >= recall, (category, got)
