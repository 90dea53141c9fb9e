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

A keyword only counts where the answer *states* it (issue 14: grading a teacher would
sign). The answer is split into sentences (at ".", "!", "?" and line breaks) and clauses
(at commas, semicolons, colons, brackets, dashes and conjunctions such as "and", "but",
"while", "because", "unlike"); a short verbless fragment joins the statement before it
(one per statement) or, opening a sentence, the statement after it. A clause earns
nothing when it

- is negated: a cue such as "not", "never", "doesn't", "cannot" anywhere in it;
- is hedged or asked: "maybe", "perhaps", "I guess", a "?" ending its sentence, or a
  sentence opening like a question ("is it about keys");
- has no verb-ish word or fewer than :data:`MIN_CLAUSE_TOKENS` words (a list of words);
- is mostly keywords (:data:`MAX_KEYWORD_DENSITY`), or mostly words of the prompt and
  hint (:data:`PROMPT_COPY_SHARE`);
- holds a ``forbid`` word of the concept (or of the rule being tried).

A keyword made only of prompt words earns nothing alone, and a keyword written in more
than :data:`MAX_KEYWORD_REPEATS` clauses is stuffing. Concepts may also carry rules in the
style of PMatch (every keyword group in one clause, optionally ``near`` each other), which
is how a deck says which subject goes with which word ("WSGI" near "synchronous"), so a
swapped statement ("WSGI is asynchronous") earns nothing. Each result names the clause
that earned the concept (character offsets into the answer) or, when a keyword was
written but earned nothing, why (:class:`Refusal`). No model, no network: regular
expressions, sets and the edit distance above, about 2 ms for 4,000 characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from fractions import Fraction
from functools import lru_cache
from itertools import product
from typing import NotRequired, Protocol, TypedDict

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.text_normalize import blank_markup, fold_word, split_words, tokenize

