"""The confirm step of ``/quiz forget-me``: persistent Delete / Keep buttons."""

from __future__ import annotations

from typing import Any

import discord

from bot.core.custom_ids import ID_PATTERN
from cogs.common.buttons import CustomId, PersistentButton, refuse_unless
from cogs.common.errors import report
from cogs.common.identity import learner

FORGET_TEMPLATE = rf"recall:forget:(?P<uid>{ID_PATTERN}):(?P<action>yes|no)"


class ForgetButton(PersistentButton, template=FORGET_TEMPLATE):
    """Delete my data (yes) or keep it (no); only the learner who asked may press it."""

    def __init__(self, user_id: int, action: str) -> None:
        self.user_id = user_id
        self.action = action
        yes = action == "yes"
        super().__init__(
            label="Delete all my data" if yes else "Keep my data",
            style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
            custom_id=f"recall:forget:{user_id}:{action}",
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> ForgetButton:
        """The button of the custom id."""
        return cls(found.id("uid"), found["action"])

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Delete (or keep) the learner's data."""
        if await refuse_unless(
            interaction, self.user_id, "Only the person who asked can confirm this."
        ):
            return
        if self.action == "no":
            await interaction.response.edit_message(
                content="Nothing was deleted.", embed=None, view=None
            )
            return
        try:
            deleted = await interaction.client.learners.forget(learner(interaction.user))
        except Exception as exc:
            await report(interaction, exc)
            return
        text = (
            "All your Recall data was deleted: progress, reviews, streak and settings."
            if deleted
            else "Recall had no data about you."
        )
        await interaction.response.edit_message(content=text, embed=None, view=None)


def confirm_view(user_id: int) -> discord.ui.View:
    """The two buttons under the forget-me question."""
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetButton(user_id, "yes"))
    view.add_item(ForgetButton(user_id, "no"))
    return view
