"""What every persistent Recall button shares: :class:`PersistentButton`.

A button is a ``DynamicItem`` rebuilt from its custom id on every click, so it keeps
working after a restart. The custom id comes back as the client sent it and can be
forged: ``from_custom_id`` must never raise (discord.py would log a traceback and leave
the click unanswered), so an out-of-range id marks the button as forged and its click
is answered with :func:`~cogs.common.ids.refuse_forged`. Every click also passes the
per-user limit (:class:`~cogs.common.throttle.Throttled`).

A subclass says how to rebuild itself (:meth:`PersistentButton.rebuild`, reading its
groups through a :class:`CustomId`) and what a genuine click does
(:meth:`PersistentButton.clicked`).
"""

from __future__ import annotations

import re
from typing import Any, Self

import discord

from bot.core.custom_ids import parse_id
from cogs.common.ids import refuse_forged
from cogs.common.throttle import Throttled


class CustomId:
    """A custom id matched by a button's template; remembers an out-of-range part."""

    def __init__(self, match: re.Match[str]) -> None:
        self.match = match
        self.forged = False

    def __getitem__(self, group: str) -> str:
        """The text of ``group`` (``None`` for an optional group that did not match)."""
        return self.match[group]

    def id(self, group: str) -> int:
        """The id in ``group`` (matched by ``ID_PATTERN``); 0, and forged, when out of range."""
        value = parse_id(self.match[group])
        if value is None:
            self.forged = True
            return 0
        return value

    def refuse(self) -> None:
        """Mark the custom id as forged (a part no Recall button could carry)."""
        self.forged = True


class PersistentButton(
    Throttled,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    # Never matches: only the subclasses, each with its own template, are registered.
    template=r"(?!)",
):
    """Base of Recall's persistent buttons: throttled, rebuilt without raising, forged
    ids refused before :meth:`clicked` runs. A subclass names its own ``template``."""

    forged: bool = False
    """Set when the custom id could not have been made by Recall: the click is refused."""

    def __init__(
        self,
        *,
        label: str,
        custom_id: str,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        disabled: bool = False,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=custom_id, disabled=disabled, row=row
            )
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> Self:
        """The button for custom id ``found`` (``item`` is the clicked component)."""
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a click on any message, old or new (never raises on a
        bad id: it marks the button forged)."""
        found = CustomId(match)
        button = cls.rebuild(found, item)
        button.forged = found.forged
        return button

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Refuse a forged button; hand a genuine click to :meth:`clicked`."""
        if self.forged:
            await refuse_forged(interaction)
            return
        await self.clicked(interaction)

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """What a click on a genuine button does."""
        raise NotImplementedError


async def refuse_unless(interaction: discord.Interaction[Any], owner_id: int, text: str) -> bool:
    """Answer ``text`` privately unless the clicker is ``owner_id``; whether it refused."""
    if interaction.user.id == owner_id:
        return False
    await interaction.response.send_message(text, ephemeral=True)
    return True
