"""Running a real slack-bolt ``AsyncApp`` in Socket Mode against a FakeSlack."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from .server import FakeSlack


def web_client(fake: FakeSlack, **kwargs: object) -> AsyncWebClient:
    """An ``AsyncWebClient`` with the fake's bot token and ``base_url``."""
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_base, **kwargs)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running_app(
    fake: FakeSlack, app: AsyncApp, *, ping_interval: float = 10, timeout: float = 5.0
) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect ``app`` to ``fake`` over Socket Mode; close the handler on exit.

    ``app`` must have been built with a client on the fake (:func:`web_client`).
    Returns once the websocket is open, so envelopes can be sent at once.
    """
    handler = AsyncSocketModeHandler(app, fake.app_token, ping_interval=ping_interval)
    before = fake.connections
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        await fake.wait_connected(before + 1, timeout=timeout)
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
