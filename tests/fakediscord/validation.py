"""Server-side validation mirroring Discord's limits.

The point of a fake is catching bugs before production: a message over 2,000
characters or a 26th autocomplete choice is rejected by Discord with 400/50035,
so the fake rejects it too (discord.py then raises ``HTTPException``).
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

INVALID_FORM_BODY = 50035
EMPTY_MESSAGE = 50006


class ApiError(Exception):
    """An error the REST layer turns into a Discord JSON error response."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        """The JSON body Discord sends for this error."""
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def _invalid(field: str, problem: str) -> ApiError:
    return ApiError(
        400,
        INVALID_FORM_BODY,
        "Invalid Form Body",
        {field: {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": problem}]}},
    )


def _walk_components(items: list[JSON], path: str, seen_ids: set[str]) -> None:
    for i, comp in enumerate(items):
        here = f"{path}.{i}"
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            if not 1 <= len(custom_id) <= 100:
                raise _invalid(f"{here}.custom_id", "Must be between 1 and 100 in length.")
            if custom_id in seen_ids:
                raise _invalid(f"{here}.custom_id", "Component custom id cannot be duplicated")
            seen_ids.add(custom_id)
        label = comp.get("label")
        if comp.get("type") == 2 and label is not None and len(label) > 80:
            raise _invalid(f"{here}.label", "Must be 80 or fewer in length.")
        children = comp.get("components")
        if children:
            if comp.get("type") == 1 and len(children) > 5:
                raise _invalid(f"{here}.components", "Must be 5 or fewer in length.")
            _walk_components(children, f"{here}.components", seen_ids)
        for key in ("component", "accessory"):
            if key in comp:
                _walk_components([comp[key]], f"{here}.{key}", seen_ids)


def validate_message_payload(payload: JSON, *, has_files: bool, allow_empty: bool) -> None:
    """Raise :class:`ApiError` if Discord would reject this message payload."""
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    components = payload.get("components") or []
    flags = int(payload.get("flags") or 0)
    if len(content) > 2000:
        raise _invalid("content", "Must be 2000 or fewer in length.")
    if len(embeds) > 10:
        raise _invalid("embeds", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in (("title", 256), ("description", 4096)):
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                raise _invalid(f"embeds.{i}.{key}", f"Must be {limit} or fewer in length.")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise _invalid(f"embeds.{i}.fields", "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            if len(fld.get("name", "")) > 256 or len(fld.get("value", "")) > 1024:
                raise _invalid(f"embeds.{i}.fields.{j}", "Field name/value too long.")
            total += len(fld.get("name", "")) + len(fld.get("value", ""))
        total += len((embed.get("footer") or {}).get("text", ""))
        total += len((embed.get("author") or {}).get("name", ""))
    if total > 6000:
        raise _invalid("embeds", "Embed size exceeds maximum size of 6000")
    # Components v2 (flag 1<<15) allows up to 40 top-level components.
    if not flags & (1 << 15) and len(components) > 5:
        raise _invalid("components", "Must be 5 or fewer in length.")
    _walk_components(components, "components", set())
    if not (content or embeds or components or has_files or payload.get("poll") or allow_empty):
        raise ApiError(400, EMPTY_MESSAGE, "Cannot send an empty message")


def validate_modal(data: JSON) -> None:
    """Raise :class:`ApiError` for a modal Discord would refuse to open."""
    title = data.get("title") or ""
    if not 1 <= len(title) <= 45:
        raise _invalid("data.title", "Must be between 1 and 45 in length.")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        raise _invalid("data.components", "Must be between 1 and 5 in length.")
    _walk_components(components, "data.components", set())


def validate_choices(data: JSON) -> None:
    """Autocomplete results: at most 25 choices, names 1-100 characters."""
    choices = data.get("choices") or []
    if len(choices) > 25:
        raise _invalid("data.choices", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            raise _invalid(f"data.choices.{i}.name", "Must be between 1 and 100 in length.")
