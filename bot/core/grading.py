"""Answer grading: explain answers concept by concept, multiple choice, and FSRS ratings.

Plain Python on purpose: no discord import (so another front end can reuse it) and no deck
model import (any object with ``name`` and ``keywords`` is a :class:`ConceptSpec`).

Explain matching works on tokens from :mod:`bot.core.text_normalize` (case, accents, punctuation
and English inflections folded on both sides). A concept is covered when any of its
keywords appears in the answer:

- as a phrase of consecutive tokens, each token equal to the keyword's or within a small
  typo budget (:func:`max_typo_edits`), never as a substring, so "sync" does not match
  inside "async";
- or as a compound written with or without a space ("web socket" for "websocket",
  "nonblocking" for "non-blocking").

A fuzzy (non-exact) token match also needs the same first letter and no digits: typos
rarely hit the first letter, while a different first letter usually means a different word
("sync"/"async", "asgi"/"wsgi", "blocking"/"unblocking"), and digits carry meaning
("http1"/"http2").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from fractions import Fraction
from functools import lru_cache
from typing import Protocol, TypedDict

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.text_normalize import fold_word, split_words, tokenize

__all__ = [
    "EXACT_MAX_LEN",
    "GOOD_MIN_SHARE",
    "HARD_MIN_SHARE",
    "MAX_ANSWER_CHARS",
    "MAX_ANSWER_TOKENS",
    "MIN_COMPOUND_PART_LEN",
    "ONE_EDIT_MAX_LEN",
    "ConceptResult",
    "ConceptSpec",
    "ExplainGrade",
    "Grade",
    "McqGrade",
    "grade_explain",
    "grade_mcq",
    "is_correct_explain",
    "max_typo_edits",
    "rating_for_explain",
    "rating_for_mcq",
]

MAX_ANSWER_CHARS = 4000
"""Only this many characters of an answer are graded: Discord's text-input (modal) limit.

Anything longer did not come through the modal, and capping keeps a hostile answer cheap.
"""

MAX_ANSWER_TOKENS = 1000
"""Only this many words are graded. 4000 characters of English are about 700 words, so an
honest answer is never cut; a hostile one ("a a a ...", or characters that decompose into
many words) is bounded."""

EXACT_MAX_LEN = 3
"""Keyword tokens this short (after folding) must match exactly: one edit to a 3-letter
word is a third of it ("api" vs "apt")."""

ONE_EDIT_MAX_LEN = 7
"""Keyword tokens of ``EXACT_MAX_LEN + 1`` to this many letters allow one typo
("websockt"); longer ones allow ``LONG_WORD_MAX_EDITS``."""

LONG_WORD_MAX_EDITS = 2
"""Typos allowed in keyword tokens longer than ``ONE_EDIT_MAX_LEN`` ("asyncronus")."""

MIN_COMPOUND_PART_LEN = 3
"""Each of two answer words joined to match a one-word keyword must be at least this long,
so "a synchronous" is not read as "asynchronous" nor "a sync" as "async"."""

HARD_MIN_SHARE = Fraction(2, 5)
"""Below this share of concepts covered, the explain answer is a lapse (AGAIN)."""

GOOD_MIN_SHARE = Fraction(3, 5)
"""From this share of concepts covered, the explain answer counts as recalled (GOOD).

