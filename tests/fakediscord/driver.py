"""Acting as Discord users: build realistic INTERACTION_CREATE payloads and dispatch them."""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Mapping
from typing import Any

from .gateway import Gateway
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Interaction,
    ModalSpec,
    option_value,
)
from .models import (
    JSON,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUpload,
    FakeUser,
    iso_timestamp,
)
from .snowflakes import new_snowflake
from .state import DiscordState

#: Option types.
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)


class CommandNotFound(LookupError):
    """The named command/subcommand/option is not registered (did the bot sync?)."""


class InteractionDriver:
    """Builds and dispatches interactions on behalf of fake users."""

    def __init__(self, state: DiscordState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    # ------------------------------------------------------------------ context
    def _resolve_place(
        self, user: FakeUser, guild: FakeGuild | None, channel: FakeChannel | None
    ) -> tuple[FakeGuild | None, FakeChannel]:
        """Default to the first guild's first text channel; DM channels have no guild."""
        if channel is not None:
            return channel.guild, channel
        guild = guild or self.state.default_guild
        if not guild.text_channels:
            raise LookupError(f"guild {guild.name!r} has no text channel")
        return guild, guild.text_channels[0]

    def _base_payload(
        self,
        itype: int,
        user: FakeUser,
        guild: FakeGuild | None,
        channel: FakeChannel,
        *,
        locale: str,
    ) -> tuple[Interaction, JSON]:
        state = self.state
        iid = new_snowflake()
        token = f"aW50ZXJhY3Rpb246{iid}:{secrets.token_urlsafe(48)}"
        payload: JSON = {
            "id": str(iid),
            "application_id": str(state.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None:
            member = guild.members.get(user.id)
            if member is None:
                raise LookupError(f"{user.username} is not a member of guild {guild.name!r}")
            bot_member = guild.member(state.bot_user)
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": guild.locale, "features": []},
                    "guild_locale": guild.locale,
                    "member": member.to_payload(with_permissions=True),
                    "app_permissions": str(bot_member.permissions),
                    "channel_id": str(channel.id),
                    "channel": {
                        **channel.to_payload(),
                        "permissions": str(member.permissions),
                    },
                    "authorizing_integration_owners": {"0": str(guild.id)},
                    "context": 0,
                }
            )
        else:
            payload.update(
                {
                    "user": user.to_payload(),
                    # DMs: permissions the bot has in a DM channel.
                    "app_permissions": str(0x0006_0000_0000_4C00 | 0x10000 | 0x40),
                    "channel_id": str(channel.id),
                    "channel": {
                        "id": str(channel.id),
                        "type": 1,
                        "last_message_id": None,
                        "flags": 0,
                        "recipients": [user.to_payload()],
                    },
                    "authorizing_integration_owners": {"0": "0"},
                    "context": 1,
                }
            )
        inter = Interaction(
            state=state,
            id=iid,
            token=token,
            type=itype,
            user=user,
            guild=guild,
            channel=channel,
            payload=payload,
        )
        return inter, payload

    async def _dispatch(self, inter: Interaction) -> Interaction:
        self.state.interactions[inter.id] = inter
        # The 3 s callback deadline starts when the event is sent.
        inter.dispatched_at = time.monotonic()
        await self.gateway.dispatch("INTERACTION_CREATE", inter.payload)
        return inter

    # ------------------------------------------------------------------ commands
    def _command_data(
        self,
        command: str,
        options: Mapping[str, Any] | None,
        guild: FakeGuild | None,
        *,
        focused: str | None,
        user: FakeUser,
    ) -> JSON:
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise ValueError("empty command name")
        cmd = self.state.find_command(parts[0], guild)
        if cmd is None:
            where = f"guild {guild.name!r}" if guild else "global scope"
            known = [c.name for c in self.state.commands_for(guild)] + [
                c.name for c in self.state.commands_for(None)
            ]
            raise CommandNotFound(
                f"/{parts[0]} is not registered in {where} (registered: {sorted(known)}); "
                "did the bot sync its command tree?"
            )
        self._check_permissions(cmd.name, cmd.default_member_permissions, user, guild)
        defs: list[JSON] = cmd.options
        data: JSON = {"id": str(cmd.id), "name": cmd.name, "type": 1}
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        container = data
        path = [cmd.name]
        for name in parts[1:]:
            sub = next(
                (
                    o
                    for o in defs
                    if o["name"] == name and o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)
                ),
                None,
            )
            if sub is None:
                raise CommandNotFound(
                    f"/{' '.join(path)} has no subcommand {name!r} "
                    f"(known: {[o['name'] for o in defs]})"
                )
            path.append(name)
            node: JSON = {"name": name, "type": sub["type"], "options": []}
            container["options"] = [node]
            container = node
            defs = sub.get("options", [])
        if any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in defs):
            raise CommandNotFound(
                f"/{' '.join(path)} is a group; name a subcommand "
                f"(one of {[o['name'] for o in defs]})"
            )
        resolved: JSON = {}
        values: list[JSON] = []
        given = dict(options or {})
        for name, value in given.items():
            spec = next((o for o in defs if o["name"] == name), None)
            if spec is None:
                raise CommandNotFound(
                    f"/{' '.join(path)} has no option {name!r} (known: {[o['name'] for o in defs]})"
                )
            opt: JSON = {"name": name, "type": spec["type"], "value": option_value(value)}
            if name == focused:
                opt["focused"] = True
                # Autocomplete sends whatever the user typed so far, as a string.
                opt["value"] = str(opt["value"])
            else:
                self._resolve_option(spec["type"], value, guild, resolved)
            values.append(opt)
        if focused is None:
            missing = [o["name"] for o in defs if o.get("required") and o["name"] not in given]
            if missing:
                raise ValueError(f"/{' '.join(path)} missing required options {missing}")
        elif focused not in given:
            values.append({"name": focused, "type": STRING, "value": "", "focused": True})
        container["options"] = values
        if resolved:
            data["resolved"] = resolved
        return data

    def _check_permissions(
        self, name: str, required: str | None, user: FakeUser, guild: FakeGuild | None
    ) -> None:
        """Discord refuses commands whose default_member_permissions the member lacks."""
        if required is None or guild is None:
            return
        if (guild.id, name, user.id) in self.state.command_overrides:
            return  # a server admin allowed this command for this member
        needed = int(required)
        have = guild.member(user).permissions
        if have & needed != needed:
            raise PermissionError(
                f"{user.username} lacks permissions {needed:#x} required by /{name} "
                f"(default_member_permissions); Discord would not let them run it"
            )

    def _resolve_option(
        self, otype: int, value: Any, guild: FakeGuild | None, resolved: JSON
    ) -> None:
        """Fill ``data.resolved`` for user/role/channel options, like Discord does."""
        if otype in (USER, MENTIONABLE) and isinstance(value, (FakeUser, FakeMember)):
            user = value.user if isinstance(value, FakeMember) else value
            resolved.setdefault("users", {})[str(user.id)] = user.to_payload()
            if guild is not None and user.id in guild.members:
                member = guild.members[user.id].to_payload(with_permissions=True)
                member.pop("user")
                resolved.setdefault("members", {})[str(user.id)] = member
        elif otype in (ROLE, MENTIONABLE) and isinstance(value, FakeRole):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_payload()
        elif otype == CHANNEL and isinstance(value, FakeChannel):
            payload = value.to_payload()
            payload["permissions"] = "0"
            resolved.setdefault("channels", {})[str(value.id)] = payload
        elif otype == ATTACHMENT and isinstance(value, FakeUpload):
            # As Discord does: the option's value is the attachment's id, and the
            # attachment object (url, size, filename, content type) is in resolved.
            resolved.setdefault("attachments", {})[str(value.id)] = value.to_payload()
        elif otype in (USER, ROLE, CHANNEL, MENTIONABLE, ATTACHMENT):
            raise TypeError(
                f"option type {otype} needs a FakeUser/FakeMember/FakeRole/FakeChannel/"
                "FakeUpload value"
            )

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
        """Run ``/command [subcommand...]`` as ``user``; see :meth:`FakeDiscord.slash`."""
        guild, channel = self._resolve_place(user, guild, channel)
        inter, payload = self._base_payload(
            APPLICATION_COMMAND, user, guild, channel, locale=locale
        )
        payload["data"] = self._command_data(command, options, guild, focused=None, user=user)
        return await self._dispatch(inter)

    async def autocomplete(
        self,
        user: FakeUser,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str,
        guild: FakeGuild | None = None,
        channel: FakeChannel | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,
    ) -> list[JSON]:
        """Type into option ``focused`` and return the bot's choices."""
        guild, channel = self._resolve_place(user, guild, channel)
        inter, payload = self._base_payload(AUTOCOMPLETE, user, guild, channel, locale=locale)
        payload["data"] = self._command_data(command, options, guild, focused=focused, user=user)
        await self._dispatch(inter)
        await inter.response(timeout=timeout)
        choices = inter.choices
        if choices is None:
            raise AssertionError(f"bot answered autocomplete with {inter.callback}")
        return choices

    # ------------------------------------------------------------------ components
    def _message_and_place(
        self, user: FakeUser, message: FakeMessage | int
    ) -> tuple[FakeMessage, FakeGuild | None, FakeChannel]:
        msg = self.state.get_message(message) if isinstance(message, int) else message
        msg = self.state.get_message(msg.id)  # always the current state
        if msg.deleted:
            raise LookupError(f"message {msg.id} was deleted")
        channel = self.state.channels[msg.channel_id]
        return msg, channel.guild, channel

    async def component(
        self,
        user: FakeUser,
        message: FakeMessage | int,
        custom_id: str,
        *,
        values: list[str] | None = None,
        locale: str = "en-US",
        as_of: int | None = None,
        forged: bool = False,
    ) -> Interaction:
        """Use the component ``custom_id`` on ``message`` (button click or select).

        ``as_of`` clicks the message as a client still showing its version number
        ``as_of`` (an index into ``message.versions``) would: a double click, or a
        second device that has not refreshed yet. ``forged=True`` is a tampered
        client: the click carries a button ``custom_id`` that ``message`` does not
        have, as if it were on it (the stored message is unchanged).
        """
        msg, guild, channel = self._message_and_place(user, message)
        if as_of is not None:
            old = msg.versions[as_of]
            msg = dataclasses.replace(
                msg,
                content=old.content,
                embeds=old.embeds,
                components=old.components,
                flags=old.flags,
            )
        if forged:
            button: JSON = {"type": 2, "style": 2, "label": "forged", "custom_id": custom_id}
            msg = dataclasses.replace(msg, components=[{"type": 1, "components": [button]}])
        comp = msg.find_component(custom_id)
        if comp is None:
            raise LookupError(
                f"message {msg.id} has no component {custom_id!r} (has {msg.custom_ids})"
            )
        if comp.get("disabled"):
            raise AssertionError(f"component {custom_id!r} is disabled; users cannot use it")
        ctype = int(comp["type"])
        if ctype == 2 and values is not None:
            raise ValueError("buttons take no values; use select() for select menus")
        inter, payload = self._base_payload(MESSAGE_COMPONENT, user, guild, channel, locale=locale)
        data: JSON = {"custom_id": custom_id, "component_type": ctype}
        if ctype != 2:
            data["values"] = list(values or [])
        payload["data"] = data
        payload["message"] = msg.to_payload()
        inter.source_message_id = msg.id
        return await self._dispatch(inter)

    # ------------------------------------------------------------------ modals
    def find_open_modal(self, custom_id: str) -> Interaction:
        """The most recent interaction answered with a modal of this custom_id."""
        for inter in reversed(list(self.state.interactions.values())):
            modal = inter.modal
            if modal is not None and modal.custom_id == custom_id:
                return inter
        raise LookupError(f"no modal with custom_id {custom_id!r} was opened by the bot")

    @staticmethod
    def _modal_components(spec: ModalSpec, values: Mapping[str, str]) -> list[JSON]:
        """Mirror the modal's layout (action rows or Label components) with values filled in."""
        unknown = set(values) - set(spec.text_inputs)
        if unknown:
            raise LookupError(
                f"modal {spec.custom_id!r} has no text inputs {sorted(unknown)} "
                f"(has {sorted(spec.text_inputs)})"
            )

        def fill(comp: JSON) -> JSON:
            custom_id = comp["custom_id"]
            value = values.get(custom_id, comp.get("value") or "")
            if comp.get("required", True) and not value:
                raise ValueError(f"text input {custom_id!r} is required")
            max_len = comp.get("max_length") or 4000
            if len(value) > max_len or len(value) < (comp.get("min_length") or 0):
                raise ValueError(
                    f"text input {custom_id!r} accepts {comp.get('min_length') or 0}-{max_len} "
                    f"characters, got {len(value)}"
                )
            out: JSON = {"type": 4, "custom_id": custom_id, "value": value}
            if "id" in comp:
                out["id"] = comp["id"]
            return out

        result: list[JSON] = []
        for top in spec.components:
            if top.get("type") == 1:
                result.append(
                    {
                        "type": 1,
                        "components": [fill(c) for c in top["components"] if c.get("type") == 4],
                    }
                )
            elif top.get("type") == 18:
                inner = top["component"]
                if inner.get("type") == 4:
                    label: JSON = {"type": 18, "component": fill(inner)}
                    if "id" in top:
                        label["id"] = top["id"]
                    result.append(label)
                else:
                    # Selects inside labels: echo an empty selection.
                    sel: JSON = {
                        "type": inner.get("type"),
                        "custom_id": inner.get("custom_id"),
                        "values": list(values.get(inner.get("custom_id", ""), [])),
                    }
                    result.append({"type": 18, "component": sel})
            elif top.get("type") == 10:
                result.append({"type": 10, "content": top.get("content", "")})
        return result

    async def submit_modal(
        self,
        user: FakeUser,
        modal_custom_id: str,
        values: Mapping[str, str],
        *,
        message: FakeMessage | int | None = None,
        locale: str = "en-US",
        forged_custom_id: str | None = None,
    ) -> Interaction:
        """Submit the modal the bot opened with ``modal_custom_id``.

        ``forged_custom_id`` is a tampered client: the submission carries that custom
        id instead of the modal's.
        """
        opener = self.find_open_modal(modal_custom_id)
        spec = opener.modal
        assert spec is not None
        if message is None and opener.source_message_id is not None:
            message = opener.source_message_id
        inter, payload = self._base_payload(
            MODAL_SUBMIT, user, opener.guild, opener.channel, locale=locale
        )
        payload["data"] = {
            "custom_id": forged_custom_id or modal_custom_id,
            "components": self._modal_components(spec, values),
        }
        inter.parent = opener
        if message is not None:
            msg = self.state.get_message(message if isinstance(message, int) else message.id)
            payload["message"] = msg.to_payload()
            inter.source_message_id = msg.id
        return await self._dispatch(inter)

    # ------------------------------------------------------------------ messages from users
    async def send_user_message(
        self, user: FakeUser, channel: FakeChannel, content: str
    ) -> FakeMessage:
        """A user posts ``content`` in ``channel`` (dispatched as MESSAGE_CREATE)."""
        msg = FakeMessage(
            id=new_snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild.id if channel.guild else None,
            author=user,
            content=content,
        )
        msg.snapshot("user")
        self.state.messages[msg.id] = msg
        payload = msg.to_payload()
        if channel.guild is not None:
            member = channel.guild.member(user).to_payload()
            member.pop("user")
            payload["member"] = member
        payload["timestamp"] = iso_timestamp(msg.id)
        await self.gateway.dispatch("MESSAGE_CREATE", payload)
        self.state.notify()
        return msg
