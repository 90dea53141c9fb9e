"""Numbers inside custom ids: what a button template may match, and the check after it.

A custom id comes back from Discord as the client sent it, so it can be forged. The
templates only match what Recall could have made: an id is 1 to 19 digits (a
snowflake or an SQLite row id), and :func:`parse_id` then refuses a 19-digit number
above SQLite's largest integer, which would otherwise overflow deep in a query. A
``from_custom_id`` must never raise (discord.py would log a traceback and leave the
click unanswered): it marks the button as forged, and the button's callback answers
with :func:`refuse_forged`.
"""

from __future__ import annotations

from typing import Any

import discord

ID_PATTERN = r"[0-9]{1,19}"
"""A snowflake or a row id in a template: 2^63 − 1 has 19 digits."""
MAX_ID = 2**63 - 1
"""The largest id SQLite stores (and the largest snowflake)."""
FORGED_TEXT = "That button is not one Recall made, so nothing was done."


def parse_id(text: str) -> int | None:
    """The id matched by :data:`ID_PATTERN`, or None when it is out of range."""
    value = int(text)
    return value if value <= MAX_ID else None


async def refuse_forged(interaction: discord.Interaction[Any]) -> None:
    """Answer a forged button privately, recording nothing."""
    await interaction.response.send_message(FORGED_TEXT, ephemeral=True)
