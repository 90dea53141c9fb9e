"""The quiz's persistent buttons.

Each button is a ``DynamicItem`` whose custom id carries only ids: the session,
the step it was made for and the action. Everything else is read from the
database when it is clicked, so buttons keep working after a restart.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.core.custom_ids import ID_PATTERN, SPEC_PATTERN, StartSpec
from cogs.common.buttons import CustomId, PersistentButton

ACTION_PATTERN = r"reveal|hint|write|next|stop|g[1-4]|o[0-4][0-9a-f]{4}"
"""Every action a quiz button can carry: a grade 1-4, an option A-E with its fingerprint."""
BUTTON_TEMPLATE = (
    rf"recall:q:(?P<sid>{ID_PATTERN}):(?P<step>[0-9]{{1,4}}):(?P<action>{ACTION_PATTERN})"
)
MODAL_PATTERN = re.compile(rf"recall:qm:(?P<sid>{ID_PATTERN}):(?P<step>[0-9]{{1,4}})")
ANSWER_INPUT_ID = "answer"


RESUME_TEMPLATE = rf"recall:qr:(?P<sid>{ID_PATTERN})"
"""Resume: show open session ``sid`` again, as a new message."""
START_NEW_TEMPLATE = rf"recall:qn:(?P<sid>{ID_PATTERN}):(?P<spec>{SPEC_PATTERN})"
"""Start new: finish open session ``sid`` (the clicker's), then start ``spec``. At most 99
characters (a 19-digit id, a 64-character deck id), within Discord's 100."""
SUMMARY_TEMPLATE = rf"recall:qe:(?P<sid>{ID_PATTERN}):(?P<action>missed|another)"
"""A summary's Review missed and Start another, for finished session ``sid``."""


class ClickHandler(Protocol):
    """What a click is handed to (the quiz cog)."""

    async def handle_click(
        self, interaction: discord.Interaction[Any], session_id: int, step: int, action: str
    ) -> None: ...

    async def handle_resume(
        self, interaction: discord.Interaction[Any], session_id: int
    ) -> None: ...

    async def handle_start_new(
        self, interaction: discord.Interaction[Any], session_id: int, spec: StartSpec
    ) -> None: ...

    async def handle_summary(
        self, interaction: discord.Interaction[Any], session_id: int, action: str
    ) -> None: ...


RESTARTING = "Recall is restarting its quiz module; try again in a moment."


def button_id(session_id: int, step: int, action: str) -> str:
    """The custom id of a quiz button."""
    return f"recall:q:{session_id}:{step}:{action}"


def modal_id(session_id: int, step: int) -> str:
    """The custom id of the explain modal."""
    return f"recall:qm:{session_id}:{step}"


async def _quiz_cog(interaction: discord.Interaction[Any]) -> ClickHandler | None:
    """The quiz cog to hand a click to; None, the clicker told, while it is reloaded."""
    cog: Any = interaction.client.get_cog("Quiz")
    if cog is None:
        await interaction.response.send_message(RESTARTING, ephemeral=True)
    return cog  # type: ignore[no-any-return]


class QuizButton(PersistentButton, template=BUTTON_TEMPLATE):
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
        super().__init__(
            label=label,
            style=style,
            custom_id=button_id(session_id, step, action),
            disabled=disabled,
            row=row,
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> QuizButton:
        """The button of a click on any message, old or new."""
        return cls(
            found.id("sid"),
            int(found["step"]),
            found["action"],
            label=getattr(item, "label", None) or "",
        )

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the quiz cog."""
        if (handler := await _quiz_cog(interaction)) is not None:
            await handler.handle_click(interaction, self.session_id, self.step, self.action)


class ResumeButton(PersistentButton, template=RESUME_TEMPLATE):
    """**Resume**: the open session's current card again, as a fresh message."""

    def __init__(self, session_id: int) -> None:
        self.session_id = session_id
        super().__init__(
            label="Resume",
            style=discord.ButtonStyle.primary,
            custom_id=f"recall:qr:{session_id}",
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> ResumeButton:
        """The button of the custom id."""
        return cls(found.id("sid"))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the quiz cog."""
        if (handler := await _quiz_cog(interaction)) is not None:
            await handler.handle_resume(interaction, self.session_id)


class StartNewButton(PersistentButton, template=START_NEW_TEMPLATE):
    """**Start new**: finish the open session, then start what was asked."""

    def __init__(self, session_id: int, spec: StartSpec) -> None:
        self.session_id = session_id
        self.spec = spec
        custom_id = f"recall:qn:{session_id}:{spec.encode()}"
        # The service refuses an unknown deck before it asks about an open session, so
        # the spec only carries a real deck id: the id fits Discord's 100 and parses.
        assert len(custom_id) <= 100 and re.fullmatch(START_NEW_TEMPLATE, custom_id), custom_id
        super().__init__(
            label="Start new",
            style=discord.ButtonStyle.secondary,
            custom_id=custom_id,
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> StartNewButton:
        """The button of the custom id (a spec out of range marks it forged)."""
        spec = StartSpec.decode(found["spec"])
        if spec is None:
            found.refuse()
        return cls(found.id("sid"), spec or StartSpec("review"))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the quiz cog."""
        if (handler := await _quiz_cog(interaction)) is not None:
            await handler.handle_start_new(interaction, self.session_id, self.spec)


class SummaryButton(PersistentButton, template=SUMMARY_TEMPLATE):
    """A summary's **Review missed** or **Start another**."""

    def __init__(self, session_id: int, action: str) -> None:
        self.session_id = session_id
        self.action = action
        missed = action == "missed"
        super().__init__(
            label="Review missed" if missed else "Start another",
            style=discord.ButtonStyle.primary if missed else discord.ButtonStyle.secondary,
            custom_id=f"recall:qe:{session_id}:{action}",
        )

    @classmethod
    def rebuild(cls, found: CustomId, item: discord.ui.Item[Any]) -> SummaryButton:
        """The button of the custom id."""
        return cls(found.id("sid"), found["action"])

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the quiz cog."""
        if (handler := await _quiz_cog(interaction)) is not None:
            await handler.handle_summary(interaction, self.session_id, self.action)
