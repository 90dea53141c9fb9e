"""The quiz's persistent buttons.

Each button is a ``DynamicItem`` whose custom id carries only ids: the session,
the step it was made for and the action. Everything else is read from the
database when it is clicked, so buttons keep working after a restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import discord

from bot.core.session import MAX_COUNT, SessionKind
from cogs.common.ids import ID_PATTERN, parse_id, refuse_forged
from cogs.common.throttle import Throttled

ACTION_PATTERN = r"reveal|hint|write|next|stop|g[1-4]|o[0-4][0-9a-f]{4}"
"""Every action a quiz button can carry: a grade 1-4, an option A-E with its fingerprint."""
BUTTON_TEMPLATE = (
    rf"recall:q:(?P<sid>{ID_PATTERN}):(?P<step>[0-9]{{1,4}}):(?P<action>{ACTION_PATTERN})"
)
MODAL_PATTERN = re.compile(rf"recall:qm:(?P<sid>{ID_PATTERN}):(?P<step>[0-9]{{1,4}})")
ANSWER_INPUT_ID = "answer"


RESUME_TEMPLATE = rf"recall:qr:(?P<sid>{ID_PATTERN})"
"""Resume: show open session ``sid`` again, as a new message."""
_KINDS = {"f": "flashcard", "m": "mcq", "e": "explain", "x": "mixed"}
_LEVELS = {"b": "beginner", "i": "intermediate", "a": "advanced", "x": None}
SPEC_PATTERN = rf"r|[ma]{ID_PATTERN}|s[fmex][0-9]{{2}}[biax][a-z0-9-]{{0,64}}"
"""What to start: ``r`` review; ``m<sid>`` the missed cards of session sid; ``a<sid>``
another like it; ``s`` + kind letter + two-digit count + level letter + deck id (empty:
all decks). At most 99 characters with ``recall:qn:<sid>:`` (a 19-digit id, a
64-character deck id), within Discord's 100."""
START_NEW_TEMPLATE = rf"recall:qn:(?P<sid>{ID_PATTERN}):(?P<spec>{SPEC_PATTERN})"
"""Start new: finish open session ``sid`` (the clicker's), then start ``spec``."""
SUMMARY_TEMPLATE = rf"recall:qe:(?P<sid>{ID_PATTERN}):(?P<action>missed|another)"
"""A summary's Review missed and Start another, for finished session ``sid``."""


@dataclass(frozen=True, slots=True)
class StartSpec:
    """What a learner asked to start, as carried by a Start new button."""

    what: str
    """``start``, ``review``, ``missed`` or ``another``."""
    kind: SessionKind = SessionKind.MIXED
    count: int = 10
    level: str | None = None
    deck_id: str | None = None
    origin: int | None = None
    """The session whose missed cards (or options) to use (``missed``, ``another``)."""

    def encode(self) -> str:
        """The spec part of a Start new custom id."""
        if self.what == "review":
            return "r"
        if self.what in ("missed", "another"):
            return f"{self.what[0]}{self.origin}"
        kind = next(k for k, v in _KINDS.items() if v == str(self.kind))
        level = next(k for k, v in _LEVELS.items() if v == self.level)
        return f"s{kind}{self.count:02d}{level}{self.deck_id or ''}"

    @classmethod
    def decode(cls, text: str) -> StartSpec | None:
        """The spec in a custom id matched by :data:`SPEC_PATTERN`; None if out of range."""
        if text == "r":
            return cls("review")
        if text[0] in "ma":
            origin = parse_id(text[1:])
            if origin is None:
                return None
            return cls("missed" if text[0] == "m" else "another", origin=origin)
        count = int(text[2:4])
        if not 1 <= count <= MAX_COUNT:
            return None
        return cls(
            "start",
            kind=SessionKind(_KINDS[text[1]]),
            count=count,
            level=_LEVELS[text[4]],
            deck_id=text[5:] or None,
        )


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


def _quiz_cog(interaction: discord.Interaction[Any]) -> ClickHandler | None:
    cog: Any = interaction.client.get_cog("Quiz")
    return cog  # type: ignore[no-any-return]


RESTARTING = "Recall is restarting its quiz module; try again in a moment."


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
        handler = _quiz_cog(interaction)
        if handler is None:  # the extension is being reloaded
            await interaction.response.send_message(RESTARTING, ephemeral=True)
            return
        await handler.handle_click(interaction, self.session_id, self.step, self.action)


class ResumeButton(
    Throttled,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=RESUME_TEMPLATE,
):
    """**Resume**: the open session's current card again, as a fresh message."""

    def __init__(self, session_id: int) -> None:
        self.session_id = session_id
        self.forged = False
        super().__init__(
            discord.ui.Button(
                label="Resume",
                style=discord.ButtonStyle.primary,
                custom_id=f"recall:qr:{session_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ResumeButton:
        """Rebuild from the custom id (never raises: a bad id marks it forged)."""
        session_id = parse_id(match["sid"])
        button = cls(session_id or 0)
        button.forged = session_id is None
        return button

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the quiz cog."""
        if self.forged:
            await refuse_forged(interaction)
            return
        handler = _quiz_cog(interaction)
        if handler is None:
            await interaction.response.send_message(RESTARTING, ephemeral=True)
            return
        await handler.handle_resume(interaction, self.session_id)


class StartNewButton(
    Throttled,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=START_NEW_TEMPLATE,
):
    """**Start new**: finish the open session, then start what was asked."""

    def __init__(self, session_id: int, spec: StartSpec) -> None:
        self.session_id = session_id
        self.spec = spec
        self.forged = False
        custom_id = f"recall:qn:{session_id}:{spec.encode()}"
        # The service refuses an unknown deck before it asks about an open session, so
        # the spec only carries a real deck id: the id fits Discord's 100 and parses.
        assert len(custom_id) <= 100 and re.fullmatch(START_NEW_TEMPLATE, custom_id), custom_id
        super().__init__(
            discord.ui.Button(
                label="Start new",
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StartNewButton:
        """Rebuild from the custom id (never raises: a bad id marks it forged)."""
        session_id = parse_id(match["sid"])
        spec = StartSpec.decode(match["spec"])
        button = cls(session_id or 0, spec or StartSpec("review"))
        button.forged = session_id is None or spec is None
        return button

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the quiz cog."""
        if self.forged:
            await refuse_forged(interaction)
            return
        handler = _quiz_cog(interaction)
        if handler is None:
            await interaction.response.send_message(RESTARTING, ephemeral=True)
            return
        await handler.handle_start_new(interaction, self.session_id, self.spec)


class SummaryButton(
    Throttled,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=SUMMARY_TEMPLATE,
):
    """A summary's **Review missed** or **Start another**."""

    def __init__(self, session_id: int, action: str) -> None:
        self.session_id = session_id
        self.action = action
        self.forged = False
        missed = action == "missed"
        super().__init__(
            discord.ui.Button(
                label="Review missed" if missed else "Start another",
                style=discord.ButtonStyle.primary if missed else discord.ButtonStyle.secondary,
                custom_id=f"recall:qe:{session_id}:{action}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SummaryButton:
        """Rebuild from the custom id (never raises: a bad id marks it forged)."""
        session_id = parse_id(match["sid"])
        button = cls(session_id or 0, match["action"])
        button.forged = session_id is None
        return button

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the quiz cog."""
        if self.forged:
            await refuse_forged(interaction)
            return
        handler = _quiz_cog(interaction)
        if handler is None:
            await interaction.response.send_message(RESTARTING, ephemeral=True)
            return
        await handler.handle_summary(interaction, self.session_id, self.action)
