"""The fake gateway (websocket): HELLO, IDENTIFY→READY/GUILD_CREATE, heartbeats, RESUME.

Sharding works as on Discord: a client that IDENTIFYs with ``shard: [id, count]``
gets only the guilds with ``(guild_id >> 22) % count == id`` in its READY and
GUILD_CREATEs, and a dispatch about a guild goes to the connection of its shard
(one without a guild, such as a DM interaction, to shard 0). Several clients (bot
processes) may hold connections at once, one per shard; an unsharded client
covers every guild.

Frames are always sent as uncompressed JSON TEXT frames. discord.py 2.7 asks for
``compress=zlib-stream`` (or ``zstd-stream``) in the URL query, but it only runs
its decompressor on BINARY frames, so plain text frames are accepted as-is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .models import JSON

if TYPE_CHECKING:
    from .state import DiscordState

log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_INVALID_SHARD = 4010


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard Discord sends a guild's events to; events without a guild go to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


def guild_of(event: str, data: JSON) -> int | None:
    """The guild a dispatch is about: ``guild_id``, or ``id`` for the GUILD_* events."""
    raw = data.get("guild_id")
    if raw is None and event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        raw = data.get("id")
    return None if raw is None else int(raw)


@dataclass
class GatewayFrame:
    """A frame received from the client."""

    op: int
    d: Any
    at: float


@dataclass(eq=False)
class GatewaySession:
    """A gateway session (survives reconnects via RESUME)."""

    session_id: str
    seq: int = 0
    #: Every dispatch sent in this session as (seq, frame) — replayed on RESUME.
    history: list[tuple[int, JSON]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    request: web.Request | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: ``(shard_id, shard_count)`` from IDENTIFY; ``None``: an unsharded client.
    shard: tuple[int, int] | None = None

    def covers(self, guild_id: int | None) -> bool:
        """True if Discord sends this session the events of ``guild_id`` (``None``: DMs)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return shard_of(guild_id, count) == shard_id


