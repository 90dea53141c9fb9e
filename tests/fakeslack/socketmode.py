"""Socket Mode: the websocket slack-sdk's SocketModeClient connects to, envelopes and acks.

The protocol as Slack speaks it: the client gets a ``wss://`` URL from
``apps.connections.open`` (here a ``ws://127.0.0.1`` one carrying a one-time
ticket), the server says ``hello``, then sends envelopes ``{"envelope_id",
"type", "payload", "accepts_response_payload"}`` which the app acknowledges
with ``{"envelope_id", "payload"?}``. ``{"type": "disconnect"}`` asks the
client to open a new connection (it calls apps.connections.open again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .models import JSON, FakeMessage
from .state import SlackState


@dataclass(eq=False)
class Envelope:
    """One Socket Mode envelope the fake sent, and the app's ack."""

    id: str
    type: str
    payload: JSON
    accepts_response_payload: bool
    #: The fake's clock when it was sent (``None`` until sent).
    sent_at: float | None = None
    #: The ack frame as received (``None`` until acknowledged).
    ack: JSON | None = None
    acked_at: float | None = None
    #: Which connection carried it (1 = first the fake accepted).
    connection: int | None = None
    #: Messages posted or changed through this envelope's response_url or ack payload.
    messages: list[FakeMessage] = field(default_factory=list)
    #: Bodies POSTed to its response_url, in order.
    responses: list[JSON] = field(default_factory=list)
    #: What the driver knows about it: the acting user, channel, clicked message or view.
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def acked(self) -> bool:
        """True once the app acknowledged it."""
        return self.ack is not None

    @property
    def ack_payload(self) -> JSON | None:
        """The ``payload`` of the ack (e.g. an ack(text) or a view_submission's response_action)."""
        if self.ack is None:
            return None
        payload = self.ack.get("payload")
        return payload if isinstance(payload, dict) else None

    @property
    def ack_seconds(self) -> float | None:
        """Time from sending to the ack on the fake's clock (for reports and benches only)."""
        if self.sent_at is None or self.acked_at is None:
            return None
        return self.acked_at - self.sent_at

    def frame(self) -> JSON:
        """The JSON frame as it goes over the websocket."""
        frame: JSON = {
            "envelope_id": self.id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            frame["retry_attempt"] = 0
            frame["retry_reason"] = ""
        return frame


@dataclass(eq=False)
class Connection:
    """One websocket the app holds."""

    number: int
    ws: web.WebSocketResponse
    closed: bool = False
    #: Every frame the app sent over it (acks), decoded.
    received: list[Any] = field(default_factory=list)


class SocketMode:
    """The websocket endpoint (``/link``), tickets, envelope delivery and ack collection."""

    def __init__(self, state: SlackState) -> None:
        self.state = state
        self.tickets: set[str] = set()
        self.connections: list[Connection] = []
        #: Envelopes sent while no connection was open, delivered on the next one.
        self.backlog: list[Envelope] = []
        #: Refuse new websockets (e.g. to test a client that retries).
        self.refuse_connections = False
        #: Deliver each envelope to the next open connection in turn (as Slack spreads
        #: envelopes over an app's connections) instead of to the newest one.
        self.round_robin = False
        self._turn = 0

    def new_ticket(self) -> str:
        """A one-time ticket for the URL apps.connections.open returns."""
        ticket = secrets.token_hex(16)
        self.tickets.add(ticket)
        return ticket

    @property
    def open_connections(self) -> list[Connection]:
        """Connections still open, oldest first."""
        return [c for c in self.connections if not c.closed]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The websocket endpoint: check the ticket, say hello, read acks until closed."""
        ticket = request.query.get("ticket", "")
        if self.refuse_connections or ticket not in self.tickets:
            return web.Response(status=401, text="invalid ticket")
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(len(self.connections) + 1, ws)
        self.connections.append(conn)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self.open_connections),
                    "debug_info": {
                        "host": "applink-fake-1",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.state.app_id},
                }
            )
        )
        self.state.notify()
        backlog, self.backlog = self.backlog, []
        for envelope in backlog:
            await self._send_on(conn, envelope)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            conn.closed = True
            self.state.notify()
        return ws

    def _on_text(self, conn: Connection, data: str) -> None:
        try:
            frame = json.loads(data)
        except ValueError:
            conn.received.append(data)
            self.state.stray_acks.append({"raw": data})
            self.state.notify()
            return
        conn.received.append(frame)
        envelope_id = frame.get("envelope_id") if isinstance(frame, dict) else None
        envelope = self.state.envelopes.get(str(envelope_id))
        if envelope is None or envelope.acked:
            self.state.stray_acks.append(frame if isinstance(frame, dict) else {"frame": frame})
        else:
            envelope.ack = frame
            envelope.acked_at = self.state.clock()
            payload = envelope.ack_payload
            if payload:
                self.state.record_sent(f"ack:{envelope.type}", payload)
            self.state.on_ack(envelope)
        self.state.notify()

    async def _send_on(self, conn: Connection, envelope: Envelope) -> None:
        envelope.connection = conn.number
        envelope.sent_at = self.state.clock()
        await conn.ws.send_str(json.dumps(envelope.frame()))

    async def send(self, envelope: Envelope) -> None:
        """Deliver ``envelope`` on the newest open connection, or the next in turn with
        :attr:`round_robin` (queued if there is none)."""
        self.state.envelopes[envelope.id] = envelope
        conns = self.open_connections
        if not conns:
            self.backlog.append(envelope)
            return
        conn = conns[-1]
        if self.round_robin:
            conn = conns[self._turn % len(conns)]
            self._turn += 1
        try:
            await self._send_on(conn, envelope)
        except ConnectionResetError:
            conn.closed = True
            self.backlog.append(envelope)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Send ``{"type": "disconnect"}`` on every open connection (Slack does before a
        restart of its side); the client opens a new one and closes the old."""
        for conn in self.open_connections:
            await conn.ws.send_str(
                json.dumps(
                    {
                        "type": "disconnect",
                        "reason": reason,
                        "debug_info": {"host": "applink-fake-1"},
                    }
                )
            )

    async def close_all(self, code: int = 1000) -> None:
        """Close every connection from the server side."""
        for conn in self.open_connections:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=code), 2)
            conn.closed = True
        self.state.notify()
