"""What the fake refuses or reports: mentions in anything sent, and malformed blocks.

Slack turns ``<!everyone>``, ``<!channel>``, ``<!here>``, ``<!subteam^…>`` and
``<@U…>`` in a message into notifications, and ``link_names``/``parse: full``
make it turn plain ``@name`` into one. The app must escape deck text (``&``,
``<``, ``>``), so none of these may appear in any string it shows.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

from .models import SentPayload

MENTION = re.compile(
    r"<!(?:everyone|channel|here)(?:\|[^>]*)?>|<!subteam\^[^>]*>|<@[UW][A-Z0-9]*(?:\|[^>]*)?>"
)
"""A special mention, a user-group mention or a user mention, as Slack's markup spells them."""

#: Keys whose strings are never shown to anyone (identifiers, urls, opaque state).
HIDDEN_KEYS = frozenset(
    {
        "action_id",
        "block_id",
        "value",
        "callback_id",
        "private_metadata",
        "external_id",
        "url",
        "image_url",
        "channel",
        "channel_id",
        "user",
        "user_id",
        "ts",
        "thread_ts",
        "trigger_id",
        "view_id",
        "hash",
        "response_url",
        "response_type",
        "type",
        "style",
        "token",
    }
)


class FakeSlackProblem(AssertionError):
    """The app did something Slack users would suffer from (an AssertionError, so pytest
    reports it as a failure)."""


class ForbiddenMention(FakeSlackProblem):
    """The app sent something that can notify people (a mention, link_names or parse: full)."""


def shown_strings(obj: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, string) of every string in ``obj`` that a user could see."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if key in HIDDEN_KEYS:
                continue
            # Form-encoded calls carry blocks/attachments as a JSON string.
            if key in ("blocks", "attachments", "view") and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            yield from shown_strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(obj, list):
        for index, item in enumerate(obj):
            yield from shown_strings(item, f"{path}[{index}]")


def truthy(value: Any) -> bool:
    """Slack's reading of a boolean argument (``true``, ``1``, ``"true"``, ``"1"``)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def mention_problems(sent: SentPayload) -> list[str]:
    """Why ``sent`` could notify someone ([] when it cannot)."""
    problems: list[str] = []
    body = sent.body
    if truthy(body.get("link_names")):
        problems.append(f"{sent.kind}: link_names={body['link_names']!r}")
    if str(body.get("parse", "")).lower() == "full":
        problems.append(f"{sent.kind}: parse='full'")
    for path, text in shown_strings(body):
        for match in MENTION.finditer(text):
            problems.append(f"{sent.kind}: {path} contains {match.group(0)!r}: {text[:120]!r}")
    return problems


# ---------------------------------------------------------------------- blocks
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_BUTTON_TEXT = 75
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_ACTION_ID = 255
MAX_VALUE = 2000
MAX_TEXT = 40000
MAX_TITLE = 24


def block_errors(blocks: Any, *, limit: int = MAX_BLOCKS_MESSAGE) -> list[str]:
    """What Slack's block validation would refuse in ``blocks`` ([] when valid).

    Covers the limits a quiz app meets: block count, section/header text length,
    button label (75), action_id (255) and value (2000) lengths, and action ids
    unique within the message.
    """
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    action_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{index}"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"missing required field: type {where}]")
            continue
        kind = block["type"]
        text = block.get("text")
        if kind == "section":
            if text is None and not block.get("fields"):
                errors.append(f"must provide text or fields {where}]")
            if isinstance(text, dict) and len(str(text.get("text", ""))) > MAX_SECTION_TEXT:
                errors.append(f"must be less than {MAX_SECTION_TEXT + 1} characters {where}/text]")
        if kind == "header" and isinstance(text, dict):
            if text.get("type") != "plain_text":
                errors.append(f"must be plain_text {where}/text/type]")
            if len(str(text.get("text", ""))) > MAX_HEADER_TEXT:
                errors.append(f"must be less than {MAX_HEADER_TEXT + 1} characters {where}/text]")
        elements: list[Any] = []
        if kind == "actions":
            elements = list(block.get("elements") or [])
            if not elements:
                errors.append(f"must have at least 1 element {where}/elements]")
            if len(elements) > 25:
                errors.append(f"no more than 25 items allowed {where}/elements]")
        elif isinstance(block.get("accessory"), dict):
            elements = [block["accessory"]]
        elif kind == "input" and isinstance(block.get("element"), dict):
            elements = [block["element"]]
        for element in elements:
            if not isinstance(element, dict):
                errors.append(f"element must be an object {where}]")
                continue
            action_id = element.get("action_id")
            if action_id is not None:
                if len(str(action_id)) > MAX_ACTION_ID:
                    errors.append(f"action_id must be less than 256 characters {where}]")
                if action_id in action_ids:
                    errors.append(f"action_id {action_id!r} is not unique {where}]")
                action_ids.add(str(action_id))
            if element.get("type") == "button":
                label = element.get("text") or {}
                if label.get("type") != "plain_text":
                    errors.append(f"button text must be plain_text {where}]")
                if len(str(label.get("text", ""))) > MAX_BUTTON_TEXT:
                    errors.append(
                        f"must be less than {MAX_BUTTON_TEXT + 1} characters {where}/elements/text]"
                    )
                if len(str(element.get("value", ""))) > MAX_VALUE:
                    errors.append(f"value must be less than {MAX_VALUE + 1} characters {where}]")
    return errors


def view_errors(view: Any) -> list[str]:
    """What Slack refuses in a view (modal or home) ([] when valid)."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        errors.append("type must be modal or home [json-pointer:/view/type]")
    if kind == "modal":
        title = view.get("title") or {}
        if not title.get("text"):
            errors.append("missing required field: title [json-pointer:/view/title]")
        elif len(str(title["text"])) > MAX_TITLE:
            errors.append(
                f"must be less than {MAX_TITLE + 1} characters [json-pointer:/view/title]"
            )
        has_input = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_input and not view.get("submit"):
            errors.append("submit is required when an input block is present [json-pointer:/view]")
    if len(str(view.get("private_metadata") or "")) > 3000:
        errors.append("private_metadata must be less than 3001 characters")
    errors.extend(block_errors(view.get("blocks") or [], limit=MAX_BLOCKS_VIEW))
    return errors
