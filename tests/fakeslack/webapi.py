"""The Web API (``/api/<method>``), response_url POSTs and the file upload URL.

Requests are form-encoded, multipart or JSON (slack-sdk uses JSON for chat.* and
form/query parameters for the rest); all three are read. Answers are Slack's:
HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``, and
HTTP 429 ``ratelimited`` with ``Retry-After`` when a fault asks for one.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .checks import MAX_TEXT, block_errors, view_errors
from .models import (
    JSON,
    FakeChannel,
    FakeFile,
    FakeMessage,
    FakeUser,
    FakeView,
    RecordedCall,
    new_id,
)

if TYPE_CHECKING:
    from .server import FakeSlack

#: Parameters that arrive as JSON strings in form-encoded calls.
JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")


class SlackError(Exception):
    """Answer the call with ``{"ok": false, "error": code}`` (plus ``extra``)."""

    def __init__(self, code: str, *, retry_after: int | None = None, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra
        #: For ``ratelimited``: the HTTP 429's ``Retry-After`` (whole seconds).
        self.retry_after = retry_after


@dataclass
class Fault:
    """An injected answer for calls of ``method`` (``"*"``: any method)."""

    method: str
    #: How many more calls to hit; ``None``: all of them.
    remaining: int | None
    #: ``ratelimited`` gives an HTTP 429 with Retry-After; any other code an ok:false.
    error: str = "ratelimited"
    retry_after: int = 1
    hits: int = 0
    #: Only calls whose parameters this accepts (e.g. one channel); ``None``: all.
    when: Callable[[JSON], bool] | None = None

    def matches(self, method: str, params: JSON) -> bool:
        """True if this fault answers this call now."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method not in ("*", method):
            return False
        return self.when is None or bool(self.when(params))

    def consume(self) -> None:
        """Count one use."""
        self.hits += 1
        if self.remaining is not None:
            self.remaining -= 1


Handler = Callable[[JSON], Awaitable[JSON]]


