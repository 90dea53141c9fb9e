"""The fake's world state plus change notification for sleep-free waiting.

:class:`DiscordState` owns users, guilds, channels, messages, registered commands,
interactions and the request log. Mutations call :meth:`DiscordState.notify` so
``wait_until``-style helpers wake up immediately instead of polling with sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from .models import (
    CHANNEL_DM,
    CHANNEL_TEXT,
    DEFAULT_EVERYONE_PERMISSIONS,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    JSON,
    MANAGE_GUILD,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUpload,
    FakeUser,
    RecordedRequest,
    RegisteredCommand,
)
from .snowflakes import new_snowflake
from .validation import validate_message_payload

if TYPE_CHECKING:
    from .interactions import Interaction

T = TypeVar("T")

#: An uploaded file: (multipart field name, filename, bytes, content type).
UploadedFile = tuple[str, str, bytes, str | None]


class FakeDiscordTimeout(AssertionError):
    """A wait helper timed out. Subclass of AssertionError so pytest shows it as a failure."""


class DiscordState:
    """Users, guilds, channels, messages, commands and the request log of one fake Discord."""

    def __init__(self, *, token: str | None = None, bot_name: str = "Recall") -> None:
        self.application_id: int = new_snowflake()
        #: The token the fake accepts; anything else gets 401.
        self.token: str = token or f"fake.{secrets.token_urlsafe(24)}"
        self.bot_user = FakeUser(self.application_id, bot_name, bot=True)
        self.owner_user = FakeUser(new_snowflake(), "app-owner")
        #: When set, a team owns the application (GET /oauth2/applications/@me
        #: reports it): each member with their role ("admin", "developer", "read_only").
        self.team_members: list[tuple[FakeUser, str]] = []
        self.users: dict[int, FakeUser] = {
            self.bot_user.id: self.bot_user,
            self.owner_user.id: self.owner_user,
        }
        self.guilds: dict[int, FakeGuild] = {}
        #: (guild id, top-level command name, user id) a server admin allowed through
        #: Server Settings → Integrations, overriding default_member_permissions.
        self.command_overrides: set[tuple[int, str, int]] = set()
        self.channels: dict[int, FakeChannel] = {}
        self.dm_channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        #: Files users attached to slash commands, served at their URL by id.
        self.uploads: dict[int, FakeUpload] = {}
        #: The shard count GET /gateway/bot recommends (what discord.py's
        #: AutoShardedClient uses when given no shard_count).
        self.recommended_shards: int = 1
        #: Registered application commands; key ``None`` holds global commands.
        self.commands: dict[int | None, list[RegisteredCommand]] = {}
        self.interactions: dict[int, Interaction] = {}
        #: Every REST request in arrival order.
        self.requests: list[RecordedRequest] = []
        #: Every message-creating or -editing payload the bot sent (interaction callbacks,
        #: followups, webhook edits, channel messages and DMs): (request, payload).
        self.message_payloads: list[tuple[str, JSON]] = []
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ waiting
    def notify(self) -> None:
        """Wake every waiter; called after each state change."""
        self._changed.set()
        # A fresh event per change: waiters re-check their condition and wait again.
        self._changed = asyncio.Event()

    async def wait_until(
        self, check: Callable[[], T | None], *, timeout: float = 5.0, what: str = "condition"
    ) -> T:
        """Wait until ``check()`` returns something other than ``None``/``False`` and return it.

        Raises :class:`FakeDiscordTimeout` (with the recent request log) on timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value is not None and value is not False:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = ", ".join(repr(r) for r in self.requests[-8:])
                raise FakeDiscordTimeout(
                    f"timed out after {timeout}s waiting for {what}; recent requests: [{recent}]"
                )
            event = self._changed
            # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a
            # cancellation that arrives just as the event is set, and the waiter then
            # sleeps on until its own timeout (a cancelled learner hung for 60 s).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()

    async def wait_for_message(
        self,
        predicate: Callable[[FakeMessage], bool] = lambda m: True,
        *,
        timeout: float = 5.0,
        include_existing: bool = False,
    ) -> FakeMessage:
        """Wait for a message (new, or edited into a state) matching ``predicate``.

        By default only messages created or edited *after* the call are considered.
        """
        baseline = {mid: len(m.versions) for mid, m in self.messages.items()}

        def check() -> FakeMessage | None:
            for mid, msg in self.messages.items():
                fresh = include_existing or len(msg.versions) > baseline.get(mid, 0)
                if fresh and not msg.deleted and predicate(msg):
                    return msg
            return None

        return await self.wait_until(check, timeout=timeout, what="a matching message")

    async def wait_for_request(
        self,
        method: str,
        path_regex: str,
        *,
        timeout: float = 5.0,
        count: int = 1,
        include_existing: bool = False,
    ) -> RecordedRequest:
        """Wait until ``count`` requests matching method+regex have been *answered*.

        Returns the last matching request. Only requests arriving after the call count
        unless ``include_existing``.
        """
        start = 0 if include_existing else len(self.requests)

        def check() -> RecordedRequest | None:
            found = [
                r
                for r in self.requests[start:]
                if r.status and r.method == method.upper() and re.search(path_regex, r.path)
            ]
            return found[count - 1] if len(found) >= count else None

        return await self.wait_until(check, timeout=timeout, what=f"{count}x {method} {path_regex}")

    # ------------------------------------------------------------------ requests
    def requests_matching(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Recorded requests with ``method`` (or ``"*"``) whose path matches ``path_regex``."""
        return [
            r
            for r in self.requests
            if (method == "*" or r.method == method.upper()) and re.search(path_regex, r.path)
        ]

    @property
    def unknown_requests(self) -> list[RecordedRequest]:
        """Requests that hit no route (answered with 404)."""
        return [r for r in self.requests if r.unknown]

    def assert_no_unknown_routes(self) -> None:
        """Fail if the bot called an endpoint the fake does not implement."""
        unknown = self.unknown_requests
        assert not unknown, f"bot called endpoints the fake does not implement: {unknown}"

    def record_message_payload(self, source: str, payload: JSON) -> None:
        """Remember a payload that creates or edits a message (see ``assert_no_pings``)."""
        self.message_payloads.append((source, payload))

    def ping_risks(self) -> list[str]:
        """Message payloads that could ping: no ``allowed_mentions``, or one that parses.

        Discord falls back to parsing every mention in the content when a payload
        has no ``allowed_mentions``, so a missing one counts as a risk too.
        """
        risks = []
        for source, payload in self.message_payloads:
            mentions = payload.get("allowed_mentions")
            if not isinstance(mentions, dict):
                risks.append(f"{source}: no allowed_mentions")
            elif mentions.get("parse") != [] or mentions.get("users") or mentions.get("roles"):
                risks.append(f"{source}: allowed_mentions={mentions}")
        return risks

    def assert_no_pings(self) -> None:
        """Fail unless every message payload carried ``allowed_mentions`` parsing nothing."""
        risks = self.ping_risks()
        assert not risks, f"message payloads that could ping: {risks}"

    # ------------------------------------------------------------------ world building
    def create_user(self, username: str, *, bot: bool = False) -> FakeUser:
        """Create a user that can later join guilds and use commands."""
        user = FakeUser(new_snowflake(), username, global_name=username.title(), bot=bot)
        self.users[user.id] = user
        return user

    def create_guild(
        self, name: str, *, owner: FakeUser | None = None, locale: str = "en-US"
    ) -> FakeGuild:
        """Create a guild (with @everyone role and the bot as member).

        The owner defaults to the application owner, so no test user gets
        owner powers by accident.
        """
        gid = new_snowflake()
        owner = owner or self.owner_user
        everyone = FakeRole(gid, "@everyone", DEFAULT_EVERYONE_PERMISSIONS, position=0)
        guild = FakeGuild(gid, name, owner.id, everyone, locale=locale)
        self.guilds[gid] = guild
        guild.members[self.bot_user.id] = FakeMember(self.bot_user, guild)
        guild.members.setdefault(owner.id, FakeMember(owner, guild))
        self.notify()
        return guild

    def create_role(self, guild: FakeGuild, name: str, permissions: int = 0) -> FakeRole:
        """Add a role to ``guild``."""
        role = FakeRole(new_snowflake(), name, permissions, position=len(guild.roles) + 1)
        guild.roles.append(role)
        return role

    def create_text_channel(self, guild: FakeGuild, name: str) -> FakeChannel:
        """Add a text channel to ``guild``."""
        channel = FakeChannel(
            new_snowflake(), name, CHANNEL_TEXT, guild=guild, position=len(guild.channels)
        )
        guild.channels.append(channel)
        self.channels[channel.id] = channel
        return channel

    def add_member(
        self,
        guild: FakeGuild,
        user: FakeUser | str,
        *,
        manage_guild: bool = False,
        roles: Iterable[FakeRole] = (),
        owner: bool = False,
    ) -> FakeMember:
        """Add ``user`` (or a new user with that name) to ``guild``.

        ``manage_guild=True`` gives the member a "Moderator" role with Manage Server
        (0x20); ``owner=True`` makes them the guild owner.
        """
        if isinstance(user, str):
            user = self.create_user(user)
        member = FakeMember(user, guild, list(roles))
        if manage_guild:
            mod_role = next((r for r in guild.roles if r.name == "Moderator"), None)
            if mod_role is None:
                mod_role = self.create_role(guild, "Moderator", MANAGE_GUILD)
            member.roles.append(mod_role)
        guild.members[user.id] = member
        if owner:
            self.set_owner(guild, user)
        self.notify()
        return member

    def set_owner(self, guild: FakeGuild, user: FakeUser) -> None:
        """Make ``user`` the owner of ``guild`` (owners have all permissions)."""
        guild.owner_id = user.id
        if user.id not in guild.members:
            guild.members[user.id] = FakeMember(user, guild)

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The DM channel between the bot and ``user`` (created on first use)."""
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = FakeChannel(new_snowflake(), "", CHANNEL_DM, recipient=user)
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return channel

    def create_guild_on_shard(
        self, name: str, shard_id: int, shard_count: int, **kwargs: Any
    ) -> FakeGuild:
        """Create a guild whose id falls on ``shard_id`` of ``shard_count`` shards.

        Snowflakes are time-based, so which shard a new guild lands on is chance:
        ids are drawn until one fits (each draw is a fresh, later snowflake).
        """
        if not 0 <= shard_id < shard_count:
            raise ValueError(f"shard {shard_id} out of range for {shard_count} shards")
        while True:
            guild = self.create_guild(name, **kwargs)
            if (guild.id >> 22) % shard_count == shard_id:
                return guild
            del self.guilds[guild.id]

    # ------------------------------------------------------------------ lookups
    @property
    def default_guild(self) -> FakeGuild:
        """The first guild created (most tests need only one)."""
        if not self.guilds:
            raise LookupError("no guild created yet; call create_guild() first")
        return next(iter(self.guilds.values()))

    def get_message(self, message_id: int) -> FakeMessage:
        """Current state of a message by id; ``KeyError`` if unknown."""
        return self.messages[message_id]

    def messages_in(self, channel: FakeChannel | int) -> list[FakeMessage]:
        """Non-deleted messages in a channel, oldest first."""
        cid = channel if isinstance(channel, int) else channel.id
        return [m for m in self.messages.values() if m.channel_id == cid and not m.deleted]

    def commands_for(self, guild: FakeGuild | int | None = None) -> list[RegisteredCommand]:
        """Commands registered for ``guild`` (``None`` → global commands)."""
        gid = guild if isinstance(guild, int) or guild is None else guild.id
        return list(self.commands.get(gid, []))

    def find_command(self, name: str, guild: FakeGuild | None) -> RegisteredCommand | None:
        """A chat-input command visible in ``guild`` (guild commands shadow global ones)."""
        scopes: list[int | None] = [guild.id, None] if guild is not None else [None]
        for scope in scopes:
            for cmd in self.commands.get(scope, []):
                if cmd.name == name and cmd.type == 1:
                    return cmd
        return None

    # ------------------------------------------------------------------ commands
    def overwrite_commands(self, guild_id: int | None, payload: list[JSON]) -> list[JSON]:
        """Bulk overwrite (PUT) — keeps ids of commands whose (name, type) survive, like Discord."""
        old = {(c.name, c.type): c for c in self.commands.get(guild_id, [])}
        stored: list[RegisteredCommand] = []
        for raw in payload:
            ctype = int(raw.get("type", 1))
            previous = old.get((raw["name"], ctype))
            perms = raw.get("default_member_permissions")
            stored.append(
                RegisteredCommand(
                    id=previous.id if previous else new_snowflake(),
                    application_id=self.application_id,
                    guild_id=guild_id,
                    name=raw["name"],
                    type=ctype,
                    description=raw.get("description", ""),
                    options=list(raw.get("options", [])),
                    default_member_permissions=None if perms is None else str(perms),
                    version=new_snowflake(),
                    raw=dict(raw),
                )
            )
        self.commands[guild_id] = stored
        self.notify()
        return [c.to_payload() for c in stored]

    # ------------------------------------------------------------------ messages
    def _attachments_from(
        self, payload: JSON, files: list[UploadedFile], existing: list[FakeAttachment]
    ) -> list[FakeAttachment]:
        """Resolve ``payload["attachments"]`` against uploads (``files[n]``) and kept files."""
        uploads: dict[int, tuple[str, bytes, str | None]] = {}
        for field_name, filename, data, ctype in files:
            match = re.fullmatch(r"files\[(\d+)\]", field_name) or re.fullmatch(
                r"file(\d*)", field_name
            )
            index = int(match.group(1) or 0) if match else len(uploads)
            uploads[index] = (filename, data, ctype)
        by_id = {a.id: a for a in existing}
        result: list[FakeAttachment] = []
        specs = payload.get("attachments")
        if specs is None:
            # No attachment list: new uploads are appended, existing ones kept.
            result = list(existing)
            specs = [{"id": i} for i in sorted(uploads)]
            existing = []
        for spec in specs:
            att_id = int(spec["id"])
            if att_id in uploads:
                filename, data, ctype = uploads[att_id]
                result.append(
                    FakeAttachment(
                        new_snowflake(),
                        spec.get("filename", filename),
                        data,
                        ctype,
                        spec.get("description"),
                    )
                )
            elif att_id in by_id:
                result.append(by_id[att_id])
        return result

    def create_message(
        self,
        *,
        channel_id: int,
        author: FakeUser,
        payload: JSON,
        files: list[UploadedFile],
        source: str,
        webhook_id: int | None = None,
        interaction: Interaction | None = None,
        extra_flags: int = 0,
    ) -> FakeMessage:
        """Store a new message built from a create-message payload.

        Raises :class:`~tests.fakediscord.validation.ApiError` for payloads Discord rejects.
        """
        attachments = self._attachments_from(payload, files, [])
        validate_message_payload(
            payload, has_files=bool(attachments), allow_empty=bool(extra_flags)
        )
        channel = self.channels.get(channel_id)
        guild_id = channel.guild.id if channel is not None and channel.guild is not None else None
        msg = FakeMessage(
            id=new_snowflake(),
            channel_id=channel_id,
            guild_id=guild_id,
            author=author,
            content=str(payload.get("content") or ""),
            embeds=list(payload.get("embeds") or []),
            components=list(payload.get("components") or []),
            # Only ephemeral / suppress-embeds / components-v2 style flags are settable.
            flags=(int(payload.get("flags") or 0) & ~FLAG_LOADING) | extra_flags,
            attachments=attachments,
            allowed_mentions=payload.get("allowed_mentions"),
            webhook_id=webhook_id,
        )
        if interaction is not None:
            msg.application_id = self.application_id
            msg.interaction_id = interaction.id
            msg.interaction_metadata = interaction.metadata_payload()
        msg.snapshot(source)
        self.messages[msg.id] = msg
        self.notify()
        return msg

    def edit_message(
        self, msg: FakeMessage, payload: JSON, files: list[UploadedFile], source: str
    ) -> FakeMessage:
        """Apply an edit payload (only keys present change), keeping history."""
        attachments = self._attachments_from(payload, files, msg.attachments)
        merged = {
            "content": payload.get("content", msg.content),
            "embeds": payload.get("embeds", msg.embeds),
            "components": payload.get("components", msg.components),
        }
        validate_message_payload(merged, has_files=bool(attachments), allow_empty=False)
        if "content" in payload:
            msg.content = str(payload["content"] or "")
        if "embeds" in payload:
            msg.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            msg.components = list(payload["components"] or [])
        if payload.get("flags") is not None:
            # Ephemerality cannot change after creation.
            msg.flags = (int(payload["flags"]) & ~FLAG_EPHEMERAL) | (msg.flags & FLAG_EPHEMERAL)
        msg.flags &= ~FLAG_LOADING
        msg.attachments = attachments
        msg.allowed_mentions = payload.get("allowed_mentions")
        msg.edited = True
        msg.snapshot(source)
        self.notify()
        return msg

    def delete_message(self, msg: FakeMessage) -> None:
        """Mark a message deleted (kept for inspection)."""
        msg.deleted = True
        self.notify()

    def record(self, request: RecordedRequest) -> None:
        """Append to the request log."""
        self.requests.append(request)
        self.notify()

    def __getstate__(self) -> dict[str, Any]:  # pragma: no cover - not picklable on purpose
        raise TypeError("DiscordState is not picklable")
