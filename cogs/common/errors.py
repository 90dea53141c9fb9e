"""The one error handler for slash commands and buttons.

Priorities, in order:
1. The engine's ``RecallError`` (in the words of :mod:`cogs.common.words`) and other
   user errors: their message, ephemeral, nothing logged beyond debug (they are
   expected: a stale click, not your quiz...).
2. Permission and check failures: a short ephemeral explanation.
3. ``StorageError`` (database locked, read-only, full): an apology that asks to
   try again, logged as a warning with an error id; nothing was saved half-way
   since every write is one transaction.
4. Anything else: an apology with an error id; the traceback is logged with the
   same id so a moderator's report can be matched to the log. The bot keeps running.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands

from bot.core.errors import RecallError
from bot.services import StorageError
from cogs.common.words import describe

log = logging.getLogger("recall.errors")


class UserFacingError(Exception):
    """An error whose message is meant for the person who clicked or typed."""


def _unwrap(error: BaseException) -> BaseException:
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.original if hasattr(error, "original") else error
        if not isinstance(error, app_commands.CommandInvokeError):
            break
    return error


def message_for(error: BaseException) -> tuple[str, bool]:
    """The text to show for ``error``, and whether it was unexpected (to be logged)."""
    error = _unwrap(error)
    if isinstance(error, RecallError):
        return describe(error), False
    if isinstance(error, UserFacingError):
        return str(error), False
    if isinstance(error, app_commands.MissingPermissions):
        return "This command is for moderators (Manage Server).", False
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server, not in DMs.", False
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here.", False
    error_id = secrets.token_hex(4)
    if isinstance(error, StorageError):
        log.warning("storage error %s: %s", error_id, error)
        return (
            "Recall's database is busy or unavailable right now, so nothing was saved. "
            f"Please try again in a moment. (error id `{error_id}`)",
            True,
        )
    log.error("unexpected error %s", error_id, exc_info=error)
    return f"Sorry, something went wrong on our side. (error id `{error_id}`)", True


async def report(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user about ``error`` ephemerally, whatever state the interaction is in."""
    text, _unexpected = message_for(error)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        # The interaction expired or Discord is unreachable: the log is all we have.
        log.warning("could not report an error to the user: %s", exc)
