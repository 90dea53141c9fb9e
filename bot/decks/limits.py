"""Limits that deck text must respect, so that every card fits where Recall shows it.

Recall renders cards as Discord embeds with buttons. Discord rejects a whole
message when one part is too long, so the deck loader refuses such text up front
instead of letting a learner hit a failed interaction. The Discord numbers come
from https://discord.com/developers/docs/resources/message#embed-object-embed-limits
and the component docs; the others are Recall's own choices, marked as such.
"""

from __future__ import annotations

from typing import Final

# Embed title: 256 characters (Discord). The deck title is the embed title.
DECK_TITLE_MAX: Final = 256
# Embed description: 4096 characters (Discord). Used for the deck description
# and for the card's main text (flashcard front, MCQ question, explain prompt).
DECK_DESCRIPTION_MAX: Final = 4096
CARD_TEXT_MAX: Final = 4096
# Embed field value: 1024 characters (Discord). Answers, explanations, hints and
# model answers are shown in fields under the card.
FIELD_VALUE_MAX: Final = 1024
# Options are listed in the embed (one field value each at most, 1024). The
# button label is cut to Discord's 80 characters by the front end, not here.
OPTION_MAX: Final = 1024
# Embed field name: 256 characters (Discord). Each explain concept is a field name.
CONCEPT_NAME_MAX: Final = 256

# MCQ options: at least 2 to be a choice; at most 5 buttons fit in one action row (Discord).
OPTIONS_MIN: Final = 2
OPTIONS_MAX: Final = 5
# Explain concepts: at least 1 to grade anything; 10 keeps the result embed
# well under Discord's 25 fields and readable (Recall's choice).
CONCEPTS_MIN: Final = 1
CONCEPTS_MAX: Final = 10
# Keywords per concept and their length: Recall's choice, to keep grading fast
# and keywords short enough to be a keyword, not a sentence.
KEYWORDS_MIN: Final = 1
KEYWORDS_MAX: Final = 25
KEYWORD_MAX: Final = 100
# Concept rules (PMatch style): a few per concept, each of a few keyword groups; "near"
# counts words, and no clause is longer than the answer's word cap.
RULES_MAX: Final = 10
RULE_GROUPS_MIN: Final = 1
RULE_GROUPS_MAX: Final = 5
NEAR_MAX: Final = 50

# Ids appear in button custom ids (at most 100 characters, Discord) next to a
# prefix and the deck id, so each id is kept to 64 lowercase ASCII characters.
ID_PATTERN: Final = r"^[a-z0-9]+(-[a-z0-9]+)*$"
ID_MAX: Final = 64
# Tags: Recall's choice; short, since they are shown in autocomplete choices
# (choice names are at most 100 characters, Discord).
TAG_MAX: Final = 50
TAGS_MAX: Final = 20
# Cards per deck: Recall's choice, to bound memory and session building. 5,000
# holds the imported Anki decks learners actually have (a year of vocabulary)
# and keeps an import under 2 s (bench.imports_bench); a deck past it is
# refused with one line before its cards are read.
CARDS_MIN: Final = 1
CARDS_MAX: Final = 5_000

# Deck files larger than this are refused before parsing (Recall's choice): a
# real deck of 500 cards is far smaller, and the limit bounds the YAML parser's
# time and memory on a hostile or mistaken file.
FILE_BYTES_MAX: Final = 2 * 1024 * 1024
# YAML nodes (every key, value, list and mapping) per file (Recall's choice): the
# largest valid deck, 500 explain cards of 10 concepts with 25 keywords each, has
# about 160,000. The cap bounds building, validating and locating problems in a
# file of tiny keys that the size cap alone would let through (200,000 of them).
NODES_MAX: Final = 200_000
# Mappings and lists nest at most 7 deep in a valid deck; deeper input is refused
# before the recursive YAML composer can exhaust Python's stack.
NESTING_MAX: Final = 20

# Imports (bot.decks.importers), Recall's choices. An uploaded or imported file
# larger than this is refused before it is read: the largest deck the card and
# text caps allow compresses far below it.
IMPORT_BYTES_MAX: Final = 8 * 1024 * 1024
# What an Anki package may unpack to (its collection, after zip and zstd). A zip
# bomb is stopped when the declared sizes or the bytes actually produced pass it.
UNPACKED_BYTES_MAX: Final = 64 * 1024 * 1024
# Columns of a CSV or TSV header: 13 are recognised, so a wider header is refused
# before its names are read (a file of 100,000 columns gets one line).
CSV_COLUMNS_MAX: Final = 50
# Reading an Anki collection's SQLite stops after this much CPU time (a crafted
# database can make a query run for ever).
ANKI_READ_SECONDS: Final = 5.0
