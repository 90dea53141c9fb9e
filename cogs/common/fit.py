"""Discord's length limits, and cutting text (most of it written by deck authors) to fit.

Discord refuses a whole message with 400 when one part of an embed or one button
label is too long, so every text that comes from a deck is cut here before it is
sent. The numbers are those of
https://discord.com/developers/docs/resources/message#embed-object-embed-limits and
of the button component.
"""

from __future__ import annotations

import discord

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
BUTTON_LABEL_MAX = 80
EMBED_TOTAL_MAX = 6000
"""Title, description, field names and values, footer and author together."""

ELLIPSIS = "…"


def cut(text: str, limit: int) -> str:
    """``text``, or its first ``limit - 1`` characters and ``…`` when it is longer."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return text[: limit - 1] + ELLIPSIS


def fitted(head: str, suffix: str, limit: int = TITLE_MAX) -> str:
    """``head + suffix`` within ``limit``: the head (a deck's title) is cut, so the
    suffix (``· card 1 of 10``) always shows."""
    if len(suffix) >= limit:
        return cut(suffix, limit)
    return cut(head, limit - len(suffix)) + suffix


def fit_embed(embed: discord.Embed, total: int = EMBED_TOTAL_MAX) -> discord.Embed:
    """Cut ``embed`` in place to Discord's limits, each part and the whole.

    Every part is first cut to its own limit. When the whole is still past ``total``,
    the description (a card's long question, already shown while it was open) gives
    way first, then the field values from the last one up, each keeping at least a
    line's worth. Returns ``embed``.
    """
    if embed.title is not None:
        embed.title = cut(embed.title, TITLE_MAX)
    if embed.description is not None:
        embed.description = cut(embed.description, DESCRIPTION_MAX)
    for index, field in enumerate(embed.fields):
        embed.set_field_at(
            index,
            name=cut(field.name or "", FIELD_NAME_MAX),
            value=cut(field.value or "", FIELD_VALUE_MAX),
            inline=bool(field.inline),
        )
    if embed.footer.text is not None and len(embed.footer.text) > FOOTER_MAX:
        embed.set_footer(text=cut(embed.footer.text, FOOTER_MAX), icon_url=embed.footer.icon_url)
    excess = len(embed) - total
    if excess > 0 and embed.description:
        keep = max(len(embed.description) - excess, 100)
        embed.description = cut(embed.description, keep)
        excess = len(embed) - total
    for index in range(len(embed.fields) - 1, -1, -1):
        if excess <= 0:
            break
        field = embed.fields[index]
        value = field.value or ""
        keep = max(len(value) - excess, 80)
        if keep < len(value):
            embed.set_field_at(
                index, name=field.name or "", value=cut(value, keep), inline=bool(field.inline)
            )
            excess = len(embed) - total
    return embed


__all__ = [
    "BUTTON_LABEL_MAX",
    "DESCRIPTION_MAX",
    "EMBED_TOTAL_MAX",
    "FIELD_NAME_MAX",
    "FIELD_VALUE_MAX",
    "TITLE_MAX",
    "cut",
    "fit_embed",
    "fitted",
]
