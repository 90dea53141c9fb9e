"""The real Slack app (slackapp.runner.SlackProcess: bolt's AsyncApp over Socket Mode)
against the fake Slack of tests/fakeslack, on a real database.

``SlackRecall`` owns the engine (so a test can play a restart: a new app instance,
and a new engine on the same database) and starts the app exactly as ``python -m
bot slack`` does, with settings from the environment the fake gives. The
``slack_recall`` fixture (tests/e2e_slack/conftest.py) runs one on each backend and
checks at teardown that nothing the app sent could mention anyone.

Use::

    async def test_x(slack_recall: SlackRecall) -> None:
        alice = slack_recall.world.learner
        done = await slack_recall.quiz(alice, "start kind:flashcard count:1")
        card = await done.wait_dm()
        click = await slack_recall.fake.click(alice, card, "Reveal answer")
        await click.wait_update()
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.clock import FakeClock
from bot.core.scheduling import CardScheduler
from bot.engine import Engine, open_engine
from bot.reminder_loop import ReminderLoop
from bot.settings import Settings, load_settings
from bot.storage import DatabaseURL
from slackapp.context import SlackContext
from slackapp.outbound import build_outbound
from slackapp.runner import SlackProcess
from tests.fakeslack import Action, FakeMessage, FakeSlack, FakeUser, Workspace

GRADES = ("Again", "Hard", "Good", "Easy")


def labels(target: FakeMessage) -> list[str]:
    """The button texts, a grade's interval dropped (``Good · 3d`` → ``Good``)."""
    return [_name(label) for label in target.labels]


def _name(label: str) -> str:
    head, sep, _tail = label.partition(" · ")
    return head if sep and head in GRADES else label


def button_id(target: FakeMessage, name: str) -> str:
    """The action id of the button called ``name`` (a grade without its interval)."""
    for button in target.buttons():
        if _name(button["text"]["text"]) == name or button["action_id"] == name:
            return str(button["action_id"])
    raise LookupError(f"no button {name!r} (has {target.labels})")


BOT_TOKEN = "xoxb-000000000001-000000000002-fakeslacktestingtoken"
APP_TOKEN = "xapp-1-A000000000-000000000003-fakeslacktestingtoken"
"""Tokens shaped like Slack's, so that the settings' checks pass (the fake's own
defaults are too short for them)."""


EVENTUALLY_SECONDS = 5.0


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait until ``check()`` (a read of the database, say) is true, for what the app
    does after the Slack call a test can see; fail after :data:`EVENTUALLY_SECONDS`.
    Only for positive checks."""
    try:
        async with asyncio.timeout(EVENTUALLY_SECONDS):
            # The database has no event to wait on: poll it (a positive check only).
            while not await check():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"still false after {EVENTUALLY_SECONDS}s: {check.__name__}") from None


def slack_settings(fake: FakeSlack, content_dir: Path, database: DatabaseURL) -> Settings:
    """Settings as ``python -m bot slack`` reads them, pointing at the fake."""
    return load_settings(
        {
            "SLACK_BOT_TOKEN": fake.bot_token,
            "SLACK_APP_TOKEN": fake.app_token,
            "SLACK_API_BASE": fake.api_base,
            "CONTENT_DIR": str(content_dir),
            "DATABASE_URL": "sqlite:///unused.db",  # the engine is opened on ``database``
        },
        env_file=None,
    )


@dataclass
class SlackRecall:
    """One Slack app process at a time on one database, against one fake Slack."""

    fake: FakeSlack
    world: Workspace
    database: DatabaseURL
    content_dir: Path
    clock: FakeClock
    settings: Settings = field(init=False)
    engine: Engine | None = field(default=None, init=False)
    process: SlackProcess | None = field(default=None, init=False)
    starts: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.settings = slack_settings(self.fake, self.content_dir, self.database)

    @property
    def ctx(self) -> SlackContext:
        """The running app's context (its services, its caches)."""
        assert self.process is not None and self.process.ctx is not None
        return self.process.ctx

    async def start(self) -> SlackContext:
        """Open the engine on the database and start a new app instance."""
        self.engine = await open_engine(
            self.settings,
            clock=self.clock,
            database=self.database,
            scheduler=CardScheduler(fuzz=False),
        )
        # No wall-clock scheduler in tests: they drive the reminder loop by hand
        # (``outbound``), so what is sent when is theirs to say.
        self.process = SlackProcess(
            self.settings, clock=self.clock, engine=self.engine, background_jobs=False
        )
        before = self.fake.connections
        ctx = await self.process.start()
        await self.fake.wait_connected(before + 1)
        self.starts += 1
        return ctx

    async def stop(self) -> None:
        """Disconnect the app and close the engine."""
        if self.process is not None:
            await self.process.close()
            self.process = None
        if self.engine is not None:
            await self.engine.close()
            self.engine = None

    async def restart(self) -> SlackContext:
        """A restart: the app and its engine go (memory and caches with them), a new
        instance starts on the same database."""
        await self.stop()
        return await self.start()

    def outbound(self, **kwargs: Any) -> ReminderLoop:
        """The app's reminder loop (reminders, the daily question), not started: call its
        ``reminder_tick(drain=True)`` and ``daily_tick()``. ``kwargs`` go to
        :func:`slackapp.outbound.build_outbound` (a pacer, a spacing)."""
        return build_outbound(self.ctx, **kwargs)

    # -- acting as users ---------------------------------------------------------

    async def quiz(self, user: FakeUser, text: str = "") -> Action:
        """``user`` types ``/quiz <text>`` in #general; returns once it is acknowledged."""
        return await self.fake.command(user, "/quiz", text)

    async def start_session(self, user: FakeUser, text: str) -> tuple[Action, FakeMessage]:
        """``/quiz <text>`` (start or review): the private reply and the session's DM."""
        action = await self.quiz(user, text)
        message = await action.wait_dm()
        await action.wait_reply()
        return action, message

    async def click(self, user: FakeUser, message: FakeMessage, button: str) -> FakeMessage:
        """``user`` clicks ``button`` (label or action id); the message once updated."""
        action = await self.fake.click(user, message, button_id(message, button))
        return await action.wait_update()


__all__ = [
    "APP_TOKEN",
    "BOT_TOKEN",
    "GRADES",
    "SlackRecall",
    "button_id",
    "eventually",
    "labels",
    "slack_settings",
]
