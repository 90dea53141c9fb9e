"""The fake Slack's world: users, channels, messages, views, files and what was recorded."""

from __future__ import annotations

import copy
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

_ID_CHARS = string.ascii_uppercase + string.digits


def new_id(prefix: str, length: int = 10) -> str:
    """A Slack-shaped id: ``U0…`` users, ``C0…`` channels, ``D0…`` DMs, ``V0…`` views…"""
    return prefix + "0" + "".join(secrets.choice(_ID_CHARS) for _ in range(length - 1))


@dataclass(eq=False)
class FakeUser:
    """A workspace member as ``users.info`` reports them."""

    id: str
    name: str
    team_id: str
    real_name: str = ""
    tz: str = "Europe/Paris"
    tz_label: str = "Central European Time"
    tz_offset: int = 3600
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    #: Deactivated: ``users.info`` says ``deleted: true``; DMs to them fail.
    deleted: bool = False

    def to_info(self) -> JSON:
        """The ``user`` object of ``users.info``."""
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name or self.name,
            "tz": self.tz,
            "tz_label": self.tz_label,
            "tz_offset": self.tz_offset,
            "profile": {
                "real_name": self.real_name or self.name,
                "display_name": self.name,
                "real_name_normalized": self.real_name or self.name,
                "display_name_normalized": self.name,
                "team": self.team_id,
            },
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1733011200,
        }

    def to_payload_user(self) -> JSON:
        """The ``user`` object inside interactive payloads."""
        return {"id": self.id, "username": self.name, "name": self.name, "team_id": self.team_id}


@dataclass(eq=False)
class FakeChannel:
    """A public channel (``C…``) or the app's direct message with one user (``D…``)."""

    id: str
    name: str
    #: For a DM: the user on the other side.
    user: FakeUser | None = None

    @property
    def is_im(self) -> bool:
        """True for the app's DM with a user."""
        return self.user is not None


@dataclass(frozen=True)
class MessageVersion:
    """One state of a message: as posted, then after each ``chat.update`` or replacement."""

    text: str
    blocks: list[JSON]
    #: What produced it: ``chat.postMessage``, ``chat.update``, ``response_url``, …
    source: str


@dataclass(eq=False)
class FakeMessage:
    """A message in a channel (or an ephemeral one only ``ephemeral_to`` sees)."""

    channel: FakeChannel
    ts: str
    text: str
    blocks: list[JSON]
    #: The author: the app's bot user for everything the app posts.
    user: FakeUser
    thread_ts: str | None = None
    #: For an ephemeral message: the only user who sees it.
    ephemeral_to: FakeUser | None = None
    #: ``in_channel`` or ``ephemeral`` for response_url / ack answers, else ``None``.
    response_type: str | None = None
    deleted: bool = False
    versions: list[MessageVersion] = field(default_factory=list)
    #: Files shared with the message (files.completeUploadExternal).
    files: list[FakeFile] = field(default_factory=list)

    def set(self, text: str, blocks: list[JSON], source: str) -> None:
        """Change the content, keeping the previous versions."""
        self.text = text
        self.blocks = copy.deepcopy(blocks)
        self.versions.append(MessageVersion(text, copy.deepcopy(blocks), source))

    @property
    def ephemeral(self) -> bool:
        """True if only one user sees it."""
        return self.ephemeral_to is not None

    @property
    def edits(self) -> int:
        """How many times it changed after it was posted."""
        return len(self.versions) - 1

    def buttons(self) -> list[JSON]:
        """Every button element in the blocks, each with its ``block_id`` added."""
        return find_buttons(self.blocks)

    @property
    def labels(self) -> list[str]:
        """The button texts, in order."""
        return [b["text"]["text"] for b in self.buttons()]

    @property
    def action_ids(self) -> list[str]:
        """The buttons' action ids, in order."""
        return [b["action_id"] for b in self.buttons()]

    def all_text(self) -> str:
        """``text`` plus every text of the blocks, one per line (for assertions on words)."""
        return "\n".join([self.text, *block_texts(self.blocks)])

    def to_payload(self, bot_id: str, app_id: str) -> JSON:
        """The ``message`` object Slack puts in a block_actions payload."""
        out: JSON = {
            "type": "message",
            "subtype": "bot_message",
            "text": self.text,
            "user": self.user.id,
            "ts": self.ts,
            "bot_id": bot_id,
            "app_id": app_id,
            "team": self.user.team_id,
            "blocks": copy.deepcopy(self.blocks),
        }
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        return out


