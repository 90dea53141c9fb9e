"""``python -m bot slack``: the Slack app in Socket Mode, on the engine and database of
``DATABASE_URL`` (the Discord bot may run at the same time on the same database).

Start-up checks the bot token (``auth.test``) before connecting, so a wrong token
is one line naming ``SLACK_BOT_TOKEN``; a refused app token names
``SLACK_APP_TOKEN``. Neither token is ever logged.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.clock import Clock, system_clock
from bot.engine import Engine, open_engine
from bot.reminder_loop import ReminderLoop
from bot.services import StorageError
from bot.settings import Settings, SettingsError, log_level_number
from slackapp.app import create_app
from slackapp.context import SlackContext, from_engine
from slackapp.outbound import start_outbound

log = logging.getLogger("recall.slack")

RATE_LIMIT_RETRIES = 3
"""Times a Web API call answered ``ratelimited`` (429) is retried after Slack's
``Retry-After``, before the error reaches the handler."""


class SlackStartError(Exception):
    """Start-up failed for a reason a host can fix; the message is one line."""


def web_client(settings: Settings, token: str) -> AsyncWebClient:
    """The Web API client: ``SLACK_API_BASE``, retries on 429 (after ``Retry-After``)
    and on a dropped connection."""
    client = AsyncWebClient(token=token, base_url=settings.slack_api_base)
    client.retry_handlers.append(
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)
    )
    client.retry_handlers.append(AsyncConnectionErrorRetryHandler(max_retry_count=1))
    return client


@dataclass
class SlackProcess:
    """One running Slack app: the engine, the bolt app and its Socket Mode connection.

    ``engine`` may be given (tests share one between instances to play a restart on
    one database); otherwise it is opened from ``settings`` and closed with the app.
    """

    settings: Settings
    clock: Clock = system_clock
    engine: Engine | None = None
    background_jobs: bool = True
    """Run the reminder loop (reminders, the daily question); tests drive it by hand."""
    ctx: SlackContext | None = field(default=None, init=False)
    app: AsyncApp | None = field(default=None, init=False)
    handler: AsyncSocketModeHandler | None = field(default=None, init=False)
    outbound: ReminderLoop | None = field(default=None, init=False)
    _owns_engine: bool = field(default=False, init=False)

    async def start(self) -> SlackContext:
        """Check the tokens with Slack, open the engine, connect the websocket."""
        try:
            bot_token, app_token = self.settings.require_slack_tokens()
        except SettingsError as exc:
            raise SlackStartError(str(exc)) from None
        client = web_client(self.settings, bot_token.get_secret_value())
        try:
            await client.auth_test()
        except SlackApiError as exc:
            raise SlackStartError(
                f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}); check it"
            ) from None
        if self.engine is None:
            self.engine = await open_engine(self.settings, clock=self.clock)
            self._owns_engine = True
            for problem in self.engine.problems:
                log.warning("deck problem: %s", problem)
        log.info("database: %s", self.engine.description)
        self.ctx = from_engine(self.engine, client, self.settings)
        self.app = create_app(self.ctx)
        self.handler = AsyncSocketModeHandler(
            self.app, app_token.get_secret_value(), web_client=client
        )
        try:
            await self.handler.connect_async()  # type: ignore[no-untyped-call]  # (bolt: untyped)
        except SlackApiError as exc:
            await self.close()
            raise SlackStartError(
                f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}); it must be an "
                "app-level token with connections:write"
            ) from None
        log.info("connected to Slack in Socket Mode")
        if self.background_jobs:
            self.outbound = start_outbound(self.ctx)
        return self.ctx

    async def close(self) -> None:
        """Stop the reminder loop, disconnect, then close the engine if this process
        opened it."""
        if self.outbound is not None:
            await self.outbound.stop()
            self.outbound = None
        if self.handler is not None:
            await self.handler.close_async()  # type: ignore[no-untyped-call]
            self.handler = None
        if self.ctx is not None:
            session = getattr(self.ctx.client, "session", None)
            if session is not None:
                await session.close()
        if self.engine is not None and self._owns_engine:
            await self.engine.close()
            self.engine = None


def configure_logging(settings: Settings) -> None:
    """One line per record at ``LOG_LEVEL``; the Slack SDK's own chatter above INFO only."""
    level = log_level_number(settings)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-8s %(name)s: %(message)s")
    for name in ("slack_sdk", "slack_bolt"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def run_slack(settings: Settings) -> int:
    """Run the Slack app until SIGINT/SIGTERM; returns the exit code."""
    configure_logging(settings)
    try:
        settings.require_slack_tokens()
    except SettingsError as exc:
        log.error("Configuration error: %s", exc)
        return 2
    if not settings.content_dir.is_dir():
        log.error(
            "Configuration error: CONTENT_DIR %s is not a folder of decks", settings.content_dir
        )
        return 2

    async def serve() -> None:
        process = SlackProcess(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await process.start()
            await stop.wait()
        finally:
            await process.close()

    try:
        asyncio.run(serve())
    except SlackStartError as exc:
        log.error("%s", exc)
        return 1
    except StorageError as exc:
        log.error("Database error (DATABASE_URL): %s", exc)
        return 1
    except (aiohttp.ClientError, OSError) as exc:
        log.error(
            "Cannot reach Slack at %s (SLACK_API_BASE): %s",
            settings.slack_api_base,
            " ".join(str(exc).split())[:300] or type(exc).__name__,
        )
        return 1
    return 0


__all__ = ["SlackProcess", "SlackStartError", "configure_logging", "run_slack", "web_client"]
