"""Acknowledge every interaction inside Discord's 3 seconds without paying for it when fast.

Most clicks finish in milliseconds, and then one ``edit_message`` is both the
acknowledgement and the update. When the work is slow (a locked database, a
busy machine), the interaction is deferred before the deadline and the result
edited in afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

T = TypeVar("T")

DEFER_AFTER = 1.5
"""Seconds of work after which we defer: leaves room for the REST round trip."""


async def within_deadline(
    interaction: discord.Interaction[Any],
    work: Awaitable[T],
    *,
    ephemeral: bool = True,
    update: bool = True,
) -> T:
    """Await ``work``; if it takes longer than ``DEFER_AFTER``, defer the interaction meanwhile.

    ``update=True`` defers as a message update (for component clicks), else as a
    "thinking" reply. After a deferral ``interaction.response.is_done()`` is true and the
    caller must use ``edit_original_response`` / ``followup``; see :func:`show`.
    """
    # A timer rather than a task and asyncio.wait: this runs on every click, and the
    # timer is all the fast path pays for (it is cancelled as soon as ``work`` ends).
    loop = asyncio.get_running_loop()
    deferral: asyncio.Task[Any] | None = None

    def defer() -> None:
        nonlocal deferral
        deferral = loop.create_task(
            interaction.response.defer(ephemeral=ephemeral, thinking=not update)
        )

    timer = loop.call_later(DEFER_AFTER, defer)
    try:
        return await work
    finally:
        timer.cancel()
        if deferral is not None:
            # The acknowledgement must be complete before the caller responds.
            await deferral


async def show(
    interaction: discord.Interaction[Any],
    *,
    update: bool,
    ephemeral: bool = True,
    **message: Any,
) -> int | None:
    """Send or edit the interaction's message, whether it was deferred or not.

    Returns the id of the message shown, when Discord reports it.
    """
    if interaction.response.is_done():
        return (await interaction.edit_original_response(**message)).id
    if update:
        edited = await interaction.response.edit_message(**message)
        return edited.message_id if edited is not None else None
    return (await interaction.response.send_message(ephemeral=ephemeral, **message)).message_id
