"""Text normalisation for answer grading: one pipeline for deck keywords and learner answers.

Grading compares keywords with answers token by token, so both sides must go through
exactly the same steps, or a keyword could never match its own text:

1. Discord markup that is not prose (custom emoji, user/role/channel mentions) is dropped,
   so ``<:sync:123>`` does not count as writing "sync".
2. Case is folded (``str.casefold``), then Unicode NFKD decomposition and removal of
   combining marks strips accents (``é`` → ``e``, ``ﬁ`` → ``fi``).
3. Invisible format characters (zero-width space/joiner, soft hyphen, BOM) are deleted,
   not turned into spaces: ``web\\u200bsocket`` is one word that merely looks split.
4. Possessive ``'s`` is removed, other apostrophes are deleted (``don't`` → ``dont``), and
   every other non-word character becomes a space; whitespace is collapsed.
5. Each word is folded by :func:`fold_word`, a small English suffix stemmer.

This module is plain Python with no third-party dependency.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

__all__ = [
    "DECOMPOSITION_HEADROOM",
    "blank_markup",
    "fold_word",
    "normalize_text",
    "split_words",
    "tokenize",
]

# Custom emoji (<:name:id>, <a:name:id>), and user/role/channel mentions (<@id>, <@!id>,
# <@&id>, <#id>). Their inner names are not something the learner wrote as an answer.
_DISCORD_MARKUP = re.compile(r"<a?:\w{1,64}:\d{1,25}>|<(?:@[!&]?|#)\d{1,25}>")
# A possessive 's after a word character ("ASGI's" → "ASGI"), with straight or curly quote.
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_APOSTROPHE = re.compile(r"['’]")
# \w is Unicode-aware (letters and digits of every script); "_" is markdown, not a letter.
_NON_WORD = re.compile(r"[\W_]+")

# Mn: combining marks (accents). Cf: invisible format characters (zero-width space and
# joiner, soft hyphen, BOM, bidi controls). Both are deleted, not turned into spaces.
_INVISIBLE_CATEGORIES = frozenset({"Mn", "Cf"})

DECOMPOSITION_HEADROOM = 2
"""How much longer than ``max_chars`` the NFKD-decomposed text may be before it is cut."""

_VOWELS = frozenset("aeiouy")
# Doubled final consonants that are part of the stem ("call", "pass", "buzz") stay doubled.
_KEEP_DOUBLE = frozenset("lsz")
# Suffix stripping needs something left: stems shorter than this are not folded, so short
# words ("sing", "used", "only") keep their identity.
_MIN_STEM = 3
# -ly is only stripped when at least this much remains ("really" → "real", "only" stays).
_MIN_LY_STEM = 4
# Plural -s is not stripped from these endings: "class", "asynchronous", "status",
# "analysis" (but "apis" and "emojis" are plurals, so -is in general is not protected).
_S_KEEP_ENDINGS = ("ss", "us", "sis")
# -es after a sibilant is a plural ending, not part of the stem ("matches" → "match",
# "processes" → "process").
_SIBILANT_ES = ("sses", "ches", "shes", "xes", "zes")
# -ly after these is part of the word, not an adverb ending ("apply", "assembly", "family").
_LY_KEEP_ENDINGS = ("ply", "bly", "ily")


def _fold_case(text: str) -> str:
    # casefold leaves dotless "ı" distinct although "ı".upper() is "I", whose casefold is
    # "i"; mapping it keeps grading invariant under case changes. (str.replace is much
    # faster than str.translate on non-ASCII text.)
    return text.casefold().replace("ı", "i")


@cache
def _invisible_table() -> dict[int, None]:
    """A ``str.translate`` table deleting combining marks (Mn) and format characters (Cf).

    Built on first use by scanning the planes that hold such characters (BMP, SMP and the
    tags/variation-selector plane 14; no Mn/Cf code point exists elsewhere). A ``translate``
    table runs in C, roughly 10x faster than a per-character Python filter.
    """
    planes = (range(0x80, 0x20000), range(0xE0000, 0xE1000))
    return {
        cp: None
        for plane in planes
        for cp in plane
        if unicodedata.category(chr(cp)) in _INVISIBLE_CATEGORIES
    }


def blank_markup(text: str) -> str:
    """Return ``text`` with Discord markup (custom emoji, mentions) replaced by spaces.

    The replacement has the markup's length, so character offsets into the result are
    offsets into ``text``: grading splits answers into clauses before normalising them,
    and reports where each clause is in the answer as the learner wrote it.
    """
    return _DISCORD_MARKUP.sub(lambda m: " " * len(m.group()), text)


def normalize_text(text: str, max_chars: int | None = None) -> str:
    """Return ``text`` casefolded, accent-stripped, with punctuation as single spaces.

    No stemming is done here; see :func:`tokenize` for the full pipeline. With
    ``max_chars``, only that many input characters are read, and the decomposed text is
    cut at ``DECOMPOSITION_HEADROOM`` times that: an accent adds one combining mark, but a
    compatibility character such as "ﷺ" decomposes into 18, which would let a hostile
    answer multiply the work. Never raises on any ``str`` (lone surrogates included).
    """
    if max_chars is not None:
        text = text[: max(max_chars, 0)]
    text = _DISCORD_MARKUP.sub(" ", text)
    text = _fold_case(text)
    # ASCII text has nothing to decompose; skipping NFKD keeps the common case cheap.
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        if max_chars is not None:
            text = text[: max(max_chars, 0) * DECOMPOSITION_HEADROOM]
        text = text.translate(_invisible_table())
        # NFKD can produce new uppercase letters from compatibility characters
        # ("ℍ" → "H"), so fold case once more after decomposition.
        text = _fold_case(text)
    text = _POSSESSIVE.sub("", text)
    text = _APOSTROPHE.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def split_words(text: str, max_chars: int | None = None) -> list[str]:
    """Return the normalised (not yet folded) words of ``text``; see :func:`normalize_text`."""
    return normalize_text(text, max_chars).split()


def _has_vowel(stem: str) -> bool:
    return any(ch in _VOWELS for ch in stem)


def _undouble(stem: str) -> str:
    """Drop one letter of a doubled final consonant left by -ing/-ed/-est ("runn" → "run")."""
    if (
        len(stem) > _MIN_STEM
        and stem[-1] == stem[-2]
        and stem[-1] not in _VOWELS
        and stem[-1] not in _KEEP_DOUBLE
    ):
        return stem[:-1]
    return stem


@lru_cache(maxsize=8192)
def fold_word(word: str) -> str:
    """Fold English inflections of one normalised word to a shared stem.

    A deliberately light stemmer: it only has to map the forms a learner is likely to write
    for a keyword onto the same string, because the same function is applied to keywords
    and answers. The stem need not be a real word ("handle", "handles", "handled" and
    "handling" all become "handl").

    Rules, in order:

    - ``-ies``/``-ied`` → ``-y`` ("queries", "queried" → "query");
    - plural ``-sses`` → ``-ss``, sibilant ``-es`` dropped ("matches" → "match"), otherwise
      a final ``-s`` dropped unless the word ends in ``-ss``, ``-us`` or ``-sis``;
    - then one of ``-ing``, ``-ed`` (with doubled consonants undone: "running" → "run"),
      ``-ly`` ("asynchronously" → "asynchronous"), or superlative ``-est`` only after a
      doubled consonant ("biggest" → "big");
    - finally a trailing ``-e`` is dropped so "handle" meets "handling".

    ``-er`` is never stripped and ``-est`` rarely: nouns such as "server", "worker",
    "buffer" and "letter", and words such as "request" and "test", would be mangled or
    merged with other words ("letter" with "let") by stripping them blindly, while
    comparatives almost never carry a concept keyword.
    Words of three letters or fewer, and words with digits or non-Latin letters, are
    returned unchanged.
    """
    if len(word) <= _MIN_STEM or not (word.isascii() and word.isalpha()):
        return word
    w = word
    # Plurals and third person.
    if len(w) > 4 and w.endswith(("ies", "ied")):
        w = w[:-3] + "y"
    elif w.endswith(_SIBILANT_ES) and len(w) > 4:
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(_S_KEEP_ENDINGS):
        w = w[:-1]
    # Verb and adverb endings; chained after the plural step so "speeds" and "speed" agree.
    if w.endswith("ing") and len(w) - 3 >= _MIN_STEM and _has_vowel(w[:-3]):
        w = _undouble(w[:-3])
    elif w.endswith("ed") and len(w) - 2 >= _MIN_STEM and _has_vowel(w[:-2]):
        w = _undouble(w[:-2])
    elif w.endswith("ly") and len(w) - 2 >= _MIN_LY_STEM and not w.endswith(_LY_KEEP_ENDINGS):
        w = w[:-2]
    elif w.endswith("est") and len(w) - 3 > _MIN_STEM and w[-4] == w[-5]:
        w = _undouble(w[:-3])
    # A silent final e ("handle" vs "handl-ing"); short words keep it ("use").
    if len(w) > _MIN_STEM and w.endswith("e"):
        w = w[:-1]
    return w


def tokenize(
    text: str, max_tokens: int | None = None, max_chars: int | None = None
) -> tuple[str, ...]:
    """Normalise ``text`` and return its folded word tokens, at most ``max_tokens`` of them."""
    words = split_words(text, max_chars)
    if max_tokens is not None:
        words = words[: max(max_tokens, 0)]
    return tuple(fold_word(w) for w in words)
