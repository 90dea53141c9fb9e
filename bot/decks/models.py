"""The deck data model: immutable pydantic records for decks and their three kinds of card.

The models enforce every rule that a single deck can check by itself (types,
lengths, counts, id format, an MCQ answer among its options), so a deck built in
code is as valid as one loaded from YAML. ``loader`` turns their errors into
``file:line`` problems.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal, overload

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from bot.decks import limits


class Level(StrEnum):
    """How hard a card is; learners can filter sessions by it."""

    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class CardType(StrEnum):
    """The kinds of card, as written in a card's ``type`` key."""

    FLASHCARD = "flashcard"
    MCQ = "mcq"
    EXPLAIN = "explain"


def _not_blank(value: str) -> str:
    # Empty text would render as an empty embed, which Discord rejects.
    if not value.strip():
        raise PydanticCustomError("blank", "must not be empty")
    return value


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise PydanticCustomError(
                "duplicate_item", "'{value}' is listed twice", {"value": value, "at": index}
            )
        seen.add(value)
    return values


Id = Annotated[str, Field(max_length=limits.ID_MAX, pattern=limits.ID_PATTERN)]
Title = Annotated[str, Field(max_length=limits.DECK_TITLE_MAX), AfterValidator(_not_blank)]
Description = Annotated[str, Field(max_length=limits.DECK_DESCRIPTION_MAX)]
Tag = Annotated[str, Field(max_length=limits.TAG_MAX), AfterValidator(_not_blank)]
CardText = Annotated[str, Field(max_length=limits.CARD_TEXT_MAX), AfterValidator(_not_blank)]
FieldText = Annotated[str, Field(max_length=limits.FIELD_VALUE_MAX), AfterValidator(_not_blank)]
OptionText = Annotated[str, Field(max_length=limits.OPTION_MAX), AfterValidator(_not_blank)]
ConceptName = Annotated[str, Field(max_length=limits.CONCEPT_NAME_MAX), AfterValidator(_not_blank)]
Keyword = Annotated[str, Field(max_length=limits.KEYWORD_MAX), AfterValidator(_not_blank)]


class _Record(BaseModel):
    # Frozen: decks are shared by every session and swapped whole on reload.
    # extra="forbid": a misspelt key must be an error, not silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")


KeywordGroup = Annotated[
    tuple[Keyword, ...], Field(min_length=limits.KEYWORDS_MIN, max_length=limits.KEYWORDS_MAX)
]
"""Words or phrases any one of which satisfies the group."""


class ConceptRule(_Record):
    """A PMatch-style rule: every ``require`` group matched in one stated clause.

    With ``near``, at most that many words lie between the groups' matches; any ``forbid``
    word in the clause stops the rule.
    """

    require: Annotated[
        tuple[KeywordGroup, ...],
        Field(min_length=limits.RULE_GROUPS_MIN, max_length=limits.RULE_GROUPS_MAX),
    ]
    near: Annotated[int, Field(ge=0, le=limits.NEAR_MAX)] | None = None
    forbid: Annotated[tuple[Keyword, ...], Field(max_length=limits.KEYWORDS_MAX)] = ()


class Concept(_Record):
    """One idea an explain answer should cover, with the words that show it is covered.

    Any one of ``keywords`` stated in a clause covers it, or any one of ``rules``; a
    ``forbid`` word in a clause stops that clause from covering it. A concept needs
    keywords or rules (or both).
    """

    name: ConceptName
    keywords: Annotated[
        tuple[Keyword, ...],
        Field(min_length=limits.KEYWORDS_MIN, max_length=limits.KEYWORDS_MAX),
    ] = ()
    rules: Annotated[tuple[ConceptRule, ...], Field(max_length=limits.RULES_MAX)] = ()
    forbid: Annotated[tuple[Keyword, ...], Field(max_length=limits.KEYWORDS_MAX)] = ()

    @model_validator(mode="after")
    def _has_something_to_match(self) -> Concept:
        if not self.keywords and not self.rules:
            raise PydanticCustomError(
                "concept_unmatchable",
                "concept '{name}' needs keywords or rules",
                {"name": self.name},
            )
        return self


