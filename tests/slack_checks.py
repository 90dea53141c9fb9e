"""Checks on what Recall sends to Slack, shared by the unit and end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

FORBIDDEN_KEYS = ("link_names", "parse")


def strings(payload: Any) -> Iterator[str]:
    """Every string inside a JSON-like payload (dict keys excluded)."""
    if isinstance(payload, str):
        yield payload
    elif isinstance(payload, dict):
        for value in payload.values():
            yield from strings(value)
    elif isinstance(payload, list | tuple):
        for value in payload:
            yield from strings(value)


def assert_nothing_pings(payload: Any) -> None:
    """No ``<`` anywhere (Recall's own words have none, so one can only come from
    unescaped deck or user text: a mention, a channel link, a URL), and no
    ``link_names`` or ``parse`` option."""
    for text in strings(payload):
        assert "<" not in text and ">" not in text, text
    if isinstance(payload, dict):
        for key in FORBIDDEN_KEYS:
            assert key not in payload, key


def texts(payload: Any) -> str:
    """All the strings of a payload, one a line (to search the words shown)."""
    return "\n".join(strings(payload))


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    """The action ids of every button in ``blocks``, in order."""
    found = []
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button":
                found.append(element["action_id"])
    return found


def button_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """The texts of every button in ``blocks``, in order."""
    found = []
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button":
                found.append(element["text"]["text"])
    return found