class WebApi:
    """Handlers of the Web API methods the app uses."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.faults: list[Fault] = []
        #: Method → (handler, token kind the method wants: "bot" or "app").
        self.methods: dict[str, tuple[Handler, str]] = {
            "auth.test": (self.auth_test, "any"),
            "apps.connections.open": (self.connections_open, "app"),
            "chat.postMessage": (self.post_message, "bot"),
            "chat.update": (self.update_message, "bot"),
            "chat.postEphemeral": (self.post_ephemeral, "bot"),
            "chat.delete": (self.delete_message, "bot"),
            "conversations.open": (self.conversations_open, "bot"),
            "conversations.info": (self.conversations_info, "bot"),
            "chat.getPermalink": (self.get_permalink, "bot"),
            "views.open": (self.views_open, "bot"),
            "views.push": (self.views_push, "bot"),
            "views.update": (self.views_update, "bot"),
            "views.publish": (self.views_publish, "bot"),
            "users.info": (self.users_info, "bot"),
            "files.getUploadURLExternal": (self.get_upload_url, "bot"),
            "files.completeUploadExternal": (self.complete_upload, "bot"),
        }

    # ------------------------------------------------------------------ plumbing
    @staticmethod
    async def read_params(request: web.Request) -> JSON:
        """Query string plus a JSON, form or multipart body, JSON-string fields decoded."""
        params: JSON = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                params[key] = value if isinstance(value, str) else getattr(value, "file", value)
        for key in JSON_FIELDS:
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    @staticmethod
    def token_of(request: web.Request, params: JSON) -> str | None:
        """The bearer token, else a ``token`` parameter."""
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        token = params.pop("token", None)
        return str(token) if token else None

    def check_token(self, token: str | None, kind: str) -> None:
        """Slack's token errors: not_authed, invalid_auth, token_revoked, not_allowed_token_type."""
        fake = self.fake
        if not token:
            raise SlackError("not_authed")
        if token in fake.revoked:
            raise SlackError("token_revoked")
        if token not in (fake.bot_token, fake.app_token):
            raise SlackError("invalid_auth")
        if kind == "bot" and token != fake.bot_token:
            raise SlackError("not_allowed_token_type")
        if kind == "app" and token != fake.app_token:
            raise SlackError("not_allowed_token_type")

    async def handle(self, request: web.Request) -> web.Response:
        """``POST/GET /api/<method>``."""
        method = request.match_info["method"]
        params = await self.read_params(request)
        token = self.token_of(request, params)
        call = RecordedCall(method, params, token, self.fake.clock())
        self.fake.calls.append(call)
        headers: dict[str, str] = {}
        try:
            fault = next((f for f in self.faults if f.matches(method, params)), None)
            if fault is not None:
                fault.consume()
                retry = fault.retry_after if fault.error == "ratelimited" else None
                raise SlackError(fault.error, retry_after=retry)
            entry = self.methods.get(method)
            if entry is None:
                raise SlackError("unknown_method")
            handler, kind = entry
            self.check_token(token, kind)
            response = await handler(params)
            call.response = {"ok": True, **response}
        except SlackError as error:
            call.response = {"ok": False, "error": error.code, **error.extra}
            if error.retry_after is not None:
                call.status = 429
                headers["Retry-After"] = str(error.retry_after)
        self.fake.notify()
        return web.json_response(call.response, status=call.status, headers=headers)

    # ------------------------------------------------------------------ helpers
    def resolve_channel(self, value: Any) -> FakeChannel:
        """A channel id, or a user id (posting to a user posts in the app's DM with them)."""
        fake = self.fake
        channel_id = str(value or "")
        if channel_id in fake.channels:
            return fake.channels[channel_id]
        if channel_id in fake.users and not fake.users[channel_id].is_bot:
            return fake.dm(fake.users[channel_id])
        raise SlackError("channel_not_found")

    @staticmethod
    def check_writable(channel: FakeChannel) -> None:
        """A deactivated user's DM is archived."""
        if channel.user is not None and channel.user.deleted:
            raise SlackError("is_archived")

    @staticmethod
    def content(params: JSON, *, required: bool = True) -> tuple[str, list[JSON]]:
        """``text`` and ``blocks``, validated as chat.postMessage does."""
        text = str(params.get("text") or "")
        blocks = params.get("blocks") or []
        if required and not text and not blocks:
            raise SlackError("no_text")
        if len(text) > MAX_TEXT:
            raise SlackError("msg_too_long")
        errors = block_errors(blocks)
        if errors:
            raise SlackError(
                "invalid_blocks", errors=errors, response_metadata={"messages": errors}
            )
        return text, copy.deepcopy(blocks)

    def user_param(self, value: Any) -> FakeUser:
        """The user named by a ``user``/``user_id`` parameter."""
        user = self.fake.users.get(str(value or ""))
        if user is None:
            raise SlackError("user_not_found")
        return user

    def message_payload(self, message: FakeMessage) -> JSON:
        """A message object as chat.* return it."""
        return message.to_payload(self.fake.bot_id, self.fake.app_id)

    def view_payload(self, view: FakeView) -> JSON:
        """A view object as views.* return it."""
        fake = self.fake
        return view.to_payload(fake.team_id, fake.app_id, fake.bot_id)

    # ------------------------------------------------------------------ methods
    async def auth_test(self, params: JSON) -> JSON:
        """auth.test: who the token is."""
        fake = self.fake
        return {
            "url": f"https://{fake.team_domain}.slack.com/",
            "team": fake.team_name,
            "user": fake.bot_user.name,
            "team_id": fake.team_id,
            "user_id": fake.bot_user.id,
            "bot_id": fake.bot_id,
            "is_enterprise_install": False,
        }

    async def connections_open(self, params: JSON) -> JSON:
        """apps.connections.open: a one-time websocket URL (``ws://`` on the fake)."""
        ticket = self.fake.socket.new_ticket()
        return {"url": f"{self.fake.ws_base}/link/?ticket={ticket}&app_id={self.fake.app_id}"}

    def check_channel_rate(self, channel: FakeChannel) -> None:
        """Slack's "about one message per second per channel", when the test asked for it
        (:meth:`~.server.FakeSlack.limit_channel_posts`), on the fake's clock."""
        interval = self.fake.post_interval
        if interval is None:
            return
        now = self.fake.clock()
        last = self.fake.last_post_at.get(channel.id)
        if last is not None and now - last < interval:
            raise SlackError("ratelimited", retry_after=max(1, math.ceil(interval)))
        self.fake.last_post_at[channel.id] = now

    async def post_message(self, params: JSON) -> JSON:
        """chat.postMessage."""
        channel = self.resolve_channel(params.get("channel"))
        self.check_writable(channel)
        text, blocks = self.content(params)
        self.check_channel_rate(channel)
        self.fake.record_sent("chat.postMessage", params)
        thread_ts = params.get("thread_ts")
        message = self.fake.post(
            channel,
            text,
            blocks,
            source="chat.postMessage",
            thread_ts=str(thread_ts) if thread_ts else None,
        )
        return {"channel": channel.id, "ts": message.ts, "message": self.message_payload(message)}

    async def update_message(self, params: JSON) -> JSON:
        """chat.update (the app's own, non-ephemeral messages only)."""
        channel = self.resolve_channel(params.get("channel"))
        message = self.fake.find_message(channel.id, str(params.get("ts") or ""))
        if message is None or message.deleted or message.ephemeral:
            raise SlackError("message_not_found")
        if message.user is not self.fake.bot_user:
            raise SlackError("cant_update_message")
        self.check_writable(channel)
        text, blocks = self.content(params, required=False)
        if "blocks" not in params:
            blocks = message.blocks  # chat.update without blocks keeps them
        self.fake.record_sent("chat.update", params)
        message.set(text or message.text, blocks, "chat.update")
        return {
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": self.message_payload(message),
        }

    async def post_ephemeral(self, params: JSON) -> JSON:
        """chat.postEphemeral."""
        channel = self.resolve_channel(params.get("channel"))
        user = self.user_param(params.get("user"))
        if user.deleted:
            raise SlackError("user_not_in_channel")
        if channel.user is not None and channel.user is not user:
            raise SlackError("user_not_in_channel")
        text, blocks = self.content(params)
        self.fake.record_sent("chat.postEphemeral", params)
        message = self.fake.post(
            channel, text, blocks, source="chat.postEphemeral", ephemeral_to=user
        )
        return {"message_ts": message.ts}

    async def delete_message(self, params: JSON) -> JSON:
        """chat.delete."""
        channel = self.resolve_channel(params.get("channel"))
        message = self.fake.find_message(channel.id, str(params.get("ts") or ""))
        if message is None or message.deleted:
            raise SlackError("message_not_found")
        if message.user is not self.fake.bot_user:
            raise SlackError("cant_delete_message")
        message.deleted = True
        return {"channel": channel.id, "ts": message.ts}

    async def conversations_open(self, params: JSON) -> JSON:
        """conversations.open with one user: the app's DM, the same id every time."""
        fake = self.fake
        if params.get("channel"):
            channel = self.resolve_channel(params["channel"])
            return {"channel": {"id": channel.id}, "no_op": True, "already_open": True}
        ids = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not ids:
            raise SlackError("users_list_not_supplied")
        if len(ids) > 1:
            raise SlackError(
                "not_enough_users" if len(ids) > 8 else "method_not_supported_for_channel_type"
            )
        user = fake.users.get(ids[0])
        if user is None:
            raise SlackError("user_not_found")
        if user.is_bot:
            raise SlackError("cannot_dm_bot")
        if user.deleted:
            raise SlackError("user_disabled")
        existed = user.id in fake.dms
        channel = fake.dm(user)
        return {"channel": {"id": channel.id}, "no_op": existed, "already_open": existed}

    async def conversations_info(self, params: JSON) -> JSON:
        """conversations.info: a channel or DM by id."""
        channel_id = str(params.get("channel") or "")
        channel = self.fake.channels.get(channel_id)
        if channel is None:
            raise SlackError("channel_not_found")
        info: JSON = {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_im,
            "is_im": channel.is_im,
            "is_private": channel.is_im,
            "is_archived": bool(channel.user is not None and channel.user.deleted),
            "is_member": True,
        }
        if channel.user is not None:
            info["user"] = channel.user.id
        return {"channel": info}

    async def get_permalink(self, params: JSON) -> JSON:
        """chat.getPermalink: a link to a message (what "find it in your DM" can point at)."""
        channel = self.resolve_channel(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        if self.fake.find_message(channel.id, ts) is None:
            raise SlackError("message_not_found")
        return {
            "channel": channel.id,
            "permalink": f"https://{self.fake.team_domain}.slack.com/archives/{channel.id}/"
            f"p{ts.replace('.', '')}",
        }

    def take_trigger(self, params: JSON) -> FakeUser:
        """Exchange ``trigger_id`` (once) and return the user who triggered it."""
        fake = self.fake
        trigger = str(params.get("trigger_id") or "")
        if trigger in fake.used_triggers:
            raise SlackError("exchanged_trigger_id")
        envelope = fake.triggers.pop(trigger, None)
        if envelope is None:
            raise SlackError("invalid_trigger_id")
        fake.used_triggers.add(trigger)
        ttl = fake.trigger_ttl
        if (
            ttl is not None
            and envelope.sent_at is not None
            and fake.clock() - envelope.sent_at > ttl
        ):
            raise SlackError("expired_trigger_id")
        return fake.users[envelope_user_id(envelope.payload)]

    def view_param(self, params: JSON, kind: str) -> JSON:
        """The ``view`` argument, validated."""
        view = params.get("view")
        if not isinstance(view, dict):
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": ["view is required"]}
            )
        view = copy.deepcopy(view)
        view.setdefault("type", kind)
        errors = view_errors(view)
        if errors or view.get("type") != kind:
            errors = errors or [f"view type must be {kind}"]
            raise SlackError("invalid_arguments", response_metadata={"messages": errors})
        return view

    async def views_open(self, params: JSON) -> JSON:
        """views.open: a modal, with a trigger_id from the last 3 s (used once)."""
        view = self.view_param(params, "modal")
        trigger = str(params.get("trigger_id") or "")
        user = self.take_trigger(params)
        self.fake.record_sent("views.open", view)
        opened = self.fake.new_view(user, "modal", view, trigger_id=trigger)
        return {"view": self.view_payload(opened)}

    async def views_push(self, params: JSON) -> JSON:
        """views.push: a modal on top of the user's open one."""
        view = self.view_param(params, "modal")
        trigger = str(params.get("trigger_id") or "")
        user = self.take_trigger(params)
        modals = self.fake.open_modals(user)
        if not modals:
            raise SlackError("not_found")
        self.fake.record_sent("views.push", view)
        pushed = self.fake.new_view(user, "modal", view, trigger_id=trigger, root=modals[0])
        return {"view": self.view_payload(pushed)}

    async def views_update(self, params: JSON) -> JSON:
        """views.update by view_id or external_id, refusing a stale ``hash``."""
        fake = self.fake
        target: FakeView | None = None
        if params.get("view_id"):
            target = fake.views.get(str(params["view_id"]))
        elif params.get("external_id"):
            target = next(
                (
                    v
                    for v in fake.views.values()
                    if v.view.get("external_id") == params["external_id"]
                ),
                None,
            )
        if target is None or target.closed:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != target.hash:
            raise SlackError("hash_conflict")
        view = self.view_param(params, target.type)
        fake.record_sent("views.update", view)
        fake.change_view(target, view)
        return {"view": self.view_payload(target)}

    async def views_publish(self, params: JSON) -> JSON:
        """views.publish: the user's Home tab."""
        fake = self.fake
        user = self.user_param(params.get("user_id"))
        view = self.view_param(params, "home")
        current = fake.homes.get(user.id)
        if current is not None and params.get("hash") and params["hash"] != current.hash:
            raise SlackError("hash_conflict")
        fake.record_sent("views.publish", view)
        if current is None:
            current = fake.new_view(user, "home", view)
            fake.homes[user.id] = current
        else:
            fake.change_view(current, view)
        return {"view": self.view_payload(current)}

    async def users_info(self, params: JSON) -> JSON:
        """users.info (``deleted: true`` for a deactivated user)."""
        return {"user": self.user_param(params.get("user")).to_info()}

    async def get_upload_url(self, params: JSON) -> JSON:
        """files.getUploadURLExternal: a file id and where to POST its bytes."""
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename or length <= 0:
            raise SlackError("invalid_arguments")
        upload = FakeFile(new_id("F"), filename, length)
        self.fake.uploads[upload.id] = upload
        return {"upload_url": f"{self.fake.base_url}/upload/v1/{upload.id}", "file_id": upload.id}

    async def handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL: the raw bytes (or a multipart ``file`` field)."""
        upload = self.fake.uploads.get(request.match_info["file_id"])
        call = RecordedCall(
            "upload", {"file_id": request.match_info["file_id"]}, None, self.fake.clock()
        )
        self.fake.calls.append(call)
        if upload is None:
            call.status = 404
            return web.Response(status=404, text="not found", content_type="text/plain")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            field = form.get("file") or form.get("filename")
            if isinstance(field, web.FileField):
                data = field.file.read()
            else:
                data = str(field or "").encode()
        else:
            data = await request.read()
        upload.content = data
        upload.uploaded = True
        call.response = {"ok": True, "size": len(data)}
        self.fake.notify()
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def complete_upload(self, params: JSON) -> JSON:
        """files.completeUploadExternal: share the uploaded files in ``channel_id``."""
        fake = self.fake
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        target = params.get("channel_id") or str(params.get("channels") or "").split(",")[0]
        channel = self.resolve_channel(target) if target else None
        if channel is not None:
            self.check_writable(channel)
        uploads: list[FakeFile] = []
        for entry in entries:
            upload = fake.uploads.get(str(entry.get("id", "")))
            if upload is None or not upload.uploaded or upload.completed:
                raise SlackError("file_not_found")
            if len(upload.content) != upload.length:
                raise SlackError("file_upload_size_mismatch")
            upload.title = str(entry.get("title") or upload.filename)
            uploads.append(upload)
        comment = params.get("initial_comment")
        if comment:
            fake.record_sent("files.completeUploadExternal", {"text": comment})
        for upload in uploads:
            upload.completed = True
            upload.channel = channel
            upload.initial_comment = str(comment) if comment else None
        if channel is not None:
            message = fake.post(
                channel, str(comment or ""), [], source="files.completeUploadExternal"
            )
            message.files = uploads
        return {"files": [u.to_payload() for u in uploads]}

    # ------------------------------------------------------------------ response_url
    async def handle_response_url(self, request: web.Request) -> web.Response:
        """A POST to a response_url: a new message, or one replacing/deleting the original."""
        fake = self.fake
        key = request.match_info["key"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        call = RecordedCall(
            "response_url", body if isinstance(body, dict) else {}, None, fake.clock()
        )
        fake.calls.append(call)
        envelope = fake.response_urls.get(key)
        if envelope is None or not isinstance(body, dict):
            call.status = 404
            call.response = {
                "ok": False,
                "error": "no_active_hooks" if envelope is None else "invalid_payload",
            }
            fake.notify()
            return web.json_response(call.response, status=call.status)
        if len(envelope.responses) >= 5:
            call.status = 404
            call.response = {"ok": False, "error": "used_url"}
            fake.notify()
            return web.json_response(call.response, status=call.status)
        try:
            fake.apply_response(envelope, body, via="response_url")
            call.response = {"ok": True}
        except SlackError as error:
            call.status = 400
            call.response = {"ok": False, "error": error.code, **error.extra}
        fake.notify()
        return web.json_response(call.response, status=call.status)


def envelope_user_id(payload: JSON) -> str:
    """The acting user's id in a slash command or interactive payload."""
    if isinstance(payload.get("user"), dict):
        return str(payload["user"]["id"])
    return str(payload.get("user_id") or "")


def new_key() -> str:
    """The secret part of a response_url."""
    return secrets.token_urlsafe(18)
