"""Turn pydantic validation errors into short messages located in the deck file.

Pydantic's own text ("Input should be a valid string") names neither the key
nor the card, and its ``loc`` includes the union tag (``("cards", 2, "mcq",
"answer")``), so each error is rewritten here and given a ``loc`` that matches
the YAML tree.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from bot.decks import limits
from bot.decks._yaml import Loc
from bot.decks.models import CardType, Concept, ConceptRule, Deck, ExplainCard, FlashCard, McqCard
from bot.decks.problems import excerpt

_CARD_MODELS: dict[str, type[BaseModel]] = {
    CardType.FLASHCARD: FlashCard,
    CardType.MCQ: McqCard,
    CardType.EXPLAIN: ExplainCard,
}
# How list items are named in messages: ("options", 1) reads "option 2".
_ITEM_NAMES = {
    "cards": "card",
    "options": "option",
    "concepts": "concept",
    "keywords": "keyword",
    "rules": "rule",
    "require": "group",
    "forbid": "forbidden word",
    "tags": "tag",
}


@dataclass(frozen=True)
class Located:
    """A rewritten error: where it is (``at_key``: on the key's line) and what is wrong."""

    loc: Loc
    message: str
    at_key: bool = False


def describe(error: ErrorDetails, *, hints: bool = True) -> Located | None:
    """Rewrite one pydantic error, or ``None`` for an error the loader reports itself.

    ``hints=False`` leaves out the "did you mean" search, for errors only counted.
    """
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = error["input"]
    loc = _strip_tag(error["loc"])
    subject = _subject(loc)
    key = loc[-1] if loc else ""

    if kind == "duplicate_card_id":
        return None  # the loader lists every duplicate, with both lines
    if kind == "missing":
        return Located(loc, f"missing required key '{excerpt(key)}'{_within(loc)}")
    if kind == "extra_forbidden":
        hint = _did_you_mean(loc) if hints else ""
        return Located(loc, f"unknown key '{excerpt(key)}'{_within(loc)}{hint}", at_key=True)
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        hint = _close(str(tag), list(CardType))
        message = f"unknown card type '{excerpt(tag)}'; use flashcard, mcq or explain{hint}"
        return Located((*loc, "type"), message)
    if kind == "union_tag_not_found":
        return Located(loc, "missing required key 'type' (flashcard, mcq or explain)")
    if kind in {"too_short", "too_long"}:
        return _count(loc, subject, kind, value, ctx)
    if kind == "string_too_long":
        return Located(
            loc,
            f"{subject} is {len(value)} characters long; "
            f"at most {ctx['max_length']} fit in Discord",
        )
    if kind == "string_pattern_mismatch":
        return Located(
            loc,
            f"{subject} must be lowercase letters and digits joined by single hyphens "
            f"(like 'wsgi-meaning'), not '{excerpt(value)}'",
        )
    if kind == "enum":
        return Located(loc, f"{subject} must be {ctx['expected']}, not '{excerpt(value)}'")
    if kind == "blank":
        return Located(loc, f"{subject} must not be empty")
    if kind == "string_type":
        if value is None:
            return Located(loc, f"{subject} is empty")
        return Located(loc, f"{subject} must be text, not {_kind(value)}")
    if kind in {"tuple_type", "list_type"}:
        return Located(loc, f"{subject} must be a list, not {_kind(value)}")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return Located(loc, f"{subject} must be a mapping of keys to values, not {_kind(value)}")
    if kind == "duplicate_item":
        return Located((*loc, ctx["at"]), f"{subject} lists '{excerpt(ctx['value'])}' twice")
    if kind == "answer_not_option":
        written = value.get("options") if isinstance(value, dict) else None
        listed = written if isinstance(written, list) else [ctx["options"]]
        options = ", ".join(excerpt(option) for option in listed)
        message = f"answer '{excerpt(ctx['answer'])}' is not one of the options: {options}"
        return Located((*loc, "answer"), message)
    if kind == "concept_unmatchable":
        return Located(loc, f"concept '{excerpt(ctx['name'])}' needs keywords or rules")
    if kind in {"greater_than_equal", "less_than_equal", "int_parsing", "int_type"}:
        return Located(loc, f"{subject} must be a whole number from 0 to {limits.NEAR_MAX}")
    if kind == "duplicate_concept":
        message = f"concept '{excerpt(ctx['name'])}' is listed twice"
        return Located((*loc, "concepts", ctx["at"], "name"), message)
    # Anything not foreseen above still gets a location, with pydantic's text.
    return Located(loc, f"{subject}: {error['msg']}")


def _strip_tag(loc: tuple[int | str, ...]) -> Loc:
    # ("cards", 2, "mcq", "answer") -> ("cards", 2, "answer"): the tag is pydantic's,
    # not part of the file.
    if len(loc) >= 3 and loc[0] == "cards" and loc[2] in _CARD_MODELS:
        return (*loc[:2], *loc[3:])
    return tuple(loc)


def _subject(loc: Loc) -> str:
    """A reader's name for ``loc`` within its card: ``'front'``, ``keyword 3 of concept 1``."""
    if len(loc) > 2 and loc[0] == "cards":
        loc = loc[2:]  # the card is already named by the card id column
    parts: list[str] = []
    index = 0
    while index < len(loc):
        part = loc[index]
        following = loc[index + 1] if index + 1 < len(loc) else None
        if isinstance(part, str) and part in _ITEM_NAMES and isinstance(following, int):
            parts.append(f"{_ITEM_NAMES[part]} {following + 1}")
            index += 2
        else:
            parts.append(f"'{excerpt(part)}'" if isinstance(part, str) else f"item {part + 1}")
            index += 1
    return " of ".join(reversed(parts)) or "the deck"


def _within(loc: Loc) -> str:
    """`` in concept 2`` for a key inside a nested item; empty for a card's or deck's own key."""
    parent = loc[:-1]
    if not parent or (len(parent) == 2 and parent[0] == "cards"):
        return ""
    return f" in {_subject(parent)}"


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model that the mapping at ``loc`` (a key's parent) should match, if known."""
    if len(loc) == 0:
        return Deck
    if loc[0] == "cards" and len(loc) == 2:
        return None  # the card's type is unknown here; handled by the caller
    if loc[0] == "cards" and len(loc) == 4 and loc[2] == "concepts":
        return Concept
    if loc[0] == "cards" and len(loc) == 6 and loc[2] == "concepts" and loc[4] == "rules":
        return ConceptRule
    return None


def _did_you_mean(loc: Loc) -> str:
    parent = loc[:-1]
    model = _model_at(parent)
    if model is not None:
        fields = list(model.model_fields)
    elif len(parent) == 2 and parent[0] == "cards":
        # Any card's keys: a typo of a key of another kind still deserves a hint.
        fields = sorted({name for card in _CARD_MODELS.values() for name in card.model_fields})
    else:
        return ""
    return _close(str(loc[-1]), fields)


def _close(word: str, choices: list[str]) -> str:
    matches = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def _count(loc: Loc, subject: str, kind: str, value: object, ctx: dict[str, Any]) -> Located | None:
    # Pydantic counts items *after* validating them, so a list whose items are all
    # broken looks "too short". Judge by the items actually written.
    written = len(value) if isinstance(value, list | tuple) else 0
    low, high = ctx.get("min_length"), ctx.get("max_length")
    if kind == "too_short" and low is not None and written >= low:
        return None
    if kind == "too_long" and high is not None and written <= high:
        return None
    if loc == ("cards",) and written == 0:
        return Located(loc, "the deck has no cards")
    if kind == "too_short":
        return Located(loc, f"{subject} needs at least {low} item(s), not {written}")
    return Located(loc, f"{subject} allows at most {high} items, not {written}")


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bytes):
        return "binary data"
    if isinstance(value, str):
        return "text"
    return type(value).__name__
