"""The explain-grading report (``python -m bench.grading_report``): before and after.

Scores explain grading on the project's adversarial set
(``tests/data/grading/adversarial.yaml``): answers to the shipped deck's two explain
prompts, each with the concepts a teacher would credit. For each category it prints
precision (of the concepts credited, how many a teacher credits), recall (of the
concepts a teacher credits, how many were credited) and F1, counted over every
(answer, concept) pair, for two graders:

- *before*: the grader and the deck as they were at ``BEFORE`` (read from the git
  history, so no copy of the old algorithm lives in ``bot/``);
- *after*: today's :func:`bot.core.grading.grade_explain` with today's deck.

A category with nothing to credit has recall 1.0 by convention, and a grader crediting
nothing has precision 1.0: what matters there is the false credits (``fp``), also shown.
``tests/test_grading_report.py`` keeps the *after* figures at or above thresholds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.grading import grade_explain
from bot.decks import ExplainCard, load_deck_file

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "tests" / "data" / "grading" / "adversarial.yaml"
DECK = ROOT / "content" / "django-wsgi-asgi.yaml"
BEFORE = "12e1958"
"""The commit before issue 14's grading work (the grader and deck of "before")."""

CATEGORIES = ("salad", "negation", "hedge", "prompt", "swap", "paraphrase", "typo", "short")


@dataclass(frozen=True)
class Case:
    """One answer of the set: the card it answers and the concepts a teacher credits."""

    card: str
    category: str
    answer: str
    credit: frozenset[str]


@dataclass(frozen=True)
class Score:
    """True positives, false positives and false negatives over (answer, concept) pairs."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        """Share of credited concepts a teacher credits (1.0 when nothing was credited)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of the teacher's credits found (1.0 when there was nothing to credit)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


Grader = Callable[[Case], frozenset[str]]
"""Grades one case: the names of the concepts credited."""


def load_set(path: Path = SET) -> list[Case]:
    """The adversarial set, with aliases expanded to card ids and concept names."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = data["aliases"]
    return [
        Case(
            card=aliases[item["card"]],
            category=item["category"],
            answer=item["answer"],
            credit=frozenset(aliases[name] for name in item["credit"]),
        )
        for item in data["answers"]
    ]


def explain_cards() -> dict[str, ExplainCard]:
    """Today's shipped explain cards, by id."""
    deck = load_deck_file(DECK).deck
    assert deck is not None, "the shipped deck does not load"
    return {card.id: card for card in deck.cards if isinstance(card, ExplainCard)}


def new_grader() -> Grader:
    """Today's grader on today's deck, as the session rules call it (with the prompt)."""
    cards = explain_cards()

    def grade(case: Case) -> frozenset[str]:
        card = cards[case.card]
        graded = grade_explain(case.answer, card.concepts, prompt=card.prompt, hint=card.hint or "")
        return frozenset(r.name for r in graded.results if r.covered)

    return grade


@dataclass(frozen=True)
class _OldConcept:
    name: str
    keywords: tuple[str, ...]


def old_grader(commit: str = BEFORE) -> Grader:
    """The grader and deck at ``commit``, read from git (the module is executed in memory)."""

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    module = types.ModuleType("old_grading")
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    exec(compile(show("bot/core/grading.py"), "old_grading.py", "exec"), module.__dict__)
    deck = yaml.safe_load(show("content/django-wsgi-asgi.yaml"))
    cards = {
        card["id"]: tuple(_OldConcept(c["name"], tuple(c["keywords"])) for c in card["concepts"])
        for card in deck["cards"]
        if card["type"] == "explain"
    }

    def grade(case: Case) -> frozenset[str]:
        graded = module.grade_explain(case.answer, cards[case.card])
        return frozenset(r.name for r in graded.results if r.covered)

    return grade


def score(cases: Sequence[Case], grader: Grader) -> dict[str, Score]:
    """Scores by category, plus ``"all"``."""
    scores = {category: Score() for category in (*CATEGORIES, "all")}
    for case in cases:
        credited = grader(case)
        one = Score(
            tp=len(credited & case.credit),
            fp=len(credited - case.credit),
            fn=len(case.credit - credited),
        )
        scores[case.category] += one
        scores["all"] += one
    return scores


def table(cases: Sequence[Case], before: dict[str, Score], after: dict[str, Score]) -> str:
    """A Markdown table of both graders' figures by category."""
    counts = {category: sum(c.category == category for c in cases) for category in CATEGORIES}
    counts["all"] = len(cases)
    lines = [
        "| category | answers | before P / R / F1 (fp) | after P / R / F1 (fp) |",
        "| --- | --- | --- | --- |",
    ]
    for category in (*CATEGORIES, "all"):
        b, a = before[category], after[category]
        lines.append(
            f"| {category} | {counts[category]} "
            f"| {b.precision:.2f} / {b.recall:.2f} / {b.f1:.2f} ({b.fp}) "
            f"| {a.precision:.2f} / {a.recall:.2f} / {a.f1:.2f} ({a.fp}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the before/after table; ``--misses`` also lists the after grader's errors."""
    parser = argparse.ArgumentParser(prog="python -m bench.grading_report")
    parser.add_argument("--before", default=BEFORE, help="commit of the 'before' grader")
    parser.add_argument("--misses", action="store_true", help="list the new grader's errors")
    args = parser.parse_args(argv)
    cases = load_set()
    new = new_grader()
    print(table(cases, score(cases, old_grader(args.before)), score(cases, new)))
    if args.misses:
        for case in cases:
            credited = new(case)
            if credited != case.credit:
                extra = sorted(credited - case.credit)
                missing = sorted(case.credit - credited)
                print(f"- [{case.category}] {case.answer!r}: extra {extra}, missing {missing}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
