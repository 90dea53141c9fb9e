"""Interaction handles: what a test gets back after ``fake.slash()``/``click()``/….

One :class:`Interaction` object is both the fake's server-side record (id, token,
callback, original response message, followups) and the test-facing handle with
async wait helpers.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import JSON, FakeChannel, FakeGuild, FakeMessage, FakeUser
from .state import FakeDiscordTimeout

if TYPE_CHECKING:
    from .state import DiscordState, UploadedFile

#: Interaction types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5

#: Callback (response) types.
PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9


@dataclass
class InteractionCallback:
    """The bot's (first and only accepted) response to an interaction."""

    type: int
    data: JSON
    files: list[UploadedFile]
    #: Seconds from dispatching the interaction to receiving this callback.
    elapsed: float
    #: Received after the deadline (``FakeDiscord.interaction_timeout``): Discord would
    #: have refused it. Recorded, not refused, unless ``enforce_deadline`` is set.
    late: bool = False

    @property
    def ephemeral(self) -> bool:
        """True if the response asked for an ephemeral message."""
        return bool(int(self.data.get("flags") or 0) & 64)


@dataclass
class ModalSpec:
    """A modal the bot opened (callback type 9)."""

    custom_id: str
    title: str
    #: The raw top-level components (action rows or Label components).
    components: list[JSON]

    @property
    def text_inputs(self) -> dict[str, JSON]:
        """Text input components (type 4) by custom_id, whatever wraps them."""
        found: dict[str, JSON] = {}

        def walk(items: list[JSON]) -> None:
            for item in items:
                if item.get("type") == 4:
                    found[item["custom_id"]] = item
                walk(item.get("components") or [])
                if "component" in item:
                    walk([item["component"]])

        walk(self.components)
        return found


@dataclass(eq=False)
class Interaction:
    """An interaction the fake dispatched, and everything the bot did in reply."""

    state: DiscordState = field(repr=False)
    id: int
    token: str
    type: int
    user: FakeUser
    guild: FakeGuild | None
    channel: FakeChannel
    #: The full INTERACTION_CREATE payload that was dispatched.
    payload: JSON = field(repr=False)
    dispatched_at: float = field(default_factory=time.monotonic)
    #: For component / modal-from-component interactions: the message clicked.
    source_message_id: int | None = None
    #: The interaction that opened the modal (for modal submits).
    parent: Interaction | None = field(default=None, repr=False)
    callback: InteractionCallback | None = None
    #: Every callback attempt that reached the handler (duplicates get 40060).
    callback_attempts: int = 0
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    #: Number of PATCHes to @original / the source message after the callback.
    edits_after_callback: int = 0
    #: Futures of :meth:`response` callers, resolved by :meth:`mark_responded`. Each
    #: waiter has its own, so hundreds of concurrent learners do not all wake up on
    #: every change of the fake (which made the fake, not the bot, the bottleneck).
    _waiters: list[asyncio.Future[None]] = field(default_factory=list, repr=False)

    def mark_responded(self) -> None:
        """Wake the :meth:`response` waiters (called once the callback is recorded)."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    # ------------------------------------------------------------------ payload helpers
    def metadata_payload(self) -> JSON:
        """``interaction_metadata`` for messages created by this interaction."""
        meta: JSON = {
            "id": str(self.id),
            "type": self.type,
            "user": self.user.to_payload(),
            "authorizing_integration_owners": self.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        if self.original_message_id is not None:
            meta["original_response_message_id"] = str(self.original_message_id)
        if self.type == MESSAGE_COMPONENT and self.source_message_id is not None:
            meta["interacted_message_id"] = str(self.source_message_id)
        return meta

    # ------------------------------------------------------------------ inspection
    @property
    def responded(self) -> bool:
        """True once a callback was accepted."""
        return self.callback is not None

    @property
    def modal(self) -> ModalSpec | None:
        """The modal opened by a type-9 response, if any."""
        if self.callback is None or self.callback.type != MODAL:
            return None
        data = self.callback.data
        return ModalSpec(data["custom_id"], data.get("title", ""), list(data.get("components", [])))

    @property
    def choices(self) -> list[JSON] | None:
        """Autocomplete choices of a type-8 response, if any."""
        if self.callback is None or self.callback.type != AUTOCOMPLETE_RESULT:
            return None
        return list(self.callback.data.get("choices", []))

    def message(self) -> FakeMessage | None:
        """Current state of the original response message (after later edits), if any."""
        if self.original_message_id is None:
            return None
        return self.state.messages.get(self.original_message_id)

    @property
    def followups(self) -> list[FakeMessage]:
        """Follow-up messages, oldest first (current state)."""
        return [self.state.messages[i] for i in self.followup_ids]

    # ------------------------------------------------------------------ waiting
    async def response(self, timeout: float = 5.0) -> InteractionCallback:
        """Wait for the bot's interaction callback and return it."""
        if self.callback is None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(timeout):
                    await waiter
            except TimeoutError:
                recent = ", ".join(repr(r) for r in self.state.requests[-8:])
                raise FakeDiscordTimeout(
                    f"timed out after {timeout}s waiting for a response to interaction "
                    f"{self.id}; recent requests: [{recent}]"
                ) from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        assert self.callback is not None
        return self.callback

    async def wait_followup(self, index: int = 0, timeout: float = 5.0) -> FakeMessage:
        """Wait for followup number ``index`` (0-based) and return it."""

        def check() -> FakeMessage | None:
            if len(self.followup_ids) > index:
                return self.state.messages[self.followup_ids[index]]
            return None

        return await self.state.wait_until(
            check, timeout=timeout, what=f"followup #{index} of interaction {self.id}"
        )

    async def wait_done(self, timeout: float = 5.0) -> FakeMessage | None:
        """Wait until the interaction produced its visible result.

        * type 4/7 → returns the (created/updated) message right away;
        * type 5 (defer/thinking) → waits until the placeholder is edited or the
          first followup replaces it;
        * type 6 (deferred update) → waits for an edit of the message or a followup;
        * type 8/9/1 → returns ``None`` once the callback arrived.
        """
        callback = await self.response(timeout=timeout)
        if callback.type in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            return self.message()
        if callback.type == DEFERRED_CHANNEL_MESSAGE:

            def loaded() -> FakeMessage | None:
                msg = self.message()
                return msg if msg is not None and not msg.loading else None

            return await self.state.wait_until(
                loaded, timeout=timeout, what=f"deferred interaction {self.id} to be completed"
            )
        if callback.type == DEFERRED_UPDATE_MESSAGE:

            def updated() -> FakeMessage | None:
                if self.followup_ids:
                    return self.state.messages[self.followup_ids[-1]]
                if self.edits_after_callback:
                    return self.message()
                return None

            return await self.state.wait_until(
                updated, timeout=timeout, what=f"deferred update {self.id} to edit or follow up"
            )
        return None


def option_value(value: Any) -> Any:
    """Turn fake model objects passed as option values into their snowflake strings."""
    if hasattr(value, "id") and not isinstance(value, (str, int, float, bool)):
        return str(value.id)
    return value