class Gateway:
    """Gateway endpoint plus server-side controls (dispatch, reconnect, drop)."""

    def __init__(
        self, state: DiscordState, *, resume_url: str = "", heartbeat_interval_ms: int = 41250
    ) -> None:
        self.state = state
        #: Filled in by FakeDiscord.start() once the port is known.
        self.resume_url = resume_url
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, GatewaySession] = {}
        #: The session of the most recent IDENTIFY or RESUME (the one the controls act on).
        self.current: GatewaySession | None = None
        #: Sessions by most recent IDENTIFY/RESUME, newest last: a guild's dispatches
        #: go to the newest one covering its shard (a restarted process replaces the old).
        self._active: list[GatewaySession] = []
        #: Every frame received from clients, in order.
        self.received: list[GatewayFrame] = []
        #: Query strings of every websocket connection (e.g. ``compress``, ``v``).
        self.connections: list[dict[str, str]] = []
        self._sockets: set[web.WebSocketResponse] = set()

    # ------------------------------------------------------------------ inspection
    def ops_received(self, op: int) -> list[GatewayFrame]:
        """Frames with opcode ``op`` received so far."""
        return [f for f in self.received if f.op == op]

    @property
    def connected(self) -> bool:
        """True if the current session has an open websocket."""
        return self.current is not None and self.current.ws is not None

    def session_for(self, guild_id: int | None) -> GatewaySession | None:
        """The session a dispatch about ``guild_id`` goes to (``None``: DMs, shard 0)."""
        for session in reversed(self._active):
            if session.covers(guild_id):
                return session
        return None

    def connected_shards(self) -> set[int | None]:
        """Shard ids with an open connection of their newest session (``None``: unsharded)."""
        return {
            None if s.shard is None else s.shard[0]
            for s in self._active
            if s.ws is not None and self.session_for_shard(s.shard) is s
        }

    def session_for_shard(self, shard: tuple[int, int] | None) -> GatewaySession | None:
        """The newest session that identified as ``shard`` (``None``: unsharded)."""
        for session in reversed(self._active):
            if session.shard == shard:
                return session
        return None

    def sessions_since(self, known: set[str]) -> list[GatewaySession]:
        """Connected sessions whose id is not in ``known`` (``set(gateway.sessions)`` earlier)."""
        return [s for s in self._active if s.session_id not in known and s.ws is not None]

    def _activate(self, session: GatewaySession) -> None:
        if session in self._active:
            self._active.remove(session)
        self._active.append(session)
        self.current = session

    # ------------------------------------------------------------------ sending
    async def _send(self, ws: web.WebSocketResponse, frame: JSON) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(json.dumps(frame))

    async def dispatch(self, event: str, data: JSON, session: GatewaySession | None = None) -> int:
        """Send a DISPATCH (op 0) event to the bot and return its sequence number.

        Without ``session`` it goes to the session of the guild's shard (see
        :meth:`session_for`). If the bot is momentarily disconnected the event is
        kept and replayed when it RESUMEs, exactly like Discord.
        """
        if session is None:
            guild_id = guild_of(event, data)
            session = self.session_for(guild_id)
            if session is None:
                where = "DMs" if guild_id is None else f"guild {guild_id}"
                raise RuntimeError(f"no bot has identified on the fake gateway for {where} yet")
        async with session.lock:
            session.seq += 1
            frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
            session.history.append((session.seq, frame))
            if session.ws is not None:
                await self._send(session.ws, frame)
            return session.seq

    # ------------------------------------------------------------------ controls
    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT and close the socket; the client should RESUME."""
        session = self.current
        if session is None or session.ws is None:
            raise RuntimeError("no connected gateway session")
        ws = session.ws
        await self._send(ws, {"op": OP_RECONNECT, "d": None})
        # discord.py closes by itself on op 7; closing from our side too makes
        # sure the socket goes away even if it does not.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(code=4000, message=b"reconnect requested"), 2)

    async def drop_connection(self) -> None:
        """Abort the TCP connection without a close frame (a network blip)."""
        session = self.current
        if session is None or session.ws is None or session.request is None:
            raise RuntimeError("no connected gateway session")
        transport = session.request.transport
        if transport is not None:
            transport.abort()

    async def close_all(self) -> None:
        """Close every open websocket (used when the fake stops)."""
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1001, message=b"server shutdown"), 1)

    # ------------------------------------------------------------------ handler
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for the websocket endpoint."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.connections.append(dict(request.query))
        session: GatewaySession | None = None
        try:
            await self._send(
                ws, {"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                self.received.append(GatewayFrame(op, frame.get("d"), time.monotonic()))
                self.state.notify()
                if op == OP_HEARTBEAT:
                    await self._send(ws, {"op": OP_HEARTBEAT_ACK, "d": None})
                elif op == OP_IDENTIFY:
                    session = await self._identify(ws, request, frame["d"])
                elif op == OP_RESUME:
                    session = await self._resume(ws, request, frame["d"])
                elif op == OP_REQUEST_MEMBERS and session is not None:
                    await self._members_chunk(session, frame["d"])
                # Presence updates (op 3) and anything else: accepted and ignored.
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                session.request = None
            self.state.notify()
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, request: web.Request, data: JSON
    ) -> GatewaySession | None:
        if data.get("token") != self.state.token:
            await ws.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        try:
            shard = _parse_shard(data.get("shard"))
        except ValueError:
            await ws.close(code=CLOSE_INVALID_SHARD, message=b"Invalid shard.")
            return None
        session = GatewaySession(secrets.token_hex(16), ws=ws, request=request, shard=shard)
        self.sessions[session.session_id] = session
        self._activate(session)
        state = self.state
        guilds = [g for g in state.guilds.values() if session.covers(g.id)]
        ready: JSON = {
            "v": 10,
            "user": {**state.bot_user.to_payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url,
            "application": {"id": str(state.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
        }
        if shard is not None:
            ready["shard"] = list(shard)
        await self.dispatch("READY", ready, session)
        for guild in guilds:
            await self.dispatch("GUILD_CREATE", guild.to_payload(), session)
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, request: web.Request, data: JSON
    ) -> GatewaySession | None:
        session = self.sessions.get(data.get("session_id") or "")
        if session is None or data.get("token") != self.state.token:
            # Not resumable: the client must IDENTIFY again.
            await self._send(ws, {"op": OP_INVALID_SESSION, "d": False})
            return None
        async with session.lock:
            session.ws = ws
            session.request = request
            last = int(data.get("seq") or 0)
            for seq, frame in session.history:
                if seq > last:
                    await self._send(ws, frame)
        self._activate(session)
        await self.dispatch("RESUMED", {}, session)
        return session

    async def _members_chunk(self, session: GatewaySession, data: JSON) -> None:
        guild = self.state.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": [m.to_payload() for m in guild.members.values()],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk, session)


def _parse_shard(raw: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard``: ``(id, count)``, or ``None`` when absent.

    Raises ValueError for what Discord closes with 4010 (Invalid shard).
    """
    if raw is None:
        return None
    if not (
        isinstance(raw, list)
        and len(raw) == 2
        and all(type(n) is int for n in raw)
        and 0 <= raw[0] < raw[1]
    ):
        raise ValueError(f"invalid shard {raw!r}")
    return raw[0], raw[1]