@dataclass(eq=False)
class FakeView:
    """A modal the app opened (``views.open``) or a user's Home tab (``views.publish``)."""

    id: str
    user: FakeUser
    #: ``modal`` or ``home``.
    type: str
    view: JSON
    hash: str
    #: The view this one is stacked on (views.push); ``None`` for a root.
    root_id: str | None = None
    #: Closed by a submission answered with ``clear``/no errors, or by the user.
    closed: bool = False
    versions: list[JSON] = field(default_factory=list)
    #: The trigger that opened it (modals), so tests can tell which click did.
    trigger_id: str | None = None
    #: Errors by block_id of the last submission answered ``response_action: errors``.
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def callback_id(self) -> str:
        """The view's ``callback_id`` ('' if none)."""
        return str(self.view.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        """The view's ``private_metadata`` ('' if none)."""
        return str(self.view.get("private_metadata") or "")

    @property
    def blocks(self) -> list[JSON]:
        """The view's blocks."""
        return list(self.view.get("blocks") or [])

    def buttons(self) -> list[JSON]:
        """Every button element in the blocks (with its ``block_id``)."""
        return find_buttons(self.blocks)

    @property
    def labels(self) -> list[str]:
        """The button texts, in order."""
        return [b["text"]["text"] for b in self.buttons()]

    def inputs(self) -> list[tuple[str, JSON]]:
        """(block_id, element) of every input block."""
        return [
            (str(b.get("block_id")), b["element"])
            for b in self.blocks
            if b.get("type") == "input" and "element" in b
        ]

    def all_text(self) -> str:
        """Title plus every text of the blocks, one per line."""
        title = self.view.get("title") or {}
        return "\n".join([str(title.get("text", "")), *block_texts(self.blocks)])

    def to_payload(self, team_id: str, app_id: str, bot_id: str, state: JSON | None = None) -> JSON:
        """The ``view`` object Slack returns from views.* and puts in payloads."""
        out: JSON = {
            "id": self.id,
            "team_id": team_id,
            "type": self.type,
            "blocks": copy.deepcopy(self.blocks),
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": {"values": state or {}},
            "hash": self.hash,
            "title": copy.deepcopy(self.view.get("title")),
            "clear_on_close": bool(self.view.get("clear_on_close", False)),
            "notify_on_close": bool(self.view.get("notify_on_close", False)),
            "close": copy.deepcopy(self.view.get("close")),
            "submit": copy.deepcopy(self.view.get("submit")),
            "previous_view_id": None,
            "root_view_id": self.root_id or self.id,
            "app_id": app_id,
            "external_id": str(self.view.get("external_id") or ""),
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }
        return out


@dataclass(eq=False)
class FakeFile:
    """A file uploaded with files.getUploadURLExternal + upload + files.completeUploadExternal."""

    id: str
    filename: str
    length: int
    title: str = ""
    content: bytes = b""
    uploaded: bool = False
    completed: bool = False
    channel: FakeChannel | None = None
    initial_comment: str | None = None

    def to_payload(self) -> JSON:
        """The file object of files.completeUploadExternal."""
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": len(self.content),
            "mimetype": "application/octet-stream",
            "channels": [self.channel.id] if self.channel and not self.channel.is_im else [],
            "ims": [self.channel.id] if self.channel and self.channel.is_im else [],
        }


@dataclass
class RecordedCall:
    """One Web API request (or response_url / upload POST) and what the fake answered."""

    method: str
    params: JSON
    token: str | None
    #: The fake's clock when it arrived.
    at: float
    status: int = 200
    response: JSON = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if the fake answered ``ok: true``."""
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        """Slack's error code, if the call failed."""
        error = self.response.get("error")
        return str(error) if error is not None else None

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"error={self.error}"
        return f"<{self.method} {state}>"


@dataclass
class SentPayload:
    """Something the app sent that users could see (checked for mentions at teardown)."""

    #: ``chat.postMessage``, ``response_url``, ``ack``, ``views.open``, …
    kind: str
    body: JSON


def find_buttons(blocks: list[JSON]) -> list[JSON]:
    """Every button element in ``blocks`` (actions and section accessories), in order."""
    found: list[JSON] = []
    for block in blocks:
        elements: list[JSON] = []
        if block.get("type") == "actions":
            elements = list(block.get("elements") or [])
        elif isinstance(block.get("accessory"), dict):
            elements = [block["accessory"]]
        for element in elements:
            if element.get("type") == "button":
                found.append({**element, "block_id": block.get("block_id")})
    return found


def block_texts(blocks: list[JSON]) -> list[str]:
    """The visible texts of ``blocks`` (section/header/context texts, fields, button labels)."""
    out: list[str] = []

    def text_of(obj: Any) -> None:
        if isinstance(obj, dict):
            if obj.get("type") in ("plain_text", "mrkdwn") and isinstance(obj.get("text"), str):
                out.append(obj["text"])
                return
            for key, value in obj.items():
                if key not in ("action_id", "block_id", "value", "url"):
                    text_of(value)
        elif isinstance(obj, list):
            for item in obj:
                text_of(item)

    text_of(blocks)
    return out
