"""Acting as Slack users: the payloads of slash commands, clicks, submissions and events.

Each driver call sends one Socket Mode envelope and, by default, waits for the
app's ack; it returns an :class:`Action`, the handle on what followed.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import JSON, FakeChannel, FakeMessage, FakeUser, FakeView, find_buttons, new_id
from .socketmode import Envelope
from .webapi import new_key

if TYPE_CHECKING:
    from .server import FakeSlack

VERIFICATION_TOKEN = "fake-verification-token"
"""The deprecated ``token`` field every payload still carries."""


@dataclass(eq=False)
class Action:
    """What a driver call sent, the app's ack, and what the app did after it."""

    fake: FakeSlack
    envelope: Envelope
    user: FakeUser
    channel: FakeChannel | None = None
    #: The message clicked (its current state), for clicks on messages.
    message: FakeMessage | None = None
    #: The view clicked in or submitted (modal or Home tab).
    view: FakeView | None = None
    _versions_before: int = 0
    _messages_before: int = 0
    _views_before: int = 0
    _home_versions_before: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ the ack
    @property
    def acked(self) -> bool:
        """True once the app acknowledged the envelope."""
        return self.envelope.acked

    @property
    def ack(self) -> JSON | None:
        """The ack's payload (``None`` when the app acked without one)."""
        return self.envelope.ack_payload

    @property
    def ack_seconds(self) -> float | None:
        """Envelope → ack on the fake's clock: for reports and benches, never assert it."""
        return self.envelope.ack_seconds

    @property
    def trigger_id(self) -> str | None:
        """The trigger_id sent with the action (for views.open)."""
        trigger = self.envelope.payload.get("trigger_id")
        return str(trigger) if trigger else None

    @property
    def response_url(self) -> str | None:
        """The response_url sent with the action."""
        url = self.envelope.payload.get("response_url")
        return str(url) if url else None

    async def wait_ack(self, timeout: float = 5.0) -> JSON | None:
        """Wait for the ack; return its payload."""
        await self.fake.wait_until(
            lambda: self.envelope.acked, timeout=timeout, what=f"ack of {self.envelope.type}"
        )
        return self.ack

    # ------------------------------------------------------------------ what followed
    def replies(self) -> list[FakeMessage]:
        """Messages shown to the user for this action, oldest first: the ack's text,
        response_url posts (new or replacing) and ephemerals to the user posted since."""
        seen: list[FakeMessage] = []
        for message in self.envelope.messages:
            if message not in seen and not message.deleted:
                seen.append(message)
        for message in self.fake.messages[self._messages_before :]:
            if message.ephemeral_to is self.user and message not in seen and not message.deleted:
                seen.append(message)
        return seen

    def new_messages(self) -> list[FakeMessage]:
        """Every message posted since the action that the user can see (any channel)."""
        return [
            m
            for m in self.fake.messages[self._messages_before :]
            if not m.deleted and (m.ephemeral_to is None or m.ephemeral_to is self.user)
        ]

    def new_dm_messages(self) -> list[FakeMessage]:
        """Messages posted in the user's DM with the app since the action."""
        dm = self.fake.dms.get(self.user.id)
        return [m for m in self.new_messages() if dm is not None and m.channel is dm]

    async def wait_reply(self, index: int = 0, timeout: float = 5.0) -> FakeMessage:
        """Wait for reply number ``index`` (see :meth:`replies`) and return it."""

        def check() -> FakeMessage | None:
            replies = self.replies()
            return replies[index] if len(replies) > index else None

        return await self.fake.wait_until(check, timeout=timeout, what=f"reply #{index}")

    async def wait_dm(self, index: int = 0, timeout: float = 5.0) -> FakeMessage:
        """Wait for DM message number ``index`` posted since the action."""

        def check() -> FakeMessage | None:
            messages = self.new_dm_messages()
            return messages[index] if len(messages) > index else None

        return await self.fake.wait_until(check, timeout=timeout, what=f"DM message #{index}")

    async def wait_update(self, timeout: float = 5.0) -> FakeMessage:
        """Wait until the clicked message changed (chat.update or replace_original)."""
        message = self.message
        if message is None:
            raise ValueError("this action was not on a message")
        await self.fake.wait_until(
            lambda: len(message.versions) > self._versions_before or message.deleted,
            timeout=timeout,
            what=f"an update of message {message.ts}",
        )
        return message

    async def wait_view(self, timeout: float = 5.0) -> FakeView:
        """Wait for a modal opened with this action's trigger_id."""
        trigger = self.trigger_id

        def check() -> FakeView | None:
            return next((v for v in self.fake.views.values() if v.trigger_id == trigger), None)

        return await self.fake.wait_until(check, timeout=timeout, what="views.open with trigger")

    async def wait_view_change(self, timeout: float = 5.0) -> FakeView:
        """Wait until the view acted in (modal or Home tab) changed or closed."""
        view = self.view
        if view is None:
            raise ValueError("this action was not in a view")
        await self.fake.wait_until(
            lambda: len(view.versions) > self._views_before or view.closed,
            timeout=timeout,
            what=f"a change of view {view.id}",
        )
        return view

    async def wait_home(self, timeout: float = 5.0) -> FakeView:
        """Wait until the user's Home tab was published (again) since the action."""

        def check() -> FakeView | None:
            home = self.fake.homes.get(self.user.id)
            if home is not None and len(home.versions) > self._home_versions_before:
                return home
            return None

        return await self.fake.wait_until(check, timeout=timeout, what="views.publish")


