"""In-memory state of the fake Discord: users, guilds, channels, messages, commands.

Every model knows how to render itself as the JSON payload discord.py expects
(shapes follow ``discord/types/*.py`` of discord.py 2.7).
"""

from __future__ import annotations

import copy
import datetime
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .snowflakes import new_snowflake, snowflake_time_ms

JSON = dict[str, Any]

#: Permission bits used by the helpers.
ADMINISTRATOR = 0x8
MANAGE_GUILD = 0x20
#: Discord's default @everyone permissions for a new guild (view, send, embed, attach,
#: read history, reactions, slash commands, ...); no Administrator / Manage Server.
DEFAULT_EVERYONE_PERMISSIONS = 1071698660929
ALL_PERMISSIONS = (1 << 53) - 1

#: Message flags.
FLAG_EPHEMERAL = 64
FLAG_LOADING = 128

#: Channel types.
CHANNEL_TEXT = 0
CHANNEL_DM = 1


def iso_timestamp(snowflake: int | None = None) -> str:
    """ISO-8601 timestamp (what Discord sends), from a snowflake or now."""
    if snowflake is not None:
        return _snowflake_timestamp(snowflake)
    return _iso(int(time.time() * 1000))


def _iso(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).isoformat()


@functools.lru_cache(maxsize=4096)
def _snowflake_timestamp(snowflake: int) -> str:
    # A message's payload is rendered on every click and callback: its creation time
    # never changes, so it is worked out once (the benches render thousands a second).
    return _iso(snowflake_time_ms(snowflake))


def _same(value: Any) -> Any:
    return value


def clone(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, tuples and scalars); anything else is
    handed to :func:`copy.deepcopy`.

    Payloads are copied on every click and callback, and ``copy.deepcopy``'s
    bookkeeping made it most of the fake's CPU time in the end-to-end benches, where
    the fake shares the machine with the bot it measures.
    """
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone(item) for item in value]
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return value
    if isinstance(value, tuple):
        return tuple(clone(item) for item in value)
    return copy.deepcopy(value)


@dataclass(eq=False)
class FakeUser:
    """A Discord user (human or bot)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    @property
    def mention(self) -> str:
        """The ``<@id>`` mention string."""
        return f"<@{self.id}>"

    def to_payload(self) -> JSON:
        """User object payload."""
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }


@dataclass(eq=False)
class FakeRole:
    """A guild role. The @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0

    def to_payload(self) -> JSON:
        """Role object payload (permissions as a string, like Discord)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass(eq=False)
class FakeChannel:
    """A guild text channel or a DM channel (``guild`` is ``None`` for DMs)."""

    id: int
    name: str
    type: int = CHANNEL_TEXT
    guild: FakeGuild | None = None
    position: int = 0
    #: For DM channels: the other participant.
    recipient: FakeUser | None = None

    @property
    def is_dm(self) -> bool:
        """True for DM channels."""
        return self.type == CHANNEL_DM

    def to_payload(self) -> JSON:
        """Channel object payload as found in GUILD_CREATE or REST responses."""
        if self.is_dm:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": CHANNEL_DM,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.recipient.to_payload()],
            }
        assert self.guild is not None
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild.id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
        }


@dataclass(eq=False)
class FakeMember:
    """A user's membership in a guild."""

    user: FakeUser
    guild: FakeGuild
    roles: list[FakeRole] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_timestamp)

    @property
    def id(self) -> int:
        """The user id."""
        return self.user.id

    @property
    def permissions(self) -> int:
        """Guild-level permissions: @everyone + roles; owner/admin get everything."""
        if self.guild.owner_id == self.user.id:
            return ALL_PERMISSIONS
        value = self.guild.everyone_role.permissions
        for role in self.roles:
            value |= role.permissions
        if value & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return value

    def to_payload(self, *, with_permissions: bool = False) -> JSON:
        """Guild member payload; interactions additionally carry ``permissions``."""
        payload: JSON = {
            "user": self.user.to_payload(),
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r.id) for r in self.roles],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_permissions:
            payload["permissions"] = str(self.permissions)
        return payload


