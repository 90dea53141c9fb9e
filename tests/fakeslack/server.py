"""FakeSlack: the aiohttp server tying the state, Web API, Socket Mode and the user driver."""

from __future__ import annotations

import contextlib
import copy
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any

from aiohttp import web

from .checks import view_errors
from .driver import Action, Driver
from .models import JSON, FakeChannel, FakeMessage, FakeUser, FakeView, new_id
from .socketmode import Envelope, SocketMode
from .state import SlackState
from .webapi import Fault, SlackError, WebApi


class FakeSlack(SlackState):
    """A fake Slack workspace on 127.0.0.1 for a real slack-bolt app in Socket Mode.

    Point the app at it with ``AsyncWebClient(token=fake.bot_token,
    base_url=fake.api_base)`` and ``AsyncSocketModeHandler(app, fake.app_token)``
    (see :func:`~tests.fakeslack.harness.running_app`).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api = WebApi(self)
        self.socket = SocketMode(self)
        self.driver = Driver(self)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and serve."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self.api.handle)
        app.router.add_get("/link/", self.socket.handle)
        app.router.add_get("/link", self.socket.handle)
        app.router.add_post("/upload/v1/{file_id}", self.api.handle_upload)
        app.router.add_post("/response/{key}/{team}/{n}", self.api.handle_response_url)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close the websockets and stop serving."""
        await self.socket.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._port is None:
            raise RuntimeError("FakeSlack is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """The ``base_url`` for slack-sdk's clients (``SLACK_API_BASE``), with its slash."""
        return f"{self.base_url}/api/"

    @property
    def ws_base(self) -> str:
        """``ws://127.0.0.1:PORT`` (what apps.connections.open hands out)."""
        return f"ws://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ faults
    def rate_limit(
        self,
        method: str,
        *,
        times: int | None = 1,
        retry_after: int = 1,
        when: Callable[[JSON], bool] | None = None,
    ) -> Fault:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any) with HTTP 429
        ``ratelimited`` and ``Retry-After: retry_after`` (whole seconds, as Slack).
        ``when`` picks the calls by their parameters (e.g. one channel)."""
        fault = Fault(method, times, "ratelimited", retry_after, when=when)
        self.api.faults.append(fault)
        return fault

    def fail(
        self,
        method: str,
        error: str,
        *,
        times: int | None = None,
        when: Callable[[JSON], bool] | None = None,
    ) -> Fault:
        """Answer calls of ``method`` with ``{"ok": false, "error": error}`` (HTTP 200, as
        Slack); ``when`` picks the calls by their parameters."""
        fault = Fault(method, times, error, when=when)
        self.api.faults.append(fault)
        return fault

    def limit_channel_posts(self, interval: float | None = 1.0) -> None:
        """Refuse a chat.postMessage that comes less than ``interval`` seconds (fake's clock)
        after the previous one in the same channel: HTTP 429 ``ratelimited`` with
        ``Retry-After`` (Slack allows about one message a second per channel).
        ``None`` lifts the limit."""
        self.post_interval = interval
        self.last_post_at.clear()

    def clear_faults(self) -> None:
        """Remove the injected faults."""
        self.api.faults.clear()

    # ------------------------------------------------------------------ socket mode
    @property
    def connections(self) -> int:
        """How many websockets the app has opened so far."""
        return len(self.socket.connections)

    @property
    def connected(self) -> bool:
        """True while the app holds an open websocket."""
        return bool(self.socket.open_connections)

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until the app opened its ``count``-th websocket and holds one open."""
        await self.wait_until(
            lambda: len(self.socket.connections) >= count and self.connected,
            timeout=timeout,
            what=f"websocket #{count}",
        )

    async def disconnect(self, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Send Socket Mode's ``disconnect`` and wait for the app's new connection."""
        count = len(self.socket.connections)
        await self.socket.disconnect(reason)
        await self.wait_connected(count + 1, timeout=timeout)

    async def drop_connections(self) -> None:
        """Close every websocket from the server side (the app should reconnect)."""
        await self.socket.close_all(code=1011)

    async def send_envelope(self, envelope: Envelope) -> None:
        """Send a hand-built envelope (the driver methods build the usual ones)."""
        await self.socket.send(envelope)

    def unacked(self) -> list[Envelope]:
        """Envelopes sent and not (yet) acknowledged."""
        return [e for e in self.envelopes.values() if not e.acked]

    def ack_times(self) -> list[float]:
        """Envelope → ack seconds of every acked envelope, on the fake's clock."""
        return [e.ack_seconds for e in self.envelopes.values() if e.ack_seconds is not None]

    # ------------------------------------------------------------------ views
    def new_view(
        self,
        user: FakeUser,
        kind: str,
        view: JSON,
        *,
        trigger_id: str | None = None,
        root: FakeView | None = None,
    ) -> FakeView:
        """Record a view the app opened or published."""
        created = FakeView(
            new_id("V"),
            user,
            kind,
            copy.deepcopy(view),
            secrets.token_hex(8),
            root_id=root.id if root else None,
            trigger_id=trigger_id,
        )
        created.versions.append(copy.deepcopy(view))
        self.views[created.id] = created
        self.notify()
        return created

    def change_view(self, target: FakeView, view: JSON) -> None:
        """Replace a view's content (views.update, views.publish, response_action update)."""
        target.view = copy.deepcopy(view)
        target.versions.append(copy.deepcopy(view))
        target.hash = secrets.token_hex(8)
        self.notify()

    def view_payload(self, view: FakeView) -> JSON:
        """A view as Slack shows it to the app."""
        return view.to_payload(self.team_id, self.app_id, self.bot_id)

    # ------------------------------------------------------------------ acks and responses
    def on_ack(self, envelope: Envelope) -> None:
        """Show what an ack carries, as Slack does; what Slack would refuse (and show the
        user an error for) goes to :attr:`ack_problems`."""
        payload = envelope.ack_payload
        user: FakeUser | None = envelope.context.get("user")
        if envelope.type == "slash_commands" and payload and user is not None:
            if payload.get("text") or payload.get("blocks"):
                try:
                    self.apply_response(envelope, payload, via="ack")
                except SlackError as error:
                    self.ack_problems.append(f"slash command ack refused: {error.code}")
        elif envelope.payload.get("type") == "view_submission" and user is not None:
            view: FakeView | None = envelope.context.get("view")
            if view is not None:
                self.apply_submission_ack(user, view, payload or {})
        self.notify()

    def apply_submission_ack(self, user: FakeUser, view: FakeView, payload: JSON) -> None:
        """A view_submission's ack: errors, update, push, clear, or close the modal."""
        action = payload.get("response_action")
        view.errors = {}
        if action is None:
            view.closed = True
            return
        if action == "errors":
            errors = payload.get("errors")
            inputs = {block_id for block_id, _ in view.inputs()}
            if not isinstance(errors, dict) or not errors or not set(errors) <= inputs:
                self.ack_problems.append(
                    f"response_action errors must name input block_ids {sorted(inputs)},"
                    f" got {errors!r}"
                )
                return
            view.errors = {str(k): str(v) for k, v in errors.items()}
        elif action in ("update", "push"):
            shown = payload.get("view")
            problems = view_errors(shown) if isinstance(shown, dict) else ["no view"]
            if problems:
                self.ack_problems.append(f"response_action {action} refused: {problems}")
                return
            assert isinstance(shown, dict)  # (recorded for the mention check with the ack)
            if action == "update":
                self.change_view(view, shown)
            else:
                self.new_view(user, "modal", shown, root=view)
        elif action == "clear":
            for modal in self.open_modals(user):
                modal.closed = True
        else:
            self.ack_problems.append(f"unknown response_action {action!r}")

    def late_acks(self, limit: float = 3.0) -> list[Envelope]:
        """Envelopes acked more than ``limit`` seconds after they were sent (fake's clock;
        Slack shows the user an error then). For benches and reports, not assertions."""
        return [e for e in self.envelopes.values() if (e.ack_seconds or 0.0) > limit]

    def apply_response(self, envelope: Envelope, body: JSON, *, via: str) -> FakeMessage | None:
        """A response_url POST (or an ack's message) becomes a message, or replaces or
        deletes the original one. Raises SlackError for invalid content."""
        user: FakeUser = envelope.context["user"]
        channel: FakeChannel = envelope.context.get("channel") or self.general
        original: FakeMessage | None = envelope.context.get("message")
        if via == "response_url":
            envelope.responses.append(body)
        if body.get("delete_original") in (True, "true"):
            target = original or (envelope.messages[-1] if envelope.messages else None)
            if target is not None:
                target.deleted = True
            self.notify()
            return None
        text, blocks = WebApi.content(body)
        if via != "ack":  # an ack's payload is recorded as it arrives (socketmode)
            self.record_sent(via, body)
        if body.get("replace_original") in (True, "true"):
            target = original or (envelope.messages[-1] if envelope.messages else None)
            if target is not None and not target.deleted:
                target.set(text, blocks, via)
                if target not in envelope.messages:
                    envelope.messages.append(target)
                self.notify()
                return target
        in_channel = body.get("response_type") == "in_channel"
        message = self.post(
            channel,
            text,
            blocks,
            source=via,
            ephemeral_to=None if in_channel else user,
            response_type="in_channel" if in_channel else "ephemeral",
        )
        envelope.messages.append(message)
        return message

    # ------------------------------------------------------------------ driver
    async def command(
        self,
        user: FakeUser,
        command: str,
        text: str = "",
        *,
        channel: FakeChannel | None = None,
        typed: bool = False,
        wait_ack: bool = True,
        timeout: float = 5.0,
    ) -> Action:
        """``user`` runs ``/command text`` in ``channel`` (default #general); waits for the ack.

        ``action.ack`` is the ack's payload, ``await action.wait_reply()`` the first
        message shown for it (ack text, response_url post or ephemeral). ``typed=True``:
        ``text`` is what the user typed, escaped as Slack does for ``should_escape``
        (``#general`` → ``<#C…|general>``, ``<`` → ``&lt;``).
        """
        return await self.driver.command(
            user, command, text, channel=channel, typed=typed, wait_ack=wait_ack, timeout=timeout
        )

    async def click(
        self,
        user: FakeUser,
        target: FakeMessage | FakeView,
        button: str,
        *,
        as_of: int | None = None,
        forged: bool = False,
        forged_value: str | None = None,
        wait_ack: bool = True,
        timeout: float = 5.0,
    ) -> Action:
        """``user`` clicks ``button`` (action_id or text) on a message or view; waits for the
        ack. ``await action.wait_update()`` waits for the message to change."""
        return await self.driver.click(
            user,
            target,
            button,
            as_of=as_of,
            forged=forged,
            forged_value=forged_value,
            wait_ack=wait_ack,
            timeout=timeout,
        )

    async def submit_view(
        self,
        user: FakeUser,
        view: FakeView | None = None,
        values: Mapping[str, str] | None = None,
        *,
        forged_callback_id: str | None = None,
        wait_ack: bool = True,
        timeout: float = 5.0,
    ) -> Action:
        """``user`` submits ``view`` (default: their top modal) with ``values`` by action_id."""
        return await self.driver.submit_view(
            user,
            view,
            values,
            forged_callback_id=forged_callback_id,
            wait_ack=wait_ack,
            timeout=timeout,
        )

    async def close_view(self, user: FakeUser, view: FakeView | None = None) -> Action | None:
        """``user`` cancels ``view`` (default: their top modal)."""
        return await self.driver.close_view(user, view)

    async def open_home(self, user: FakeUser, *, wait_ack: bool = True) -> Action:
        """``user`` opens the Home tab (``app_home_opened``); ``await action.wait_home()``."""
        return await self.driver.open_home(user, wait_ack=wait_ack)

    async def event(self, user: FakeUser, event: JSON, *, wait_ack: bool = True) -> Action:
        """Send an Events API ``event`` (the inner object) on behalf of ``user``."""
        return await self.driver.event(user, event, wait_ack=wait_ack)

    async def wait_dm(self, user: FakeUser, count: int = 1, timeout: float = 5.0) -> FakeMessage:
        """Wait until ``user``'s DM with the app holds ``count`` messages; return the last."""

        def check() -> FakeMessage | None:
            messages = self.dm_messages(user)
            return messages[count - 1] if len(messages) >= count else None

        return await self.wait_until(check, timeout=timeout, what=f"{count} DM messages")


@contextlib.asynccontextmanager
async def running_fake(**kwargs: Any) -> AsyncIterator[FakeSlack]:
    """``async with running_fake() as slack:`` a started FakeSlack, stopped on exit."""
    fake = FakeSlack(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
