"""Running a real discord.py client against a FakeDiscord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import discord

from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def connected_client(
    fake: FakeDiscord, client: ClientT, *, timeout: float = 5.0
) -> AsyncIterator[ClientT]:
    """Start ``client`` against ``fake``, wait for ``on_ready``, close it on exit.

    Patches ``Route.BASE``/``DEFAULT_GATEWAY`` for the duration. Create the client
    with ``guild_ready_timeout=0.05`` or READY takes 2 s.
    """
    with fake.patch_discord():
        task = asyncio.create_task(client.start(fake.token), name="fakediscord-client")
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            # Client.wait_until_ready() cannot be used before login created its event,
            # so poll the cheap is_ready() flag and surface startup errors early.
            while not client.is_ready():
                if task.done():
                    task.result()
                    raise RuntimeError("client.start() returned before becoming ready")
                if loop.time() > deadline:
                    raise TimeoutError(f"client not ready after {timeout}s")
                await asyncio.sleep(0.005)
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout)
