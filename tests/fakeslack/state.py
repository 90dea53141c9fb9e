"""The fake Slack's state: the workspace, what the app sent, and sleep-free waiting.

Every mutation calls :meth:`SlackState.notify`, so :meth:`SlackState.wait_until`
wakes up at once instead of polling with sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .checks import FakeSlackProblem, ForbiddenMention, mention_problems
from .models import (
    JSON,
    FakeChannel,
    FakeFile,
    FakeMessage,
    FakeUser,
    FakeView,
    RecordedCall,
    SentPayload,
    new_id,
)

if TYPE_CHECKING:
    from .socketmode import Envelope

T = TypeVar("T")

BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"


class FakeSlackTimeout(AssertionError):
    """A wait helper timed out (an AssertionError, so pytest shows it as a failure)."""


class SlackState:
    """Users, channels, messages, views, files, envelopes and the request log."""

    def __init__(
        self,
        *,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        team_name: str = "Study Hall",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: The fake's own clock (seconds): ack latencies and call times are read on it.
        #: Reports and benches only; tests never assert a duration.
        self.clock = clock
        self.bot_token = bot_token
        self.app_token = app_token
        #: Tokens that were revoked (the app was removed): every call gets token_revoked.
        self.revoked: set[str] = set()
        self.team_id = new_id("T")
        self.team_name = team_name
        self.team_domain = "study-hall"
        self.app_id = new_id("A")
        self.bot_id = new_id("B")
        self.bot_user = FakeUser(new_id("U"), "recall", self.team_id, is_bot=True)
        self.users: dict[str, FakeUser] = {self.bot_user.id: self.bot_user}
        self.channels: dict[str, FakeChannel] = {}
        #: The app's DM channel with each user id (conversations.open is stable).
        self.dms: dict[str, FakeChannel] = {}
        #: Every message, ephemeral ones too, in posting order.
        self.messages: list[FakeMessage] = []
        self._by_ts: dict[tuple[str, str], FakeMessage] = {}
        self.views: dict[str, FakeView] = {}
        #: The Home tab last published for each user id.
        self.homes: dict[str, FakeView] = {}
        self.uploads: dict[str, FakeFile] = {}
        #: Every Web API request, response_url POST and upload POST, in arrival order.
        self.calls: list[RecordedCall] = []
        #: Everything the app sent that a user could see (checked at teardown).
        self.sent: list[SentPayload] = []
        #: Envelopes sent over Socket Mode, by envelope id.
        self.envelopes: dict[str, Envelope] = {}
        #: Acks whose envelope_id the fake never sent, or that came twice.
        self.stray_acks: list[JSON] = []
        #: Ack payloads Slack would refuse (bad response_action, invalid blocks…).
        self.ack_problems: list[str] = []
        #: trigger_id → the envelope it came with; used triggers are removed.
        self.triggers: dict[str, Envelope] = {}
        self.used_triggers: set[str] = set()
        #: response_url token → the envelope it came with.
        self.response_urls: dict[str, Envelope] = {}
        #: With a value: chat.postMessage to a channel less than this many seconds (fake's
        #: clock) after the previous one there is answered 429 (see limit_channel_posts).
        self.post_interval: float | None = None
        self.last_post_at: dict[str, float] = {}
        #: With a value: views.open/push refuse a trigger_id older than this many seconds
        #: on the fake's clock (Slack: 3) with ``expired_trigger_id``. Off by default, so
        #: that a slow machine never fails a test; give the fake a manual clock to use it.
        self.trigger_ttl: float | None = None
        self._ts_counter = 0
        self._ts_base = int(time.time())
        self._changed = asyncio.Event()
        self.general = self.create_channel("general")

    # ------------------------------------------------------------------ world
    def add_user(
        self,
        name: str,
        *,
        admin: bool = False,
        owner: bool = False,
        primary_owner: bool = False,
        tz: str = "Europe/Paris",
        tz_offset: int = 3600,
        real_name: str = "",
    ) -> FakeUser:
        """A new workspace member (``admin``/``owner``/``primary_owner`` as users.info says)."""
        user = FakeUser(
            new_id("U"),
            name,
            self.team_id,
            real_name=real_name or name.title(),
            tz=tz,
            tz_offset=tz_offset,
            is_admin=admin or owner or primary_owner,
            is_owner=owner or primary_owner,
            is_primary_owner=primary_owner,
        )
        self.users[user.id] = user
        return user

    def create_channel(self, name: str) -> FakeChannel:
        """A new public channel."""
        channel = FakeChannel(new_id("C"), name)
        self.channels[channel.id] = channel
        return channel

    def dm(self, user: FakeUser) -> FakeChannel:
        """The app's DM channel with ``user`` (created on first use, then always the same)."""
        channel = self.dms.get(user.id)
        if channel is None:
            channel = FakeChannel(new_id("D"), user.id, user=user)
            self.dms[user.id] = channel
            self.channels[channel.id] = channel
        return channel

    def deactivate(self, user: FakeUser) -> None:
        """Deactivate ``user``: users.info says deleted, conversations.open answers
        ``user_disabled`` and posting in their DM ``is_archived``."""
        user.deleted = True
        self.notify()

    def revoke_tokens(self) -> None:
        """The app was removed from the workspace: every call answers ``token_revoked``."""
        self.revoked |= {self.bot_token, self.app_token}

    def user(self, user_id: str) -> FakeUser:
        """The user with this id (KeyError if none)."""
        return self.users[user_id]

    def next_ts(self) -> str:
        """A message timestamp, increasing across the whole workspace."""
        self._ts_counter += 1
        seconds, micros = divmod(self._ts_counter, 1_000_000)
        return f"{self._ts_base + seconds}.{micros:06d}"

    def new_trigger_id(self) -> str:
        """A trigger id shaped like Slack's."""
        return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**13)}.{secrets.token_hex(16)}"

    def post(
        self,
        channel: FakeChannel,
        text: str,
        blocks: list[JSON],
        *,
        source: str,
        ephemeral_to: FakeUser | None = None,
        response_type: str | None = None,
        thread_ts: str | None = None,
        author: FakeUser | None = None,
    ) -> FakeMessage:
        """Add a message to ``channel`` (as the app unless ``author``)."""
        message = FakeMessage(
            channel=channel,
            ts=self.next_ts(),
            text="",
            blocks=[],
            user=author or self.bot_user,
            thread_ts=thread_ts,
            ephemeral_to=ephemeral_to,
            response_type=response_type,
        )
        message.set(text, blocks, source)
        self.messages.append(message)
        self._by_ts[(channel.id, message.ts)] = message
        self.notify()
        return message

    def on_ack(self, envelope: Envelope) -> None:
        """What Slack does with an ack's payload (shown by :class:`~.server.FakeSlack`)."""

    # ------------------------------------------------------------------ queries
    def channel_messages(
        self, channel: FakeChannel, *, ephemeral: bool | None = None
    ) -> list[FakeMessage]:
        """Messages in ``channel`` (not deleted), oldest first; ``ephemeral`` filters."""
        return [
            m
            for m in self.messages
            if m.channel is channel
            and not m.deleted
            and (ephemeral is None or m.ephemeral == ephemeral)
        ]

    def dm_messages(self, user: FakeUser) -> list[FakeMessage]:
        """What the app posted in its DM with ``user``, oldest first (current state)."""
        channel = self.dms.get(user.id)
        return [] if channel is None else self.channel_messages(channel)

    def ephemerals(self, user: FakeUser) -> list[FakeMessage]:
        """Ephemeral messages ``user`` was shown, anywhere, oldest first."""
        return [m for m in self.messages if m.ephemeral_to is user and not m.deleted]

    def find_message(self, channel_id: str, ts: str) -> FakeMessage | None:
        """The message ``ts`` in channel ``channel_id``, if any."""
        return self._by_ts.get((channel_id, ts))

    def home(self, user: FakeUser) -> FakeView | None:
        """The Home tab last published for ``user``."""
        return self.homes.get(user.id)

    def open_modals(self, user: FakeUser) -> list[FakeView]:
        """Modals open for ``user``, oldest first."""
        return [
            v for v in self.views.values() if v.user is user and v.type == "modal" and not v.closed
        ]

    def modal(self, user: FakeUser) -> FakeView:
        """The top open modal of ``user`` (LookupError if none)."""
        modals = self.open_modals(user)
        if not modals:
            raise LookupError(f"{user.name} has no open modal")
        return modals[-1]

    def files(self, channel: FakeChannel | None = None) -> list[FakeFile]:
        """Files shared (upload completed), optionally only in ``channel``."""
        return [
            f
            for f in self.uploads.values()
            if f.completed and (channel is None or f.channel is channel)
        ]

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one method (``chat.update``, ``response_url``, …)."""
        return [c for c in self.calls if c.method == method]

    # ------------------------------------------------------------------ checks
    def record_sent(self, kind: str, body: JSON) -> None:
        """Keep ``body`` for the teardown check."""
        self.sent.append(SentPayload(kind, body))

    def mention_problems(self) -> list[str]:
        """Every reason something sent could notify people."""
        return [p for sent in self.sent for p in mention_problems(sent)]

    def problems(self) -> list[str]:
        """Everything the teardown check fails on: mentions, stray or duplicate acks and
        ack payloads Slack would refuse."""
        found = self.mention_problems()
        found += [f"ack for an unknown or already acked envelope: {a}" for a in self.stray_acks]
        found += self.ack_problems
        return found

    def check(self) -> None:
        """Raise :class:`ForbiddenMention` / :class:`FakeSlackProblem` if :meth:`problems`."""
        mentions = self.mention_problems()
        if mentions:
            raise ForbiddenMention("the app sent mentions:\n" + "\n".join(mentions))
        others = self.problems()
        if others:
            raise FakeSlackProblem("\n".join(others))

    # ------------------------------------------------------------------ waiting
    def notify(self) -> None:
        """Wake every waiter; called after each state change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self, check: Callable[[], T | None], *, timeout: float = 5.0, what: str = "condition"
    ) -> T:
        """Wait until ``check()`` returns something other than ``None``/``False``; return it.

        Raises :class:`FakeSlackTimeout` with the recent calls on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = check()
            if value is not None and value is not False:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(repr(c) for c in self.calls[-10:])
                raise FakeSlackTimeout(
                    f"timed out after {timeout}s waiting for {what}; recent calls: [{recent}]"
                )
            event = self._changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()