Why 40% and 60% rather than, say, 70%: keyword matching under-counts (a learner who
paraphrases beyond the keyword list is marked as missing a concept), so a clear majority
should already pass. On the usual 5-concept checklist this gives 0-1 → AGAIN, 2 → HARD,
3-4 → GOOD, 5 → EASY; on 3 concepts 0-1 → AGAIN, 2 → GOOD, 3 → EASY; on 2 concepts
0 → AGAIN, 1 → HARD, 2 → EASY. Fractions keep the boundaries exact (3/5 is not a float
rounding away from 0.6). EASY needs every concept: it stretches the interval the most.
"""


class ConceptSpec(Protocol):
    """What grading needs from a concept: its display name and its keywords/synonyms."""

    @property
    def name(self) -> str:
        """The concept as shown to the learner ("synchronous vs asynchronous")."""
        ...

    @property
    def keywords(self) -> Sequence[str]:
        """Words or phrases any of which shows the concept is covered."""
        ...


class ConceptResultDict(TypedDict):
    """The dict shape of a :class:`ConceptResult`."""

    name: str
    covered: bool
    matched_keyword: str | None
    matched_text: str | None


class ExplainGradeDict(TypedDict):
    """The dict shape of an :class:`ExplainGrade`."""

    results: list[ConceptResultDict]


class McqGradeDict(TypedDict):
    """The dict shape of a :class:`McqGrade`."""

    correct: bool
    chosen: str
    chosen_index: int
    right_answer: str
    right_index: int


@dataclass(frozen=True)
class ConceptResult:
    """Whether one concept was covered, and by which keyword and which words of the answer.

    ``matched_text`` is the answer's words as normalised (lowercase, no accents or
    punctuation) but not stemmed, e.g. "asyncronous" for keyword "asynchronous".
    """

    name: str
    covered: bool
    matched_keyword: str | None = None
    matched_text: str | None = None

    def to_dict(self) -> ConceptResultDict:
        """Return a JSON-ready dict."""
        return {
            "name": self.name,
            "covered": self.covered,
            "matched_keyword": self.matched_keyword,
            "matched_text": self.matched_text,
        }

    @classmethod
    def from_dict(cls, data: ConceptResultDict) -> ConceptResult:
        """Rebuild a result from :meth:`to_dict` output."""
        return cls(
            name=data["name"],
            covered=data["covered"],
            matched_keyword=data["matched_keyword"],
            matched_text=data["matched_text"],
        )


@dataclass(frozen=True)
class ExplainGrade:
    """The concept-by-concept result of grading one explain answer, in checklist order."""

    results: tuple[ConceptResult, ...]

    @property
    def covered(self) -> int:
        """How many concepts the answer covered."""
        return sum(1 for r in self.results if r.covered)

    @property
    def total(self) -> int:
        """How many concepts the checklist has."""
        return len(self.results)

    @property
    def share(self) -> Fraction:
        """Exact share of concepts covered (0 for an empty checklist)."""
        return Fraction(self.covered, self.total) if self.total else Fraction(0)

    @property
    def fraction(self) -> float:
        """Share of concepts covered, from 0.0 to 1.0 (0.0 for an empty checklist)."""
        return float(self.share)

    def summary(self) -> str:
        """The learner-facing score line, e.g. ``You got 3/5 concepts``."""
        return f"You got {self.covered}/{self.total} concepts"

    def to_dict(self) -> ExplainGradeDict:
        """Return a JSON-ready dict."""
        return {"results": [r.to_dict() for r in self.results]}

    @classmethod
    def from_dict(cls, data: ExplainGradeDict) -> ExplainGrade:
        """Rebuild a grade from :meth:`to_dict` output."""
        return cls(results=tuple(ConceptResult.from_dict(r) for r in data["results"]))


@dataclass(frozen=True)
class McqGrade:
    """The result of one multiple-choice answer."""

    correct: bool
    chosen: str
    chosen_index: int
    right_answer: str
    right_index: int

    def to_dict(self) -> McqGradeDict:
        """Return a JSON-ready dict."""
        return {
            "correct": self.correct,
            "chosen": self.chosen,
            "chosen_index": self.chosen_index,
            "right_answer": self.right_answer,
            "right_index": self.right_index,
        }

    @classmethod
    def from_dict(cls, data: McqGradeDict) -> McqGrade:
        """Rebuild a grade from :meth:`to_dict` output."""
        return cls(**data)


class Grade(IntEnum):
    """The four FSRS ratings, with the same values as ``fsrs.Rating`` (not imported here)."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


def max_typo_edits(token: str) -> int:
    """How many edits (insert, delete, substitute, swap adjacent) a keyword token tolerates."""
    if len(token) <= EXACT_MAX_LEN:
        return 0
    if len(token) <= ONE_EDIT_MAX_LEN:
        return 1
    return LONG_WORD_MAX_EDITS


def _fuzzy_allowed(token: str) -> bool:
    return token.isalpha()


@lru_cache(maxsize=1024)
def _keyword_tokens(keyword: str) -> tuple[str, ...]:
    # Keywords come from decks, a few dozen per card: caching skips re-normalising them on
    # every answer. The char cap only guards against a pathological deck entry.
    return tokenize(keyword, max_tokens=MAX_ANSWER_TOKENS, max_chars=MAX_ANSWER_CHARS)


class _AnswerIndex:
    """One answer's tokens, indexed for fast exact and fuzzy keyword lookups.

    Matching goes through the *distinct* tokens (grouped by first letter), so a pathological
    answer repeating one word a thousand times costs no more than the word once.
    """

    def __init__(self, answer: str) -> None:
        self.words = split_words(answer, MAX_ANSWER_CHARS)[:MAX_ANSWER_TOKENS]
        self.tokens = [fold_word(w) for w in self.words]
        self.positions: dict[str, list[int]] = {}
        for i, tok in enumerate(self.tokens):
            self.positions.setdefault(tok, []).append(i)
        # Two adjacent words joined, for keywords written as one word ("web socket").
        self.compounds: dict[str, int] = {}
        for i, (first, second) in enumerate(zip(self.tokens, self.tokens[1:], strict=False)):
            if len(first) >= MIN_COMPOUND_PART_LEN and len(second) >= MIN_COMPOUND_PART_LEN:
                self.compounds.setdefault(first + second, i)
        self._token_initials = _group_by_initial(self.positions)
        self._compound_initials = _group_by_initial(self.compounds)
        self._close_cache: dict[tuple[str, bool], frozenset[str]] = {}

    def _close(self, query: str, compounds: bool) -> frozenset[str]:
        """Distinct answer tokens (or joined word pairs) that ``query`` matches."""
        key = (query, compounds)
        cached = self._close_cache.get(key)
        if cached is not None:
            return cached
        exact = self.compounds if compounds else self.positions
        found = {query} if query in exact else set()
        edits = max_typo_edits(query)
        if edits and _fuzzy_allowed(query):
            groups = self._compound_initials if compounds else self._token_initials
            candidates = groups.get(query[0], [])
            if candidates:
                # Optimal string alignment: a swapped pair of letters counts as one typo.
                for choice, _dist, _idx in process.extract(
                    query, candidates, scorer=OSA.distance, score_cutoff=edits, limit=None
                ):
                    found.add(choice)
        result = frozenset(found)
        self._close_cache[key] = result
        return result

    def find(self, keyword: tuple[str, ...]) -> tuple[int, int] | None:
        """Return ``(start, length)`` of the earliest answer span matching ``keyword``."""
        if not keyword:
            return None
        spans: list[tuple[int, int]] = []
        n = len(keyword)
        options = [self._close(tok, compounds=False) for tok in keyword]
        if all(options):
            starts = sorted(i for tok in options[0] for i in self.positions[tok])
            for i in starts:
                if i + n <= len(self.tokens) and all(
                    self.tokens[i + j] in options[j] for j in range(1, n)
                ):
                    spans.append((i, n))
                    break
        joined = "".join(keyword)
        if n > 1:
            # A phrase keyword written as one word: "nonblocking" for "non-blocking".
            spans.extend(
                (self.positions[tok][0], 1) for tok in self._close(joined, compounds=False)
            )
        # A keyword written as two words: "web socket" for "websocket".
        spans.extend((self.compounds[c], 2) for c in self._close(joined, compounds=True))
        return min(spans) if spans else None

    def text(self, span: tuple[int, int]) -> str:
        """The answer's normalised words covering ``span``."""
        start, length = span
        return " ".join(self.words[start : start + length])


