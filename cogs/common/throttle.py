"""The per-user interaction limit on persistent buttons (see ``RecallBot.admit``).

Slash commands pass it through the command tree's check, the explain modal in the
quiz cog's listener; every ``DynamicItem`` button through :class:`Throttled`.
"""

from __future__ import annotations

from typing import Any

import discord


class Throttled:
    """Mixin for persistent buttons (put it before ``DynamicItem``): limits every click."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse the click ("slow down") when its sender is over the limit."""
        admit = getattr(interaction.client, "admit", None)
        return True if admit is None else bool(admit(interaction))
