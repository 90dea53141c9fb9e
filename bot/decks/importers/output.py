"""A deck written in the deck format (``content/*.yaml``), as ``python -m bot import`` does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.decks import limits
from bot.decks.models import Deck
from bot.decks.problems import DeckProblem

HEADER = "# yaml-language-server: $schema=deck.schema.json\n"

try:
    from yaml import CSafeDumper as _SafeDumper
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeDumper as _SafeDumper  # type: ignore[assignment]


class _DeckDumper(_SafeDumper):
    """Text with line breaks as literal blocks, which read as written."""


def _text(dumper: _DeckDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_DeckDumper.add_representer(str, _text)


def deck_data(deck: Deck) -> dict[str, Any]:
    """The deck as plain data in the deck format's key order, empty optional keys left out."""
    data: dict[str, Any] = {"id": deck.id, "title": deck.title}
    if deck.description:
        data["description"] = deck.description
    if deck.tags:
        data["tags"] = list(deck.tags)
    data["cards"] = [card.model_dump(mode="json", exclude_none=True) for card in deck.cards]
    return data


def deck_to_yaml(deck: Deck) -> str:
    """The deck as a YAML deck file that ``python -m bot check`` loads as the same deck."""
    body = yaml.dump(
        deck_data(deck),
        Dumper=_DeckDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return HEADER + body


def _nodes(value: object) -> int:
    if isinstance(value, dict):
        return 1 + sum(1 + _nodes(item) for item in value.values())
    if isinstance(value, list):
        return 1 + sum(_nodes(item) for item in value)
    return 1


def yaml_problem(path: Path, deck: Deck, text: str) -> DeckProblem | None:
    """Why ``text``, the deck file of ``deck``, would not load again (too large), or ``None``."""
    nodes = _nodes(deck_data(deck))
    if nodes > limits.NODES_MAX:
        message = (
            f"the deck would have {nodes:,} YAML values; at most {limits.NODES_MAX:,} "
            "(split it into smaller decks)"
        )
        return DeckProblem(path, 1, None, message)
    size = len(text.encode())
    if size > limits.FILE_BYTES_MAX:
        message = (
            f"the deck would be a {size / (1024 * 1024):.1f} MiB deck file; "
            f"at most {limits.FILE_BYTES_MAX // (1024 * 1024)} MiB (split it into smaller decks)"
        )
        return DeckProblem(path, 1, None, message)
    return None
