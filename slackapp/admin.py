"""Workspace admins' commands: ``/quiz leaderboard | progress | export | daily``.

The skeleton answers "not available yet"; the admin work (the ``users.info`` check
on every command and button, the commands themselves) replaces :func:`handle_admin`
and fills :func:`register`, so that it never edits the learner flows' handlers.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from slackapp import commands as cmd
from slackapp.context import SlackContext
from slackapp.quiz import Respond


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the admin views' buttons on ``app`` (none yet)."""


async def handle_admin(
    ctx: SlackContext, body: dict[str, Any], command: cmd.AdminCommand, respond: Respond
) -> None:
    """Carry out an admin's ``/quiz`` command (already acknowledged)."""
    await respond(
        response_type="ephemeral",
        text="The admin commands are not available in Slack yet.",
    )


__all__ = ["handle_admin", "register"]