@dataclass(eq=False)
class FakeGuild:
    """A guild with roles, text channels and members."""

    id: int
    name: str
    owner_id: int
    everyone_role: FakeRole
    roles: list[FakeRole] = field(default_factory=list)
    channels: list[FakeChannel] = field(default_factory=list)
    members: dict[int, FakeMember] = field(default_factory=dict)
    locale: str = "en-US"

    @property
    def text_channels(self) -> list[FakeChannel]:
        """Text channels in creation order."""
        return [c for c in self.channels if c.type == CHANNEL_TEXT]

    def member(self, user: FakeUser | int) -> FakeMember:
        """Return the membership of ``user``; ``KeyError`` if not a member."""
        uid = user if isinstance(user, int) else user.id
        return self.members[uid]

    def to_payload(self) -> JSON:
        """Full GUILD_CREATE payload (enough for discord.py to build Guild/Member objects)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": "us-west",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [self.everyone_role.to_payload()] + [r.to_payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "joined_at": iso_timestamp(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [m.to_payload() for m in self.members.values()],
            "channels": [c.to_payload() for c in self.channels],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "lazy": True,
        }


@dataclass
class FakeAttachment:
    """A file uploaded by the bot (multipart ``files[n]``), bytes kept for assertions."""

    id: int
    filename: str
    content: bytes
    content_type: str | None = None
    description: str | None = None

    def to_payload(self) -> JSON:
        """Attachment object payload."""
        url = f"https://cdn.fakediscord.invalid/attachments/{self.id}/{self.filename}"
        payload: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.content),
            "url": url,
            "proxy_url": url,
        }
        if self.content_type:
            payload["content_type"] = self.content_type
        if self.description:
            payload["description"] = self.description
        return payload


@dataclass
class FakeUpload:
    """A file a user attaches to a slash command's attachment option.

    The fake serves ``content`` at ``url`` over its own HTTP server (as Discord's
    CDN would) and counts each download, so a test can tell that the bot never
    fetched a file it should have refused by its declared ``size`` alone.
    """

    id: int
    filename: str
    content: bytes
    url: str
    content_type: str | None = None
    #: The size Discord reports in the interaction; None: the content's length.
    size: int | None = None
    #: How many times the bytes were fetched from ``url``.
    downloads: int = 0

    def to_payload(self) -> JSON:
        """The attachment object of ``data.resolved.attachments``."""
        payload: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.content) if self.size is None else self.size,
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            payload["content_type"] = self.content_type
        return payload


@dataclass
class MessageVersion:
    """One historical state of a message (after create or after an edit)."""

    content: str
    embeds: list[JSON]
    components: list[JSON]
    flags: int
    attachments: list[FakeAttachment]
    allowed_mentions: JSON | None
    #: Which request produced this version, e.g. ``"POST /channels/1/messages"``.
    source: str
    at: float


@dataclass(eq=False)
class FakeMessage:
    """A message as the fake currently stores it, plus its version history."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    flags: int = 0
    attachments: list[FakeAttachment] = field(default_factory=list)
    #: ``allowed_mentions`` of the payload that produced the current version (None if absent).
    allowed_mentions: JSON | None = None
    #: Set for messages created through an interaction response or webhook.
    webhook_id: int | None = None
    application_id: int | None = None
    #: The interaction whose response/followup created this message, if any.
    interaction_id: int | None = None
    interaction_metadata: JSON | None = None
    edited: bool = False
    deleted: bool = False
    versions: list[MessageVersion] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        """True when the EPHEMERAL flag (64) is set."""
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is a deferred 'thinking…' placeholder (flag 128)."""
        return bool(self.flags & FLAG_LOADING)

    def iter_components(self) -> list[JSON]:
        """All leaf components (buttons, selects, …) flattened out of rows/containers."""
        found: list[JSON] = []

        def walk(items: list[JSON]) -> None:
            for item in items:
                found.append(item)
                if "components" in item:
                    walk(item["components"])
                if "component" in item:
                    walk([item["component"]])
                if "accessory" in item:
                    walk([item["accessory"]])

        walk(self.components)
        return [c for c in found if "custom_id" in c or c.get("type") == 2]

    def find_component(self, custom_id: str) -> JSON | None:
        """The component with ``custom_id`` or ``None``."""
        for comp in self.iter_components():
            if comp.get("custom_id") == custom_id:
                return comp
        return None

    @property
    def custom_ids(self) -> list[str]:
        """Custom ids of all interactive components, in order."""
        return [c["custom_id"] for c in self.iter_components() if "custom_id" in c]

    def snapshot(self, source: str) -> None:
        """Append the current state to :attr:`versions`."""
        self.versions.append(
            MessageVersion(
                content=self.content,
                embeds=clone(self.embeds),
                components=clone(self.components),
                flags=self.flags,
                attachments=list(self.attachments),
                allowed_mentions=clone(self.allowed_mentions),
                source=source,
                at=time.monotonic(),
            )
        )

    def to_payload(self, *, serialized_now: bool = False) -> JSON:
        """Full message object payload.

        ``serialized_now``: the payload is turned into JSON at once (a REST reply), so
        it may hold the message's own embeds and components instead of copies.
        """
        copied: Callable[[Any], Any] = _same if serialized_now else clone
        payload: JSON = {
            "id": str(self.id),
            "type": 0 if self.interaction_metadata is None else 20,
            "channel_id": str(self.channel_id),
            "author": self.author.to_payload(),
            "content": self.content,
            "timestamp": iso_timestamp(self.id),
            "edited_timestamp": iso_timestamp() if self.edited else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [a.to_payload() for a in self.attachments],
            "embeds": copied(self.embeds),
            "components": copied(self.components),
            "pinned": False,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            payload["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            payload["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            payload["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            payload["interaction_metadata"] = clone(self.interaction_metadata)
        return payload


@dataclass
class RegisteredCommand:
    """An application command as stored after a bulk overwrite (PUT)."""

    id: int
    application_id: int
    guild_id: int | None
    name: str
    type: int
    description: str
    options: list[JSON]
    default_member_permissions: str | None
    version: int
    raw: JSON

    def to_payload(self) -> JSON:
        """Application command payload as Discord returns it."""
        payload: JSON = clone(self.raw)
        payload.update(
            {
                "id": str(self.id),
                "application_id": str(self.application_id),
                "version": str(self.version),
                "name": self.name,
                "type": self.type,
                "description": self.description,
                "options": clone(self.options),
                "default_member_permissions": self.default_member_permissions,
                "nsfw": self.raw.get("nsfw", False),
            }
        )
        payload.setdefault("dm_permission", True)
        payload.setdefault("contexts", None)
        payload.setdefault("integration_types", [0])
        if self.guild_id is not None:
            payload["guild_id"] = str(self.guild_id)
        return payload

    def option_names(self) -> list[str]:
        """Top-level option names (subcommands for groups)."""
        return [o["name"] for o in self.options]


@dataclass
class RecordedRequest:
    """One REST request as seen by the fake."""

    method: str
    #: Path relative to ``/api/v10`` (e.g. ``/channels/1/messages``).
    path: str
    query: dict[str, str]
    json: Any
    #: Uploaded files: (field name, filename, bytes).
    files: list[tuple[str, str, bytes]]
    at: float
    status: int = 0
    #: True when no route matched (a 404 the test probably did not expect).
    unknown: bool = False

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


def new_id() -> int:
    """Shortcut for :func:`new_snowflake`."""
    return new_snowflake()
