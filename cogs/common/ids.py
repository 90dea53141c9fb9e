"""Refusing a forged button.

A custom id comes back from Discord as the client sent it, so it can be forged. The
templates only match what Recall could have made, and :func:`bot.core.custom_ids.parse_id`
then refuses an id out of range (the rules both front ends share). A
``from_custom_id`` must never raise (discord.py would log a traceback and leave the
click unanswered): it marks the button as forged, and the button's callback answers
with :func:`refuse_forged` (see :class:`cogs.common.buttons.PersistentButton`).
"""

from __future__ import annotations

from typing import Any

import discord

FORGED_TEXT = "That button is not one Recall made, so nothing was done."


async def refuse_forged(interaction: discord.Interaction[Any]) -> None:
    """Answer a forged button privately, recording nothing."""
    await interaction.response.send_message(FORGED_TEXT, ephemeral=True)