def _group_by_initial(strings: Mapping[str, object]) -> dict[str, list[str]]:
    # Only fuzzy candidates need grouping, and fuzzy matches need the same first letter
    # and no digits, so other strings are left out.
    groups: dict[str, list[str]] = {}
    for s in strings:
        if _fuzzy_allowed(s):
            groups.setdefault(s[0], []).append(s)
    return groups


def grade_explain(answer: str, concepts: Sequence[ConceptSpec]) -> ExplainGrade:
    """Grade a free-text answer against a checklist of concepts.

    Each concept is covered by the first of its keywords (in deck order) found in the answer
    (see the module docstring for the matching rules). Only the first
    :data:`MAX_ANSWER_CHARS` characters and :data:`MAX_ANSWER_TOKENS` words are read, so
    any string, however long or strange, is graded quickly and without raising.

    Raises ``ValueError`` if ``concepts`` is empty: that is a deck error, and grading it
    would silently fail every learner.
    """
    if not concepts:
        raise ValueError("an explain card needs at least one concept to grade against")
    index = _AnswerIndex(answer)
    results: list[ConceptResult] = []
    for concept in concepts:
        result = ConceptResult(name=concept.name, covered=False)
        for keyword in concept.keywords:
            span = index.find(_keyword_tokens(keyword))
            if span is not None:
                result = ConceptResult(
                    name=concept.name,
                    covered=True,
                    matched_keyword=keyword,
                    matched_text=index.text(span),
                )
                break
        results.append(result)
    return ExplainGrade(results=tuple(results))


def grade_mcq(options: Sequence[str], answer: str, choice_index: int) -> McqGrade:
    """Grade the option at ``choice_index`` (0-based) against the right ``answer`` text.

    Raises ``ValueError`` if ``choice_index`` is outside ``0..len(options)-1`` (negative
    indexes are refused, not counted from the end), or if ``answer`` is not one of
    ``options``.
    """
    if not options:
        raise ValueError(f"choice index {choice_index} is out of range: there are no options")
    if not 0 <= choice_index < len(options):
        raise ValueError(
            f"choice index {choice_index} is out of range for {len(options)} options "
            f"(expected 0 to {len(options) - 1})"
        )
    try:
        right_index = list(options).index(answer)
    except ValueError:
        raise ValueError(f"answer {answer!r} is not one of the options {list(options)!r}") from None
    return McqGrade(
        correct=choice_index == right_index,
        chosen=options[choice_index],
        chosen_index=choice_index,
        right_answer=answer,
        right_index=right_index,
    )


def rating_for_mcq(correct: bool) -> Grade:
    """Wrong → AGAIN, right → GOOD (a guessable choice never earns EASY)."""
    return Grade.GOOD if correct else Grade.AGAIN


def rating_for_explain(grade: ExplainGrade) -> Grade:
    """Map the share of concepts covered to a rating.

    Below :data:`HARD_MIN_SHARE` (40%) → AGAIN, below :data:`GOOD_MIN_SHARE` (60%) → HARD,
    below all → GOOD, all → EASY. An empty checklist rates AGAIN.
    """
    share = grade.share
    if grade.total == 0 or share < HARD_MIN_SHARE:
        return Grade.AGAIN
    if share < GOOD_MIN_SHARE:
        return Grade.HARD
    if share < 1:
        return Grade.GOOD
    return Grade.EASY


def is_correct_explain(grade: ExplainGrade) -> bool:
    """Whether the explain answer counts as right (for accuracy and XP): at least GOOD."""
    return rating_for_explain(grade) >= Grade.GOOD