class Driver:
    """Builds envelopes on behalf of users; mixed into :class:`~.server.FakeSlack`."""

    fake: FakeSlack

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake

    def _team(self) -> JSON:
        return {"id": self.fake.team_id, "domain": self.fake.team_domain}

    def _new_envelope(self, kind: str, payload: JSON, *, accepts: bool) -> Envelope:
        return Envelope(
            id=f"{new_id('E', 8).lower()}-{secrets.token_hex(4)}-{secrets.token_hex(6)}",
            type=kind,
            payload=payload,
            accepts_response_payload=accepts,
        )

    def _response_url(self, envelope: Envelope) -> str:
        key = new_key()
        self.fake.response_urls[key] = envelope
        return (
            f"{self.fake.base_url}/response/{key}/{self.fake.team_id}/{secrets.randbelow(10**12)}"
        )

    def _trigger(self, envelope: Envelope) -> str:
        trigger = self.fake.new_trigger_id()
        self.fake.triggers[trigger] = envelope
        return trigger

    def _action(self, envelope: Envelope, user: FakeUser, **kwargs: Any) -> Action:
        fake = self.fake
        message: FakeMessage | None = kwargs.get("message")
        view: FakeView | None = kwargs.get("view")
        home = fake.homes.get(user.id)
        envelope.context.update({"user": user, **kwargs})
        return Action(
            fake,
            envelope,
            user,
            _versions_before=len(message.versions) if message else 0,
            _messages_before=len(fake.messages),
            _views_before=len(view.versions) if view else 0,
            _home_versions_before=len(home.versions) if home else 0,
            **kwargs,
        )

    async def _send(self, action: Action, *, wait_ack: bool, timeout: float) -> Action:
        await self.fake.socket.send(action.envelope)
        self.fake.notify()
        if wait_ack:
            await action.wait_ack(timeout)
        return action

    # ------------------------------------------------------------------ slash commands
    def as_typed(self, text: str) -> str:
        """``text`` as a user typed it, the way Slack delivers it to a command with
        ``should_escape: true``: ``&``, ``<``, ``>`` as entities, ``#channel`` as
        ``<#C…|channel>``, ``@user`` as ``<@U…|user>``, ``@here`` as ``<!here>``."""
        fake = self.fake
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        channels = {c.name: c for c in fake.channels.values() if not c.is_im}
        users = {u.name: u for u in fake.users.values()}

        def channel(match: re.Match[str]) -> str:
            found = channels.get(match.group(1))
            return f"<#{found.id}|{found.name}>" if found else match.group(0)

        def user(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in ("here", "channel", "everyone"):
                return f"<!{name}>"
            found = users.get(name)
            return f"<@{found.id}|{found.name}>" if found else match.group(0)

        text = re.sub(r"(?<![\w&])#([a-z0-9_-]+)", channel, text)
        return re.sub(r"(?<![\w&])@([a-z0-9._-]+)", user, text)

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
        """``user`` runs ``command`` (``"/quiz"``) with ``text`` in ``channel`` (#general).

        ``text`` is sent as given (as Slack delivers it); ``typed=True`` takes it as
        the user typed it and escapes it as Slack does (see :meth:`as_typed`).
        """
        fake = self.fake
        channel = channel or fake.general
        if typed:
            text = self.as_typed(text)
        envelope = self._new_envelope("slash_commands", {}, accepts=True)
        envelope.payload.update(
            {
                "token": VERIFICATION_TOKEN,
                "team_id": fake.team_id,
                "team_domain": fake.team_domain,
                "channel_id": channel.id,
                "channel_name": "directmessage" if channel.is_im else channel.name,
                "user_id": user.id,
                "user_name": user.name,
                "command": command if command.startswith("/") else "/" + command,
                "text": text,
                "api_app_id": fake.app_id,
                "is_enterprise_install": "false",
                "response_url": self._response_url(envelope),
                "trigger_id": self._trigger(envelope),
            }
        )
        action = self._action(envelope, user, channel=channel)
        return await self._send(action, wait_ack=wait_ack, timeout=timeout)

    # ------------------------------------------------------------------ clicks
    @staticmethod
    def _find_button(buttons: list[JSON], button: str) -> JSON | None:
        for candidate in buttons:
            if candidate.get("action_id") == button:
                return candidate
        for candidate in buttons:
            if (candidate.get("text") or {}).get("text") == button:
                return candidate
        # "Good" finds "Good · 3d" (grade buttons show the interval after a middle dot).
        for candidate in buttons:
            if str((candidate.get("text") or {}).get("text", "")).startswith(button + " · "):
                return candidate
        return None

    async def click(
        self,
        user: FakeUser,
        target: FakeMessage | FakeView,
        button: str,
        *,
        as_of: int | None = None,
        forged_value: str | None = None,
        forged: bool = False,
        wait_ack: bool = True,
        timeout: float = 5.0,
    ) -> Action:
        """``user`` clicks ``button`` (an action_id or the button's text) on ``target``.

        A text also finds a button whose label goes on with `` · `` (``"Good"`` finds
        ``"Good · 3d"``).

        ``target`` is a message (ephemeral or not) or a view (modal, Home tab).
        ``as_of=n`` clicks the message as shown in ``message.versions[n]`` (a stale
        client). ``forged=True`` sends an action the target does not show
        (``button`` is then its action_id; ``forged_value`` its value): a tampered
        client. Raises LookupError if the button is not there.
        """
        fake = self.fake
        blocks = target.blocks
        if as_of is not None:
            if not isinstance(target, FakeMessage):
                raise ValueError("as_of is for messages")
            blocks = target.versions[as_of].blocks
        buttons = find_buttons(blocks)
        found = self._find_button(buttons, button)
        if forged:
            found = {
                "type": "button",
                "action_id": button,
                "block_id": "forged",
                "text": {"type": "plain_text", "text": "forged"},
                "value": forged_value if forged_value is not None else "",
            }
        if found is None:
            labels = [(b.get("action_id"), (b.get("text") or {}).get("text")) for b in buttons]
            raise LookupError(f"no button {button!r} (has {labels})")
        if isinstance(target, FakeMessage):
            if target.deleted:
                raise LookupError(f"message {target.ts} was deleted")
            if target.ephemeral_to is not None and target.ephemeral_to is not user:
                raise LookupError(f"{user.name} cannot see an ephemeral message of another user")
        action_payload: JSON = {
            "action_id": found["action_id"],
            "block_id": found.get("block_id") or secrets.token_hex(3),
            "text": copy.deepcopy(found.get("text")),
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }
        if "value" in found:
            action_payload["value"] = found["value"]
        if "style" in found:
            action_payload["style"] = found["style"]
        envelope = self._new_envelope("interactive", {}, accepts=False)
        payload: JSON = {
            "type": "block_actions",
            "user": user.to_payload_user(),
            "api_app_id": fake.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self._trigger(envelope),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [action_payload],
        }
        if isinstance(target, FakeMessage):
            channel = target.channel
            payload["container"] = {
                "type": "message",
                "message_ts": target.ts,
                "channel_id": channel.id,
                "is_ephemeral": target.ephemeral,
            }
            payload["channel"] = {
                "id": channel.id,
                "name": "directmessage" if channel.is_im else channel.name,
            }
            if not target.ephemeral:
                shown = target.to_payload(fake.bot_id, fake.app_id)
                shown["blocks"] = copy.deepcopy(blocks)
                payload["message"] = shown
            payload["response_url"] = self._response_url(envelope)
            envelope.payload.update(payload)
            action = self._action(envelope, user, channel=channel, message=target)
        else:
            payload["container"] = {"type": "view", "view_id": target.id}
            payload["view"] = fake.view_payload(target)
            envelope.payload.update(payload)
            action = self._action(envelope, user, view=target)
        return await self._send(action, wait_ack=wait_ack, timeout=timeout)

    # ------------------------------------------------------------------ modals
    @staticmethod
    def _state_values(view: FakeView, values: Mapping[str, str]) -> JSON:
        """``view.state.values`` with ``values`` (keyed by action_id or block_id) filled in."""
        state: JSON = {}
        used: set[str] = set()
        for block_id, element in view.inputs():
            action_id = str(element.get("action_id") or "")
            key = action_id if action_id in values else block_id if block_id in values else None
            value = values.get(key) if key is not None else None
            if key is not None:
                used.add(key)
            if value is None:
                value = element.get("initial_value")
            required = not next(
                (b.get("optional") for b in view.blocks if b.get("block_id") == block_id), False
            )
            if required and not value:
                raise ValueError(
                    f"input {action_id or block_id!r} is required; Slack would not submit"
                )
            if value is not None:
                if len(value) > int(element.get("max_length") or 3000):
                    raise ValueError(f"input {action_id!r} is longer than its max_length")
                if len(value) < int(element.get("min_length") or 0):
                    raise ValueError(f"input {action_id!r} is shorter than its min_length")
            state[block_id] = {
                action_id: {"type": element.get("type", "plain_text_input"), "value": value}
            }
        unknown = set(values) - used
        if unknown:
            raise LookupError(f"view {view.id} has no inputs {sorted(unknown)}")
        return state

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
        """``user`` submits ``view`` (default: their top open modal) with ``values``.

        ``values`` maps an input's action_id (or block_id) to its text. The ack is
        applied as Slack does: ``response_action`` ``errors`` keeps the modal open
        (``view.errors``), ``update``/``push``/``clear`` change the stack, no
        payload closes the modal.
        """
        fake = self.fake
        view = view or fake.modal(user)
        if view.closed:
            raise LookupError(f"view {view.id} is closed")
        if view.user is not user:
            raise LookupError(f"{user.name} cannot see {view.user.name}'s modal")
        state = self._state_values(view, values or {})
        envelope = self._new_envelope("interactive", {}, accepts=True)
        shown = view.to_payload(fake.team_id, fake.app_id, fake.bot_id, state)
        if forged_callback_id is not None:
            shown["callback_id"] = forged_callback_id
        envelope.payload.update(
            {
                "type": "view_submission",
                "team": self._team(),
                "user": user.to_payload_user(),
                "api_app_id": fake.app_id,
                "token": VERIFICATION_TOKEN,
                "trigger_id": self._trigger(envelope),
                "view": shown,
                "response_urls": [],
                "is_enterprise_install": False,
                "enterprise": None,
            }
        )
        action = self._action(envelope, user, view=view)
        return await self._send(action, wait_ack=wait_ack, timeout=timeout)

    async def close_view(self, user: FakeUser, view: FakeView | None = None) -> Action | None:
        """``user`` closes ``view`` with its Cancel button; ``view_closed`` is sent only if
        the view asked for it (``notify_on_close``)."""
        fake = self.fake
        view = view or fake.modal(user)
        view.closed = True
        fake.notify()
        if not view.view.get("notify_on_close"):
            return None
        envelope = self._new_envelope("interactive", {}, accepts=False)
        envelope.payload.update(
            {
                "type": "view_closed",
                "team": self._team(),
                "user": user.to_payload_user(),
                "api_app_id": fake.app_id,
                "token": VERIFICATION_TOKEN,
                "view": fake.view_payload(view),
                "is_cleared": False,
                "is_enterprise_install": False,
                "enterprise": None,
            }
        )
        return await self._send(self._action(envelope, user, view=view), wait_ack=True, timeout=5.0)

    # ------------------------------------------------------------------ events
    async def event(
        self, user: FakeUser, event: JSON, *, wait_ack: bool = True, timeout: float = 5.0
    ) -> Action:
        """Send an Events API event (``event`` is the inner ``event`` object)."""
        fake = self.fake
        envelope = self._new_envelope("events_api", {}, accepts=False)
        envelope.payload.update(
            {
                "token": VERIFICATION_TOKEN,
                "team_id": fake.team_id,
                "context_team_id": fake.team_id,
                "api_app_id": fake.app_id,
                "event": event,
                "type": "event_callback",
                "event_id": new_id("Ev", 10),
                "event_time": int(time.time()),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": fake.team_id,
                        "user_id": fake.bot_user.id,
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
                "event_context": f"4-{secrets.token_urlsafe(24)}",
            }
        )
        action = self._action(envelope, user)
        return await self._send(action, wait_ack=wait_ack, timeout=timeout)

    async def open_home(
        self, user: FakeUser, *, wait_ack: bool = True, timeout: float = 5.0
    ) -> Action:
        """``user`` opens the app's Home tab (``app_home_opened``)."""
        fake = self.fake
        event: JSON = {
            "type": "app_home_opened",
            "user": user.id,
            "channel": fake.dm(user).id,
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        home = fake.homes.get(user.id)
        if home is not None:
            event["view"] = fake.view_payload(home)
        return await self.event(user, event, wait_ack=wait_ack, timeout=timeout)
