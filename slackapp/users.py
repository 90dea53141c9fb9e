"""Slack users as ``users.info`` describes them, cached for at most a minute.

The learner flows read a user's ``tz`` (their zone on first contact); the admin
commands read ``is_admin``/``is_owner``/``is_primary_owner`` on every command and
button. SPEC allows a cache of at most a minute, so that a burst of clicks does not
spend Slack's ``users.info`` rate limit; a demoted admin loses access within it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.clock import Clock

CACHE_FOR: Final = timedelta(seconds=60)
CACHE_MAX: Final = 10_000
"""Entries kept at most: past it the cache is emptied (it is only a cache)."""


@dataclass(frozen=True, slots=True)
class SlackUser:
    """What Recall uses of a Slack user."""

    id: str
    tz: str | None
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    deleted: bool = False
    is_bot: bool = False

    @property
    def is_workspace_admin(self) -> bool:
        """A workspace admin or owner (SPEC's "admins")."""
        return self.is_admin or self.is_owner or self.is_primary_owner

    @classmethod
    def from_api(cls, user: dict[str, Any]) -> SlackUser:
        """From the ``user`` object of ``users.info``."""
        tz = user.get("tz")
        return cls(
            id=str(user.get("id", "")),
            tz=tz if isinstance(tz, str) and tz else None,
            is_admin=bool(user.get("is_admin")),
            is_owner=bool(user.get("is_owner")),
            is_primary_owner=bool(user.get("is_primary_owner")),
            deleted=bool(user.get("deleted")),
            is_bot=bool(user.get("is_bot")),
        )


class UserDirectory:
    """``users.info`` with a cache of :data:`CACHE_FOR` per user."""

    def __init__(self, client: AsyncWebClient, clock: Clock, ttl: timedelta = CACHE_FOR) -> None:
        self.client = client
        self.clock = clock
        self.ttl = ttl
        self._cache: dict[str, tuple[datetime, SlackUser]] = {}

    async def get(self, user_id: str, *, fresh: bool = False) -> SlackUser:
        """The user (raises ``slack_sdk.errors.SlackApiError`` when Slack refuses)."""
        now = self.clock()
        cached = self._cache.get(user_id)
        if cached is not None and not fresh and now - cached[0] < self.ttl:
            return cached[1]
        response = await self.client.users_info(user=user_id)
        user = SlackUser.from_api(dict(response.get("user") or {}))
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[user_id] = (now, user)
        return user

    def forget(self, user_id: str) -> None:
        """Drop a user from the cache."""
        self._cache.pop(user_id, None)


__all__ = ["CACHE_FOR", "SlackUser", "UserDirectory"]