class FlashCard(_Record):
    """A card the learner reveals and then grades themselves."""

    id: Id
    type: Literal["flashcard"]
    level: Level
    front: CardText
    back: FieldText


class McqCard(_Record):
    """A multiple-choice question; ``answer`` is the text of the right option."""

    id: Id
    type: Literal["mcq"]
    level: Level
    question: CardText
    options: Annotated[
        tuple[OptionText, ...],
        Field(min_length=limits.OPTIONS_MIN, max_length=limits.OPTIONS_MAX),
        AfterValidator(_unique),
    ]
    answer: str
    explanation: FieldText

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> McqCard:
        if self.answer not in self.options:
            raise PydanticCustomError(
                "answer_not_option",
                "answer '{answer}' is not one of the options: {options}",
                {"answer": self.answer, "options": ", ".join(self.options), "field": "answer"},
            )
        return self

    @property
    def answer_index(self) -> int:
        """The position of the right option in ``options`` (0 for the first)."""
        return self.options.index(self.answer)


class ExplainCard(_Record):
    """A prompt answered in free text and graded concept by concept."""

    id: Id
    type: Literal["explain"]
    level: Level
    prompt: CardText
    hint: FieldText | None = None
    concepts: Annotated[
        tuple[Concept, ...],
        Field(min_length=limits.CONCEPTS_MIN, max_length=limits.CONCEPTS_MAX),
    ]
    model_answer: FieldText

    @model_validator(mode="after")
    def _concept_names_unique(self) -> ExplainCard:
        # The result lists concepts by name, so two with one name would be ambiguous.
        seen: set[str] = set()
        for index, concept in enumerate(self.concepts):
            if concept.name in seen:
                raise PydanticCustomError(
                    "duplicate_concept",
                    "concept '{name}' is listed twice",
                    {"name": concept.name, "field": "concepts", "at": index},
                )
            seen.add(concept.name)
        return self


Card = Annotated[FlashCard | McqCard | ExplainCard, Field(discriminator="type")]
"""Any card; the ``type`` key picks the model."""


class Deck(_Record):
    """A named set of cards, as read from one deck file."""

    id: Id
    title: Title
    description: Description = ""
    tags: Annotated[tuple[Tag, ...], Field(max_length=limits.TAGS_MAX)] = ()
    cards: Annotated[
        tuple[Card, ...], Field(min_length=limits.CARDS_MIN, max_length=limits.CARDS_MAX)
    ]

    @model_validator(mode="after")
    def _card_ids_unique(self) -> Deck:
        # Progress is keyed on (deck id, card id), so ids must be unique. The
        # loader reports every duplicate with its line; this guards decks built in code.
        first: dict[str, int] = {}
        for index, card in enumerate(self.cards):
            if card.id in first:
                raise PydanticCustomError(
                    "duplicate_card_id",
                    "duplicate card id '{card_id}'",
                    {"card_id": card.id, "index": index, "first_index": first[card.id]},
                )
            first[card.id] = index
        return self

    @cached_property
    def _by_id(self) -> dict[str, Card]:
        return {card.id: card for card in self.cards}

    def card(self, card_id: str) -> Card | None:
        """The card with this id, or ``None``."""
        return self._by_id.get(card_id)

    @overload
    def cards_of(self, kind: Literal[CardType.FLASHCARD]) -> tuple[FlashCard, ...]: ...
    @overload
    def cards_of(self, kind: Literal[CardType.MCQ]) -> tuple[McqCard, ...]: ...
    @overload
    def cards_of(self, kind: Literal[CardType.EXPLAIN]) -> tuple[ExplainCard, ...]: ...
    @overload
    def cards_of(self, kind: CardType) -> tuple[Card, ...]: ...
    def cards_of(self, kind: CardType) -> tuple[Card, ...]:
        """The deck's cards of one kind, in deck order."""
        return tuple(card for card in self.cards if card.type == kind)
