"""REST API routes of the fake (the subset discord.py uses for a slash-command bot).

A single catch-all aiohttp handler parses the body (JSON or multipart), records
the request, applies injected faults, checks auth and dispatches to a small
regex route table. Unknown routes get a JSON 404 and are flagged in the log.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .faults import FaultRule
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    PING,
    PONG,
    UPDATE_MESSAGE,
    Interaction,
    InteractionCallback,
)
from .models import FLAG_EPHEMERAL, FLAG_LOADING, JSON, FakeMessage, RecordedRequest
from .state import DiscordState, UploadedFile
from .validation import ApiError, validate_choices, validate_modal

if TYPE_CHECKING:
    from .gateway import Gateway

API_PREFIX = "/api/v10"

UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MESSAGE = 10008
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060
CANNOT_DM = 50007


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON response with exactly ``Content-Type: application/json``.

    discord.py's ``json_or_text`` compares the header literally, and aiohttp's
    ``json_response`` would append ``; charset=utf-8`` — so set it by hand.
    """
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


@dataclass
class ParsedRequest:
    """A request with its body decoded."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    authorized: bool


Handler = Callable[..., Awaitable[web.Response]]


@dataclass
class Route:
    """One route: method, compiled path regex, handler, whether the bot token is required."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


class RestApi:
    """Route table and handlers; holds the fault rules."""

    def __init__(self, state: DiscordState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway
        self.faults: list[FaultRule] = []
        #: Deadline for the initial interaction callback (Discord: 3 s); None disables.
        self.interaction_timeout: float | None = 3.0
        #: True: a callback after the deadline is refused (10062), as Discord does.
        #: False: it is accepted and marked ``late``, so that a loaded machine makes the
        #: suite slower but never changes its verdicts (benches report the late ones).
        self.enforce_deadline = False
        self.gateway_url = ""
        self.routes: list[Route] = []
        snow = r"(?P<{}>\d+)"
        tok = r"(?P<token>[^/]+)"
        app = snow.format("app_id")
        add = self._add
        add("GET", r"/gateway", self.get_gateway)
        add("GET", r"/gateway/bot", self.get_gateway_bot)
        add("GET", r"/users/@me", self.get_me)
        add("GET", rf"/users/{snow.format('user_id')}", self.get_user)
        add("POST", r"/users/@me/channels", self.create_dm)
        add("GET", r"/oauth2/applications/@me", self.get_application)
        add("GET", rf"/applications/{app}/commands", self.get_commands)
        add("PUT", rf"/applications/{app}/commands", self.put_commands)
        guild_cmds = rf"/applications/{app}/guilds/{snow.format('guild_id')}/commands"
        add("GET", guild_cmds, self.get_commands)
        add("PUT", guild_cmds, self.put_commands)
        add(
            "POST",
            rf"/interactions/{snow.format('interaction_id')}/{tok}/callback",
            self.interaction_callback,
            auth=False,
        )
        add("POST", rf"/webhooks/{app}/{tok}", self.create_followup, auth=False)
        hook_msg = rf"/webhooks/{app}/{tok}/messages/(?P<message_id>@original|\d+)"
        add("GET", hook_msg, self.get_webhook_message, auth=False)
        add("PATCH", hook_msg, self.edit_webhook_message, auth=False)
        add("DELETE", hook_msg, self.delete_webhook_message, auth=False)
        chan = rf"/channels/{snow.format('channel_id')}"
        add("GET", chan, self.get_channel)
        add("POST", rf"{chan}/typing", self.typing)
        add("POST", rf"{chan}/messages", self.create_message)
        chan_msg = rf"{chan}/messages/{snow.format('message_id')}"
        add("GET", chan_msg, self.get_message)
        add("PATCH", chan_msg, self.edit_message)
        add("DELETE", chan_msg, self.delete_message)
        guild = rf"/guilds/{snow.format('guild_id')}"
        add("GET", guild, self.get_guild)
        add("GET", rf"{guild}/members/{snow.format('user_id')}", self.get_member)

    def _add(self, method: str, regex: str, handler: Handler, *, auth: bool = True) -> None:
        self.routes.append(Route(method, re.compile(f"^{regex}$"), handler, auth))

    # ------------------------------------------------------------------ plumbing
    async def _parse(self, request: web.Request, path: str) -> ParsedRequest:
        files: list[UploadedFile] = []
        body: Any = None
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):  # nested multipart: not used
                    continue
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    data = await part.read(decode=False)
                    files.append(
                        (
                            part.name or "",
                            part.filename or "",
                            bytes(data),
                            part.headers.get("Content-Type"),
                        )
                    )
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                body = json.loads(raw)
        auth = request.headers.get("Authorization")
        return ParsedRequest(
            request.method,
            path,
            dict(request.query),
            body,
            files,
            authorized=auth == f"Bot {self.state.token}",
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Catch-all handler for ``/api/v10/...``."""
        path = request.path[len(API_PREFIX) :] or "/"
        parsed = await self._parse(request, path)
        record = RecordedRequest(
            parsed.method,
            path,
            parsed.query,
            parsed.json,
            [(n, f, d) for n, f, d, _ in parsed.files],
            time.monotonic(),
        )
        self.state.record(record)
        response = await self._respond(parsed, record)
        record.status = response.status
        self.state.notify()
        return response

    async def _respond(self, parsed: ParsedRequest, record: RecordedRequest) -> web.Response:
        for rule in self.faults:
            if rule.matches(parsed.method, parsed.path):
                rule.consume(parsed.path)
                return rule.build_response()
        for route in self.routes:
            match = route.pattern.match(parsed.path)
            if match is None or route.method != parsed.method:
                continue
            if route.auth and not parsed.authorized:
                return json_response({"message": "401: Unauthorized", "code": 0}, 401)
            try:
                return await route.handler(parsed, **match.groupdict())
            except ApiError as exc:
                return json_response(exc.body(), exc.status)
        record.unknown = True
        return json_response(
            {
                "message": f"404: Not Found (fakediscord has no route for "
                f"{parsed.method} {parsed.path})",
                "code": 0,
            },
            404,
        )

    # ------------------------------------------------------------------ helpers
    def _channel_or_404(self, channel_id: str) -> Any:
        channel = self.state.channels.get(int(channel_id))
        if channel is None:
            raise ApiError(404, UNKNOWN_CHANNEL, "Unknown Channel")
        return channel

    def _message_or_404(self, message_id: int | str, channel_id: int | None = None) -> FakeMessage:
        msg = self.state.messages.get(int(message_id))
        if msg is None or msg.deleted or (channel_id is not None and msg.channel_id != channel_id):
            raise ApiError(404, UNKNOWN_MESSAGE, "Unknown Message")
        return msg

    def _interaction_by_token(self, app_id: str, token: str) -> Interaction:
        if int(app_id) != self.state.application_id:
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        for inter in self.state.interactions.values():
            if inter.token == token:
                if inter.callback is None:
                    # Discord only allows webhook calls after the initial response.
                    raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
                return inter
        raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")

    def _webhook_message(self, inter: Interaction, message_id: str) -> FakeMessage:
        if message_id == "@original":
            if inter.original_message_id is None:
                raise ApiError(404, UNKNOWN_MESSAGE, "Unknown Message")
            return self._message_or_404(inter.original_message_id)
        mid = int(message_id)
        if mid != inter.original_message_id and mid not in inter.followup_ids:
            raise ApiError(404, UNKNOWN_MESSAGE, "Unknown Message")
        return self._message_or_404(mid)

    # ------------------------------------------------------------------ misc routes
    async def get_gateway(self, req: ParsedRequest) -> web.Response:
        """GET /gateway."""
        return json_response({"url": self.gateway_url})

    async def get_gateway_bot(self, req: ParsedRequest) -> web.Response:
        """GET /gateway/bot: the URL and the recommended shard count (``recommended_shards``)."""
        return json_response(
            {
                "url": self.gateway_url,
                "shards": self.state.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def get_me(self, req: ParsedRequest) -> web.Response:
        """GET /users/@me (discord.py's static_login)."""
        me = self.state.bot_user.to_payload()
        me.update({"verified": True, "mfa_enabled": False, "locale": "en-US"})
        return json_response(me)

    async def get_user(self, req: ParsedRequest, user_id: str) -> web.Response:
        """GET /users/{id}."""
        user = self.state.users.get(int(user_id))
        if user is None:
            raise ApiError(404, UNKNOWN_USER, "Unknown User")
        return json_response(user.to_payload())

    async def create_dm(self, req: ParsedRequest) -> web.Response:
        """POST /users/@me/channels → the DM channel with ``recipient_id``."""
        user = self.state.users.get(int((req.json or {}).get("recipient_id", 0)))
        if user is None:
            raise ApiError(404, UNKNOWN_USER, "Unknown User")
        return json_response(self.state.dm_channel(user).to_payload())

    async def get_application(self, req: ParsedRequest) -> web.Response:
        """GET /oauth2/applications/@me (client.application_info()): the owner, or a team."""
        state = self.state
        team: dict[str, Any] | None = None
        if state.team_members:
            team_id = str(state.application_id + 1)
            team = {
                "id": team_id,
                "name": "Recall team",
                "icon": None,
                "owner_user_id": str(state.owner_user.id),
                "members": [
                    {
                        "membership_state": 2,  # accepted
                        "permissions": ["*"],
                        "team_id": team_id,
                        "user": user.to_payload(),
                        "role": role,
                    }
                    for user, role in state.team_members
                ],
            }
        return json_response(
            {
                "id": str(state.application_id),
                "name": state.bot_user.username,
                "icon": None,
                "description": "Fake application served by tests.fakediscord",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": state.owner_user.to_payload(),
                "team": team,
                "bot": state.bot_user.to_payload(),
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(state.guilds),
            }
        )

    async def get_commands(
        self, req: ParsedRequest, app_id: str, guild_id: str | None = None
    ) -> web.Response:
        """GET global or guild commands."""
        gid = int(guild_id) if guild_id else None
        return json_response([c.to_payload() for c in self.state.commands_for(gid)])

    async def put_commands(
        self, req: ParsedRequest, app_id: str, guild_id: str | None = None
    ) -> web.Response:
        """PUT (bulk overwrite) global or guild commands."""
        if int(app_id) != self.state.application_id:
            raise ApiError(403, 20012, "You are not authorized to perform this action")
        gid = int(guild_id) if guild_id else None
        if gid is not None and gid not in self.state.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return json_response(self.state.overwrite_commands(gid, list(req.json or [])))

    async def get_channel(self, req: ParsedRequest, channel_id: str) -> web.Response:
        """GET /channels/{id}."""
        return json_response(self._channel_or_404(channel_id).to_payload())

    async def typing(self, req: ParsedRequest, channel_id: str) -> web.Response:
        """POST /channels/{id}/typing."""
        self._channel_or_404(channel_id)
        return web.Response(status=204)

    async def get_guild(self, req: ParsedRequest, guild_id: str) -> web.Response:
        """GET /guilds/{id}."""
        guild = self.state.guilds.get(int(guild_id))
        if guild is None:
            raise ApiError(404, UNKNOWN_GUILD, "Unknown Guild")
        return json_response(guild.to_payload())

    async def get_member(self, req: ParsedRequest, guild_id: str, user_id: str) -> web.Response:
        """GET /guilds/{id}/members/{user}."""
        guild = self.state.guilds.get(int(guild_id))
        if guild is None:
            raise ApiError(404, UNKNOWN_GUILD, "Unknown Guild")
        member = guild.members.get(int(user_id))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(member.to_payload())

    # ------------------------------------------------------------------ channel messages
    async def create_message(self, req: ParsedRequest, channel_id: str) -> web.Response:
        """POST /channels/{id}/messages."""
        channel = self._channel_or_404(channel_id)
        if channel.is_dm and channel.recipient is not None and channel.recipient.bot:
            raise ApiError(403, CANNOT_DM, "Cannot send messages to this user")
        payload = dict(req.json or {})
        self.state.record_message_payload(f"POST {req.path}", payload)
        msg = self.state.create_message(
            channel_id=channel.id,
            author=self.state.bot_user,
            payload=payload,
            files=req.files,
            source=f"POST {req.path}",
        )
        return json_response(msg.to_payload())

    async def get_message(
        self, req: ParsedRequest, channel_id: str, message_id: str
    ) -> web.Response:
        """GET /channels/{id}/messages/{id}."""
        return json_response(self._message_or_404(message_id, int(channel_id)).to_payload())

    async def edit_message(
        self, req: ParsedRequest, channel_id: str, message_id: str
    ) -> web.Response:
        """PATCH /channels/{id}/messages/{id} (only the bot's own messages)."""
        msg = self._message_or_404(message_id, int(channel_id))
        if msg.author.id != self.state.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        payload = dict(req.json or {})
        self.state.record_message_payload(f"PATCH {req.path}", payload)
        self.state.edit_message(msg, payload, req.files, f"PATCH {req.path}")
        return json_response(msg.to_payload())

    async def delete_message(
        self, req: ParsedRequest, channel_id: str, message_id: str
    ) -> web.Response:
        """DELETE /channels/{id}/messages/{id}."""
        self.state.delete_message(self._message_or_404(message_id, int(channel_id)))
        return web.Response(status=204)

    # ------------------------------------------------------------------ interactions
    async def interaction_callback(
        self, req: ParsedRequest, interaction_id: str, token: str
    ) -> web.Response:
        """POST /interactions/{id}/{token}/callback — the initial response."""
        inter = self.state.interactions.get(int(interaction_id))
        if inter is None or inter.token != token:
            raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        inter.callback_attempts += 1
        if inter.callback is not None:
            raise ApiError(400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
        elapsed = time.monotonic() - inter.dispatched_at
        late = self.interaction_timeout is not None and elapsed > self.interaction_timeout
        if late and self.enforce_deadline:
            # Discord invalidates interaction tokens not answered within 3 s.
            raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        body = dict(req.json or {})
        ctype = int(body.get("type", 0))
        data = dict(body.get("data") or {})
        message = self._apply_callback(inter, ctype, data, req)
        inter.callback = InteractionCallback(ctype, data, req.files, elapsed, late=late)
        inter.mark_responded()
        self.state.notify()
        interaction_part: JSON = {"id": str(inter.id), "type": inter.type}
        resource: JSON = {"type": ctype}
        if message is not None:
            interaction_part.update(
                {
                    "response_message_id": str(message.id),
                    "response_message_loading": message.loading,
                    "response_message_ephemeral": message.ephemeral,
                }
            )
            resource["message"] = message.to_payload(serialized_now=True)
        if req.query.get("with_response") in ("1", "true", "True"):
            return json_response({"interaction": interaction_part, "resource": resource})
        return web.Response(status=204)

    def _apply_callback(
        self, inter: Interaction, ctype: int, data: JSON, req: ParsedRequest
    ) -> FakeMessage | None:
        """Validate a callback against the interaction type and apply its effect."""
        allowed = {
            PING: {PONG},
            APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
            MESSAGE_COMPONENT: {
                CHANNEL_MESSAGE,
                DEFERRED_CHANNEL_MESSAGE,
                DEFERRED_UPDATE_MESSAGE,
                UPDATE_MESSAGE,
                MODAL,
            },
            AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
            MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE},
        }[inter.type]
        if inter.type == MODAL_SUBMIT and inter.source_message_id is not None:
            allowed = allowed | {DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE}
        if ctype not in allowed:
            raise ApiError(400, 50035, f"Invalid interaction response type {ctype}")
        source = f"POST {req.path} type={ctype}"
        state = self.state
        if ctype in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            state.record_message_payload(source, data)
        if ctype == CHANNEL_MESSAGE:
            msg = state.create_message(
                channel_id=inter.channel.id,
                author=state.bot_user,
                payload=data,
                files=req.files,
                source=source,
                webhook_id=state.application_id,
                interaction=inter,
            )
            inter.original_message_id = msg.id
            return msg
        if ctype == DEFERRED_CHANNEL_MESSAGE:
            ephemeral = int(data.get("flags") or 0) & FLAG_EPHEMERAL
            msg = state.create_message(
                channel_id=inter.channel.id,
                author=state.bot_user,
                payload={},
                files=[],
                source=source,
                webhook_id=state.application_id,
                interaction=inter,
                extra_flags=FLAG_LOADING | ephemeral,
            )
            inter.original_message_id = msg.id
            return msg
        if ctype in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            assert inter.source_message_id is not None
            msg = self._message_or_404(inter.source_message_id)
            inter.original_message_id = msg.id
            if ctype == UPDATE_MESSAGE:
                state.edit_message(msg, data, req.files, source)
            return msg
        if ctype == AUTOCOMPLETE_RESULT:
            validate_choices(data)
        elif ctype == MODAL:
            validate_modal(data)
        return None

    async def create_followup(self, req: ParsedRequest, app_id: str, token: str) -> web.Response:
        """POST /webhooks/{app}/{token} — a followup message.

        Like Discord, the first followup after a type-5 defer replaces the
        "thinking…" placeholder instead of creating a new message.
        """
        inter = self._interaction_by_token(app_id, token)
        payload = dict(req.json or {})
        source = f"POST {req.path}"
        self.state.record_message_payload(source, dict(payload))
        original = inter.message()
        if (
            inter.callback is not None
            and inter.callback.type == DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.loading
        ):
            payload.pop("flags", None)  # ephemerality was fixed by the defer
            msg = self.state.edit_message(original, payload, req.files, source)
            inter.edits_after_callback += 1
        else:
            msg = self.state.create_message(
                channel_id=inter.channel.id,
                author=self.state.bot_user,
                payload=payload,
                files=req.files,
                source=source,
                webhook_id=self.state.application_id,
                interaction=inter,
            )
            inter.followup_ids.append(msg.id)
        self.state.notify()
        if req.query.get("wait") in ("1", "true", "True"):
            return json_response(msg.to_payload())
        return web.Response(status=204)

    async def get_webhook_message(
        self, req: ParsedRequest, app_id: str, token: str, message_id: str
    ) -> web.Response:
        """GET /webhooks/{app}/{token}/messages/{id|@original}."""
        inter = self._interaction_by_token(app_id, token)
        return json_response(self._webhook_message(inter, message_id).to_payload())

    async def edit_webhook_message(
        self, req: ParsedRequest, app_id: str, token: str, message_id: str
    ) -> web.Response:
        """PATCH /webhooks/{app}/{token}/messages/{id|@original}."""
        inter = self._interaction_by_token(app_id, token)
        msg = self._webhook_message(inter, message_id)
        payload = dict(req.json or {})
        self.state.record_message_payload(f"PATCH {req.path}", payload)
        self.state.edit_message(msg, payload, req.files, f"PATCH {req.path}")
        if msg.id == inter.original_message_id:
            inter.edits_after_callback += 1
        self.state.notify()
        return json_response(msg.to_payload())

    async def delete_webhook_message(
        self, req: ParsedRequest, app_id: str, token: str, message_id: str
    ) -> web.Response:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        inter = self._interaction_by_token(app_id, token)
        self.state.delete_message(self._webhook_message(inter, message_id))
        return web.Response(status=204)
