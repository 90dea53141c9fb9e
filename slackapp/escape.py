"""Text for Slack: escaped so that nothing Recall sends can mention anyone.

Slack reads ``<…>`` in message text as a link, a channel or a mention
(``<!everyone>``, ``<!here>``, ``<@U123>``) and ``&`` as the start of an entity.
Escaping ``&``, ``<`` and ``>`` (and nothing else, as Slack asks) makes such text
show as written. Every string from a deck, a learner's answer or a Slack profile
goes through :func:`escape` (or :func:`fit`, which also cuts it to a limit) before
it is put in a message, a block or a view; Recall's own words have none of these
characters. No message uses ``link_names`` or ``parse: full``, which would turn
``@channel`` typed as plain text into a mention.
"""

from __future__ import annotations

ELLIPSIS = "…"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` replaced by Slack's entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """``text`` escaped, cut (with ``…``) so that the escaped result has at most ``limit``
    characters, never in the middle of an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for char in text:
        piece = _ENTITIES.get(char, char)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + ELLIPSIS


def chunks(text: str, limit: int) -> list[str]:
    """``text`` escaped and split into pieces of at most ``limit`` characters (for
    Slack's 3,000 characters per section): at the last line break or space of a piece
    when there is one in its second half, and never inside an entity."""
    pieces: list[str] = []
    current: list[str] = []  # escaped characters (an entity is one item)
    used = 0
    for char in text:
        piece = _ENTITIES.get(char, char)
        if used + len(piece) > limit:
            cut = len(current)
            for index in range(len(current) - 1, len(current) // 2, -1):
                if current[index] in ("\n", " "):
                    cut = index
                    break
            pieces.append("".join(current[:cut]))
            current = current[cut:]
            while current and current[0] in ("\n", " "):
                current.pop(0)
            used = sum(len(p) for p in current)
        current.append(piece)
        used += len(piece)
    if current or not pieces:
        pieces.append("".join(current))
    return pieces


__all__ = ["chunks", "escape", "fit"]
