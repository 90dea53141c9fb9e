"""The quiz's persistent buttons.

Each button is a ``DynamicItem`` whose custom id carries only ids: the session,
the step it was made for and the action. Everything else is read from the
database when it is clicked, so buttons keep working after a restart.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from cogs.common.ids import ID_PATTERN, parse_id, refuse_forged
from cogs.common.throttle import Throttled

ACTION_PATTERN = r"reveal|hint|write|next|g[1-4]|o[0-4][0-9a-f]{4}"
"""Every action a quiz button can carry: a grade 1-4, an option A-E with its fingerprint."""
BUTTON_TEMPLATE = (
    rf"recall:q:(?P<sid>{ID_PATTERN}):(?P<step>[0-9]{{1,4}}):(?P<action>{ACTION_PATTERN})"
)
MODAL_PATTERN = re.compile(rf"recall:qm:(?P<sid>{ID_PATTERN}):(?P<step>[0-9]{{1,4}})")
ANSWER_INPUT_ID = "answer"


class ClickHandler(Protocol):
    """What a click is handed to (the quiz cog)."""

    async def handle_click(
        self, interaction: discord.Interaction[Any], session_id: int, step: int, action: str
    ) -> None: ...


def button_id(session_id: int, step: int, action: str) -> str:
    """The custom id of a quiz button."""
    return f"recall:q:{session_id}:{step}:{action}"


def modal_id(session_id: int, step: int) -> str:
    """The custom id of the explain modal."""
    return f"recall:qm:{session_id}:{step}"


class QuizButton(
    Throttled,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=BUTTON_TEMPLATE,
):
    """Any quiz button: Reveal, a grade, an option, Show hint, Write my answer, Next."""

    def __init__(
        self,
        session_id: int,
        step: int,
        action: str,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        disabled: bool = False,
        row: int | None = None,
    ) -> None:
        self.session_id = session_id
        self.step = step
        self.action = action
        self.forged = False
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                custom_id=button_id(session_id, step, action),
                disabled=disabled,
                row=row,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> QuizButton:
        """Rebuild the button from a click on any message, old or new."""
        session_id = parse_id(match["sid"])
        button = cls(
            session_id or 0,
            int(match["step"]),
            match["action"],
            label=getattr(item, "label", None) or "",
        )
        button.forged = session_id is None
        return button

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the quiz cog."""
        if self.forged:
            await refuse_forged(interaction)
            return
        handler = interaction.client.get_cog("Quiz")
        if handler is None:  # the extension is being reloaded
            await interaction.response.send_message(
                "Recall is restarting its quiz module; try again in a moment.", ephemeral=True
            )
            return
        await handler.handle_click(interaction, self.session_id, self.step, self.action)