__all__ = [
    "EXACT_MAX_LEN",
    "GOOD_MIN_SHARE",
    "HARD_MIN_SHARE",
    "MAX_ANSWER_CHARS",
    "MAX_ANSWER_TOKENS",
    "MIN_COMPOUND_PART_LEN",
    "ONE_EDIT_MAX_LEN",
    "ConceptResult",
    "ConceptRuleSpec",
    "ConceptSpec",
    "ExplainGrade",
    "Grade",
    "McqGrade",
    "Refusal",
    "grade_explain",
    "grade_mcq",
    "is_blank_answer",
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


class ConceptRuleSpec(Protocol):
    """A concept rule for deck authors: every group matched in one clause, maybe near."""

    @property
    def require(self) -> Sequence[Sequence[str]]:
        """Keyword groups; each needs one of its words or phrases in the clause."""
        ...

    @property
    def near(self) -> int | None:
        """At most this many words between the groups' matches (``None``: anywhere)."""
        ...

    @property
    def forbid(self) -> Sequence[str]:
        """Words that, anywhere in the clause, stop this rule from earning the concept."""
        ...


class ConceptSpec(Protocol):
    """What grading needs from a concept: its display name and its keywords/synonyms.

    A concept may also have ``forbid`` (words that stop any match in their clause) and
    ``rules`` (a sequence of :class:`ConceptRuleSpec`); both are read with ``getattr``, so
    an object with only ``name`` and ``keywords`` is a concept too.
    """

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
    start: NotRequired[int | None]
    end: NotRequired[int | None]
    refused: NotRequired[str | None]


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
    punctuation) but not stemmed, e.g. "asyncronous" for keyword "asynchronous". For a
    rule, ``matched_keyword`` joins the keyword of each group with " + ". ``start`` and
    ``end`` are the character offsets, in the answer as written, of the clause that earned
    the concept (``answer[start:end]``), for a front end to show or highlight. ``refused``
    says, for a concept not covered, why a mention of its keywords earned nothing (a
    :class:`Refusal` value), or ``None`` when no keyword was written at all.
    """

    name: str
    covered: bool
    matched_keyword: str | None = None
    matched_text: str | None = None
    start: int | None = None
    end: int | None = None
    refused: str | None = None

    def to_dict(self) -> ConceptResultDict:
        """Return a JSON-ready dict."""
        return {
            "name": self.name,
            "covered": self.covered,
            "matched_keyword": self.matched_keyword,
            "matched_text": self.matched_text,
            "start": self.start,
            "end": self.end,
            "refused": self.refused,
        }

    @classmethod
    def from_dict(cls, data: ConceptResultDict) -> ConceptResult:
        """Rebuild a result from :meth:`to_dict` output."""
        return cls(
            name=data["name"],
            covered=data["covered"],
            matched_keyword=data["matched_keyword"],
            matched_text=data["matched_text"],
            start=data.get("start"),
            end=data.get("end"),
            refused=data.get("refused"),
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
    answer repeating one word a thousand times costs no more than the word once. Tokens of
    different clauses are never read as one phrase: ``clause_of`` gives each token's clause.
    """

    def __init__(self, words: list[str], piece_of: list[int], clause_of: list[int]) -> None:
        # piece_of: the clause before fragments were joined; a phrase never spans two
        # pieces ("server-sent events, long polling" holds no "event loop").
        self.words = words
        self.tokens = [fold_word(w) for w in words]
        self.clause_of = clause_of
        self.positions: dict[str, list[int]] = {}
        for i, tok in enumerate(self.tokens):
            self.positions.setdefault(tok, []).append(i)
        # Two adjacent words of one clause joined, for keywords written as one word.
        self.compounds: dict[str, list[int]] = {}
        for i, (first, second) in enumerate(zip(self.tokens, self.tokens[1:], strict=False)):
            if (
                len(first) >= MIN_COMPOUND_PART_LEN
                and len(second) >= MIN_COMPOUND_PART_LEN
                and piece_of[i] == piece_of[i + 1]
            ):
                self.compounds.setdefault(first + second, []).append(i)
        self._token_initials = _group_by_initial(self.positions)
        self._compound_initials = _group_by_initial(self.compounds)
        self._close_cache: dict[tuple[str, bool], frozenset[str]] = {}
        self._piece_of = piece_of
        self._find_cache: dict[tuple[str, ...], tuple[tuple[int, int], ...]] = {}

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

    def find_all(self, keyword: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
        """Every ``(start, length)`` answer span matching ``keyword``, within one clause, sorted."""
        cached = self._find_cache.get(keyword)
        if cached is not None:
            return cached
        spans: set[tuple[int, int]] = set()
        n = len(keyword)
        if n:
            options = [self._close(tok, compounds=False) for tok in keyword]
            if all(options):
                for tok in options[0]:
                    for i in self.positions[tok]:
                        if (
                            i + n <= len(self.tokens)
                            and self._piece_of[i] == self._piece_of[i + n - 1]
                            and all(self.tokens[i + j] in options[j] for j in range(1, n))
                        ):
                            spans.add((i, n))
            joined = "".join(keyword)
            if n > 1:
                # A phrase keyword written as one word: "nonblocking" for "non-blocking".
                for tok in self._close(joined, compounds=False):
                    spans.update((i, 1) for i in self.positions[tok])
            # A keyword written as two words: "web socket" for "websocket".
            for c in self._close(joined, compounds=True):
                spans.update((i, 2) for i in self.compounds[c])
        result = tuple(sorted(spans))
        self._find_cache[keyword] = result
        return result

    def text(self, start: int, end: int) -> str:
        """The answer's normalised words from token ``start`` up to (not including) ``end``."""
        return " ".join(self.words[start:end])


def _group_by_initial(strings: Mapping[str, object]) -> dict[str, list[str]]:
    # Only fuzzy candidates need grouping, and fuzzy matches need the same first letter
    # and no digits, so other strings are left out.
    groups: dict[str, list[str]] = {}
    for s in strings:
        if _fuzzy_allowed(s):
            groups.setdefault(s[0], []).append(s)
    return groups


# --- clauses ---------------------------------------------------------------------------

# Where an answer splits. A question mark ends a sentence and marks it a question; "." and
# "!" end one only before a space or the end ("asgi.py", "3.5" stay whole); a line break
# ends one too. Commas, semicolons, colons, brackets, dashes and the conjunctions below
# end a clause.
_DELIMITER = re.compile(
    r"(?P<question>\?+)"
    r"|(?P<end>[.!]+(?=\s|$)|\n)"
    r"|(?P<clause>[,;:()\[\]{}\"\u2014\u2013]|\s-\s|\b(?:and|but|while|whereas|whilst|because"
    r"|although|though|however|unlike|yet|instead|so|then)\b)",
    re.IGNORECASE,
)


def _folded_set(words: str) -> frozenset[str]:
    """The folded forms of space-separated ``words``."""
    return frozenset(fold_word(w) for w in words.split())


_NEGATIONS = _folded_set(
    "not no never nor neither cannot cant dont doesnt didnt isnt arent wasnt "
    "werent wont wouldnt couldnt shouldnt hasnt havent hadnt lacks unable "
    "nothing nt"
)
"""Cues that negate a clause: a keyword in a negated clause earns nothing."""

_HEDGES = _folded_set(
    "maybe perhaps possibly probably guess unsure idk dunno might somehow whatever something"
)
"""Cues that hedge a clause: a guess is not a statement."""

_CUES = _NEGATIONS | _HEDGES

_QUESTION_OPENERS = _folded_set(
    "is are was were does do did can could would will should shall isnt doesnt"
)
"""A sentence opening with one of these asks (``is it about keys``), even without "?"."""

_VERBS = _folded_set(
    "is are was were be been being am has have had does do did can could will would "
    "may must should shall isnt arent doesnt dont cant cannot wont "
    "use uses handle handles run runs serve serves support supports allow allows let "
    "lets keep keeps need needs wait waits block blocks process processes work works "
    "mean means make makes give gives take takes open opens hold holds stay stays "
    "spawn spawns manage manages send sends receive receives push pushes stream "
    "streams scale scales require requires provide provides offer offers enable "
    "enables speak speaks talk talks carry carries accept accepts connect connects "
    "respond responds call calls go goes get gets become becomes remain remains lack "
    "lacks rely relies depend depends pick picks choose chooses want wants help helps "
    "update updates deal deals ship ships plug plugs sit sits write writes read reads "
    "await awaits tie ties suit suits fit fits power powers deploy deploys install installs "
    "expose exposes implement implements define defines differ differs replace replaces "
    "wrap wraps share shares pass passes return returns answer answers"
)
"""Verb-ish words: a clause needs one to be a statement rather than a list of words."""

_STOPWORDS = _folded_set(
    "a an the of in on at to for and or with by from as it its is are be this that "
    "these those there here each one"
)
"""Words too common to say whether a clause copies the prompt."""

MIN_CLAUSE_TOKENS = 2
"""A clause needs at least this many words to state something ("WSGI blocks")."""

MAX_KEYWORD_DENSITY = Fraction(2, 3)
"""A clause with more keyword matches (of the concepts' ``keywords``, not of their rules)
than this share of its words is a list, not a
statement ("async websocket gunicorn are" has 3 matches in 4 words; "WSGI is synchronous"
has 2 in 3, and passes)."""

PROMPT_COPY_SHARE = Fraction(4, 5)
"""A clause whose content words are at least this share prompt or hint words copies them."""

MAX_KEYWORD_REPEATS = 6
"""A keyword written in more distinct clauses than this is stuffing and earns nothing."""

MAX_FRAGMENT_WORDS = 8
"""A verbless fragment this short may join the statement before it ("…, long polling")."""

MAX_LEADING_FRAGMENTS = 2
"""At most this many verbless fragments opening a sentence join its first statement."""

MAX_NEAR_CANDIDATES = 8
"""Spans per keyword group tried when checking a ``near`` rule in one clause."""


class Refusal(StrEnum):
    """Why an answer's mention of a concept's keyword did not earn the concept."""

    NEGATED = "negated"
    HEDGED = "hedged"
    NO_SENTENCE = "no_sentence"
    KEYWORD_LIST = "keyword_list"
    PROMPT_COPY = "prompt_copy"
    FORBIDDEN = "forbidden"
    REPEATED = "repeated"
    RULE_UNMET = "rule_unmet"


@dataclass
class _Clause:
    """One clause of the answer: where it is, its tokens, and what kind of statement it is."""

    start: int
    end: int
    first: int
    stop: int
    verb: bool
    sentence: int
    question: bool = False
    absorbed: bool = False
    refusal: Refusal | None = None


def _split_clauses(
    answer: str, keyword_tokens: frozenset[str]
) -> tuple[list[_Clause], list[str], list[int]]:
    """Split ``answer`` into clauses; return them with the words and each word's clause.

    A clause's verb is a word of :data:`_VERBS` not ending in "-ing" (in "streaming,
    event loop" the gerund is a noun of a list), or a word ending in "-ed" unless it is
    a keyword's word ("long-lived").
    """
    text = blank_markup(answer[:MAX_ANSWER_CHARS])
    clauses: list[_Clause] = []
    words: list[str] = []
    clause_of: list[int] = []
    sentence = 0
    sentence_start = 0
    pos = 0

    def add(start: int, end: int) -> None:
        room = MAX_ANSWER_TOKENS - len(words)
        piece = split_words(text[start:end], MAX_ANSWER_CHARS)[:room]
        if not piece:
            return
        first = len(words)
        words.extend(piece)
        clause_of.extend([len(clauses)] * len(piece))
        verb = False
        for w in piece:
            folded = fold_word(w)
            if (folded in _VERBS and not w.endswith("ing")) or (
                w.endswith("ed") and len(w) > 4 and folded not in keyword_tokens
            ):
                verb = True
                break
        clauses.append(_Clause(start, end, first, len(words), verb, sentence))

    for m in _DELIMITER.finditer(text):
        if len(words) >= MAX_ANSWER_TOKENS:
            break
        add(pos, m.start())
        pos = m.end()
        if m.lastgroup != "clause":
            for clause in clauses[sentence_start:]:
                clause.question = m.lastgroup == "question"
            sentence += 1
            sentence_start = len(clauses)
    if len(words) < MAX_ANSWER_TOKENS:
        add(pos, len(text))
    return clauses, words, clause_of


def _merge_fragments(
    clauses: list[_Clause], words: list[str], clause_of: list[int]
) -> list[_Clause]:
    """Join short verbless fragments to a statement of their sentence.

    A fragment after a statement joins it ("ASGI supports WebSockets, long polling"), one
    per statement, so "ASGI is async, websocket, gunicorn, streaming" states one thing.
    Fragments opening a sentence join its first statement, at most
    :data:`MAX_LEADING_FRAGMENTS` of them ("WSGI, the older standard, is synchronous"),
    unless the fragment negates or hedges ("No: ASGI is async" answers a question).
    """
    merged: list[_Clause] = []
    leading: list[_Clause] = []
    for clause in clauses:
        prev = merged[-1] if merged else None
        short = clause.stop - clause.first <= MAX_FRAGMENT_WORDS
        if leading and leading[0].sentence != clause.sentence:
            merged.extend(leading)
            leading = []
        if (
            prev is not None
            and not clause.verb
            and prev.verb
            and not prev.absorbed
            and prev.sentence == clause.sentence
            and short
        ):
            prev.end, prev.stop, prev.absorbed = clause.end, clause.stop, True
        elif (
            not clause.verb
            and short
            and len(leading) < MAX_LEADING_FRAGMENTS
            and (prev is None or prev.sentence != clause.sentence)
            and not _CUES.intersection(fold_word(w) for w in words[clause.first : clause.stop])
        ):
            leading.append(clause)
        elif clause.verb and leading:
            clause.start, clause.first = leading[0].start, leading[0].first
            leading = []
            merged.append(clause)
        else:
            merged.extend(leading)
            leading = []
            merged.append(clause)
    merged.extend(leading)
    for index, clause in enumerate(merged):
        clause_of[clause.first : clause.stop] = [index] * (clause.stop - clause.first)
    return merged


def _rate_clauses(
    clauses: list[_Clause],
    tokens: list[str],
    keyword_starts: set[int],
    prompt: frozenset[str],
    copied: frozenset[str],
) -> None:
    """Mark each clause that cannot earn a concept, with the reason (first one found)."""
    opener: dict[int, str] = {}
    for clause in clauses:
        opener.setdefault(clause.sentence, tokens[clause.first])
    for clause in clauses:
        own = tokens[clause.first : clause.stop]
        words = set(own)
        if not _NEGATIONS.isdisjoint(words):
            clause.refusal = Refusal.NEGATED
        elif (
            clause.question
            or opener[clause.sentence] in _QUESTION_OPENERS
            or not _HEDGES.isdisjoint(words)
        ):
            clause.refusal = Refusal.HEDGED
        elif not clause.verb or len(own) < MIN_CLAUSE_TOKENS:
            clause.refusal = Refusal.NO_SENTENCE
        else:
            # Comparisons of integers, not Fractions: this runs once per clause.
            keywordish = sum(
                1
                for i in range(clause.first, clause.stop)
                if i in keyword_starts and tokens[i] not in prompt
            )
            content = [t for t in own if t not in _STOPWORDS]
            copies = sum(t in copied for t in content)
            if keywordish * MAX_KEYWORD_DENSITY.denominator > (
                MAX_KEYWORD_DENSITY.numerator * len(own)
            ):
                clause.refusal = Refusal.KEYWORD_LIST
            elif content and copies * PROMPT_COPY_SHARE.denominator >= (
                PROMPT_COPY_SHARE.numerator * len(content)
            ):
                clause.refusal = Refusal.PROMPT_COPY


def _prompt_tokens(prompt: str) -> frozenset[str]:
    return frozenset(
        t
        for t in tokenize(prompt, max_tokens=MAX_ANSWER_TOKENS, max_chars=MAX_ANSWER_CHARS)
        if t not in _STOPWORDS
    )


_Rule = tuple[tuple[tuple[str, ...], ...], int | None, tuple[str, ...]]
"""A rule as (keyword groups that must all match, ``near`` in words or None, forbid words)."""


def _concept_rules(concept: ConceptSpec) -> tuple[_Rule, ...]:
    """The concept's rules as (keyword groups, near, forbid); keywords are one-group rules."""
    rules: list[_Rule] = [(((keyword,),), None, ()) for keyword in concept.keywords]
    for rule in getattr(concept, "rules", None) or ():
        require = tuple(tuple(group) for group in rule.require)
        rules.append((require, rule.near, tuple(rule.forbid or ())))
    return tuple(rules)


def _clauses_with(index: _AnswerIndex, words: Sequence[str]) -> set[int]:
    """The clauses in which any of ``words`` (folded, typo-tolerant) occurs."""
    found: set[int] = set()
    for word in words:
        found.update(index.clause_of[s] for s, _n in index.find_all(_keyword_tokens(word)))
    return found


def _pick(
    chosen: list[list[tuple[tuple[int, int], str]]], near: int | None
) -> tuple[tuple[int, int], ...] | None:
    """One span per group (in answer order), within ``near`` words of each other if set."""
    if near is None:
        return tuple(group[0][0] for group in chosen)
    for combo in product(*(group[:MAX_NEAR_CANDIDATES] for group in chosen)):
        spans = [span for span, _kw in combo]
        starts = [s for s, _n in spans]
        ends = [s + n for s, n in spans]
        if len(set(starts)) == len(starts) and max(starts) - min(ends) <= near:
            return tuple(spans)
    return None


def _grade_concept(
    concept: ConceptSpec,
    answer: str,
    index: _AnswerIndex,
    clauses: list[_Clause],
    prompt: frozenset[str],
) -> ConceptResult:
    """Credit ``concept`` from the first of its rules (keywords first) stated in a clause."""
    refusal: Refusal | None = None
    forbidden = _clauses_with(index, tuple(getattr(concept, "forbid", None) or ()))
    for require, near, forbid in _concept_rules(concept):
        rule_forbidden = forbidden | _clauses_with(index, forbid) if forbid else forbidden
        # Per group: clause → its (span, keyword) matches, in answer order.
        groups: list[dict[int, list[tuple[tuple[int, int], str]]]] = []
        for group in require:
            by_clause: dict[int, list[tuple[tuple[int, int], str]]] = {}
            for keyword in group:
                tokens = _keyword_tokens(keyword)
                spans = index.find_all(tokens)
                if len({index.clause_of[s] for s, _n in spans}) > MAX_KEYWORD_REPEATS:
                    refusal = refusal or Refusal.REPEATED
                    continue
                if len(require) == 1 and tokens and all(t in prompt for t in tokens):
                    if spans:
                        refusal = refusal or Refusal.PROMPT_COPY
                    continue
                for span in spans:
                    by_clause.setdefault(index.clause_of[span[0]], []).append((span, keyword))
            groups.append(by_clause)
        if not groups or not all(groups):
            if len(groups) > 1 and any(groups):
                refusal = refusal or Refusal.RULE_UNMET
            continue
        shared = set(groups[0]).intersection(*groups[1:])
        if not shared:
            refusal = refusal or Refusal.RULE_UNMET
            continue
        for at in sorted(shared):
            clause = clauses[at]
            if clause.refusal is not None:
                refusal = refusal or clause.refusal
                continue
            if at in rule_forbidden:
                refusal = refusal or Refusal.FORBIDDEN
                continue
            chosen = [sorted(group[at]) for group in groups]
            picked = _pick(chosen, near)
            if picked is None:
                refusal = refusal or Refusal.RULE_UNMET
                continue
            spans = picked
            if len(require) > 1 and all(
                all(index.tokens[i] in prompt for i in range(s, s + n)) for s, n in spans
            ):
                refusal = refusal or Refusal.PROMPT_COPY
                continue
            keywords = [
                next(kw for sp, kw in group if sp == span)
                for group, span in zip(chosen, spans, strict=True)
            ]
            first = min(s for s, _n in spans)
            last = max(s + n for s, n in spans)
            start, end = _trimmed(answer, clause.start, clause.end)
            return ConceptResult(
                name=concept.name,
                covered=True,
                matched_keyword=" + ".join(keywords),
                matched_text=index.text(first, last),
                start=start,
                end=end,
            )
    return ConceptResult(
        name=concept.name, covered=False, refused=None if refusal is None else refusal.value
    )


def _trimmed(answer: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved inward past surrounding whitespace."""
    while start < end and answer[start].isspace():
        start += 1
    while end > start and answer[end - 1].isspace():
        end -= 1
    return start, end


def grade_explain(
    answer: str, concepts: Sequence[ConceptSpec], *, prompt: str = "", hint: str = ""
) -> ExplainGrade:
    """Grade a free-text answer against a checklist of concepts.

    The answer is split into sentences and clauses (see the module docstring). A concept
    is credited by the first of its rules (its keywords in deck order, then its ``rules``)
    met inside one clause that states something: not negated, not hedged or asked, with a
    verb, not a list of keywords, not a copy of ``prompt`` (the card's prompt and hint),
    and without the concept's or the rule's ``forbid`` words. A keyword made only of
    ``prompt`` words earns nothing alone; a clause made mostly of ``prompt`` and ``hint``
    words is a copy and earns nothing. Only the first
    :data:`MAX_ANSWER_CHARS` characters and :data:`MAX_ANSWER_TOKENS` words are read, so
    any string, however long or strange, is graded quickly and without raising.

    Raises ``ValueError`` if ``concepts`` is empty: that is a deck error, and grading it
    would silently fail every learner.
    """
    if not concepts:
        raise ValueError("an explain card needs at least one concept to grade against")
    rules = [_concept_rules(concept) for concept in concepts]
    keyword_tokens = frozenset(
        token
        for concept_rules in rules
        for require, _near, _forbid in concept_rules
        for group in require
        for keyword in group
        for token in _keyword_tokens(keyword)
    )
    clauses, words, clause_of = _split_clauses(answer, keyword_tokens)
    piece_of = list(clause_of)
    clauses = _merge_fragments(clauses, words, clause_of)
    index = _AnswerIndex(words, piece_of, clause_of)
    prompt_set = _prompt_tokens(prompt) if prompt else frozenset()
    copied = prompt_set | _prompt_tokens(hint) if hint else prompt_set
    keyword_starts: set[int] = set()
    # Only keywords count towards a list: a rule's words name subjects too ("WSGI").
    for concept in concepts:
        for keyword in concept.keywords:
            keyword_starts.update(s for s, _n in index.find_all(_keyword_tokens(keyword)))
    _rate_clauses(clauses, index.tokens, keyword_starts, prompt_set, copied)
    return ExplainGrade(
        results=tuple(
            _grade_concept(concept, answer, index, clauses, prompt_set) for concept in concepts
        )
    )


def is_blank_answer(answer: str) -> bool:
    """Whether ``answer`` has no word to grade (empty, whitespace, markup or punctuation)."""
    return not split_words(blank_markup(answer[:MAX_ANSWER_CHARS]), MAX_ANSWER_CHARS)


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
