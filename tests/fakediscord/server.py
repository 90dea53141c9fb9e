"""FakeDiscord: the aiohttp server tying state, REST, gateway and the user driver together."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from types import TracebackType
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from .driver import InteractionDriver
from .faults import FailRule, RateLimitRule
from .gateway import Gateway, GatewayFrame
from .interactions import Interaction
from .models import JSON, FakeChannel, FakeGuild, FakeMessage, FakeUpload, FakeUser
from .rest import API_PREFIX, RestApi
from .snowflakes import new_snowflake
from .state import DiscordState

ATTACHMENTS_PREFIX = "/attachments"
"""Where the fake serves the files users attach (Discord's CDN)."""


class FakeDiscord(DiscordState):
    """A fake Discord (REST + gateway) on 127.0.0.1 for the real discord.py client.

    World-building helpers (``create_guild``, ``add_member``, …), the request log
    and wait helpers come from :class:`~tests.fakediscord.state.DiscordState`.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_name: str = "Recall",
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        super().__init__(token=token, bot_name=bot_name)
        self.gateway = Gateway(self, heartbeat_interval_ms=heartbeat_interval_ms)
        self.rest = RestApi(self, self.gateway)
        self.driver = InteractionDriver(self, self.gateway)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind an ephemeral port on 127.0.0.1 and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        # The gateway path needs the trailing slash: discord.py keeps the URL it was given.
        app.router.add_get("/gateway/", self.gateway.handle)
        # Files users attach to slash commands (Discord's CDN): no token needed.
        app.router.add_get(ATTACHMENTS_PREFIX + "/{upload_id}/{filename}", self._serve_upload)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        # Port 0 → the OS picks a free port; read it back from the bound socket.
        self._port = int(self._runner.addresses[0][1])
        self.gateway.resume_url = self.gateway_url
        self.rest.gateway_url = self.gateway_url

    async def stop(self) -> None:
        """Close websockets and stop the server."""
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ user uploads
    def upload(
        self,
        filename: str,
        content: bytes,
        *,
        content_type: str | None = None,
        size: int | None = None,
    ) -> FakeUpload:
        """A file a user attaches to a slash command: pass it as the value of an
        attachment option. ``size`` is the size Discord declares (default: the
        content's length), so a test can declare a huge file without making one."""
        upload_id = new_snowflake()
        url = f"{self.base_url}{ATTACHMENTS_PREFIX}/{upload_id}/{filename}"
        upload = FakeUpload(upload_id, filename, content, url, content_type, size)
        self.uploads[upload_id] = upload
        return upload

    async def _serve_upload(self, request: web.Request) -> web.StreamResponse:
        upload = self.uploads.get(int(request.match_info["upload_id"]))
        if upload is None or upload.filename != request.match_info["filename"]:
            return web.Response(status=404, text="404: Not Found")
        upload.downloads += 1
        self.notify()
        return web.Response(
            body=upload.content, content_type=upload.content_type or "application/octet-stream"
        )

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (note the trailing slash)."""
        return f"ws://127.0.0.1:{self.port}/gateway/"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[FakeDiscord]:
        """Point discord.py's REST base and gateway URL at this fake (restored on exit)."""
        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield self
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # ------------------------------------------------------------------ faults
    def rate_limit(
        self,
        method: str,
        path_regex: str,
        *,
        times: int | None = 1,
        retry_after: float = 0.2,
        is_global: bool = False,
        per_path: int | None = None,
    ) -> RateLimitRule:
        """Answer the next ``times`` matching requests with a proper 429.

        ``path_regex`` is searched in the path relative to ``/api/v10``. With
        ``per_path=n`` each distinct path is refused at most ``n`` times (a storm in
        which every reply or DM is rate limited ``n`` times, then delivered).
        """
        rule = RateLimitRule(
            method.upper(),
            re.compile(path_regex),
            times,
            per_path=per_path,
            retry_after=retry_after,
            is_global=is_global,
        )
        self.rest.faults.append(rule)
        return rule

    def fail(
        self,
        method: str,
        path_regex: str,
        *,
        status: int = 403,
        code: int = 50007,
        message: str = "Cannot send messages to this user",
        times: int | None = None,
    ) -> FailRule:
        """Answer matching requests with a Discord JSON error (default: DMs closed)."""
        rule = FailRule(
            method.upper(), re.compile(path_regex), times, status=status, code=code, message=message
        )
        self.rest.faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Remove all injected faults."""
        self.rest.faults.clear()

    @property
    def interaction_timeout(self) -> float | None:
        """Callback deadline in seconds (Discord: 3); ``None`` disables the check."""
        return self.rest.interaction_timeout

    @interaction_timeout.setter
    def interaction_timeout(self, value: float | None) -> None:
        self.rest.interaction_timeout = value

    @property
    def enforce_deadline(self) -> bool:
        """Refuse late callbacks as Discord does (default: accept and mark them ``late``)."""
        return self.rest.enforce_deadline

    @enforce_deadline.setter
    def enforce_deadline(self, value: bool) -> None:
        self.rest.enforce_deadline = value

    def late_callbacks(self) -> list[Interaction]:
        """Interactions acknowledged after the deadline, oldest first (for benches)."""
        return [
            inter
            for inter in self.interactions.values()
            if inter.callback is not None and inter.callback.late
        ]

    # ------------------------------------------------------------------ gateway
    def allow_command(self, guild: FakeGuild, command: str, user: FakeUser) -> None:
        """Let ``user`` run ``/command`` although they lack its default permissions,
        as a server admin can in Server Settings → Integrations."""
        self.command_overrides.add((guild.id, command, user.id))

    async def dispatch(self, event: str, data: JSON) -> int:
        """Send a raw gateway DISPATCH event (e.g. ``"GUILD_MEMBER_ADD"``); returns its seq."""
        return await self.gateway.dispatch(event, data)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT and close the socket (the client should RESUME)."""
        await self.gateway.request_reconnect()

    async def drop_connection(self) -> None:
        """Abort the gateway TCP connection abruptly (the client should RESUME)."""
        await self.gateway.drop_connection()

    async def wait_for_gateway_op(
        self, op: int, *, count: int = 1, timeout: float = 5.0
    ) -> GatewayFrame:
        """Wait until the client has sent ``count`` frames with opcode ``op`` in total."""

        def check() -> GatewayFrame | None:
            frames = self.gateway.ops_received(op)
            return frames[count - 1] if len(frames) >= count else None

        return await self.wait_until(check, timeout=timeout, what=f"{count}x gateway op {op}")

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until a client holds an identified/resumed gateway connection."""
        await self.wait_until(
            lambda: self.gateway.connected, timeout=timeout, what="a gateway connection"
        )

    # ------------------------------------------------------------------ driver
    async def slash(
        self,
        user: FakeUser,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        guild: FakeGuild | None = None,
        channel: FakeChannel | None = None,
        locale: str = "en-US",
    ) -> Interaction:
        """Run a slash command as ``user`` and return the interaction handle.

        ``command`` is the full path (``"quiz start"``, ``"quiz remind set"``,
        ``"leaderboard"``); option types come from the registered command.
        Defaults to the first guild's first text channel; pass
        ``channel=fake.dm_channel(user)`` for a DM. Raises ``CommandNotFound``
        for unregistered commands/subcommands/options.
        """
        return await self.driver.slash(
            user, command, options, guild=guild, channel=channel, locale=locale
        )

    async def autocomplete(
        self,
        user: FakeUser,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str,
        guild: FakeGuild | None = None,
        channel: FakeChannel | None = None,
        timeout: float = 5.0,
    ) -> list[JSON]:
        """Type into option ``focused`` and return the choices the bot suggested."""
        return await self.driver.autocomplete(
            user, command, options, focused=focused, guild=guild, channel=channel, timeout=timeout
        )

    async def click(
        self,
        user: FakeUser,
        message: FakeMessage | int,
        custom_id: str,
        *,
        as_of: int | None = None,
        forged: bool = False,
    ) -> Interaction:
        """Click the button ``custom_id`` on (the current state of) ``message``.

        With ``as_of``, click it as shown in ``message.versions[as_of]`` (a stale client).
        With ``forged``, click a ``custom_id`` the message does not have (a tampered client).
        """
        return await self.driver.component(user, message, custom_id, as_of=as_of, forged=forged)

    async def select(
        self, user: FakeUser, message: FakeMessage | int, custom_id: str, values: list[str]
    ) -> Interaction:
        """Pick ``values`` in the select menu ``custom_id`` on ``message``."""
        return await self.driver.component(user, message, custom_id, values=values)

    async def submit_modal(
        self,
        user: FakeUser,
        modal_custom_id: str,
        values: Mapping[str, str],
        *,
        message: FakeMessage | int | None = None,
        forged_custom_id: str | None = None,
    ) -> Interaction:
        """Submit the modal the bot opened with ``modal_custom_id`` (text inputs by custom_id).

        ``forged_custom_id`` sends that custom id instead (a tampered client).
        """
        return await self.driver.submit_modal(
            user, modal_custom_id, values, message=message, forged_custom_id=forged_custom_id
        )

    async def send_user_message(
        self, user: FakeUser, channel: FakeChannel, content: str
    ) -> FakeMessage:
        """A user posts a message (MESSAGE_CREATE dispatch)."""
        return await self.driver.send_user_message(user, channel, content)


@contextlib.asynccontextmanager
async def running_fake(**kwargs: Any) -> AsyncIterator[FakeDiscord]:
    """``async with running_fake() as fake:`` — a started FakeDiscord, stopped on exit."""
    fake = FakeDiscord(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
