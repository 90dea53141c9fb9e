"""Who a Slack user is, from ``users.info``: admin or not, and the name lists show.

"Admins" are the workspace's admins and owners: ``is_admin``, ``is_owner`` or
``is_primary_owner`` in the ``users.info`` answer (SPEC "Slack"). Every admin
command and admin button asks :meth:`Directory.is_admin` again; the answer is cached
for at most :data:`ADMIN_TTL` seconds, so a demoted admin keeps their powers for at
most a minute and a busy admin does not cost a Web API call per click.

Failing closed: a ``users.info`` that fails (an error, a rate limit, a timeout, an
answer without a user) refuses, and is not cached, so the next try asks again. A
deactivated account (``deleted``) is never an admin.

Time is injected (``clock``, in seconds, monotonic), so tests move it by hand.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ADMIN_TTL", "Directory", "LookupFailed", "SlackUser", "UsersInfoClient", "user_from"]

log = logging.getLogger(__name__)

ADMIN_TTL = 60.0
"""Seconds a ``users.info`` answer is trusted: the spec allows a cache of a minute."""

CACHE_MAX = 10_000
"""Users kept at most; past it, expired entries go first, then the oldest."""

LOOKUP_TIMEOUT = 2.5
"""Seconds a look-up may take: an admin command must still be answered within 3 s."""


class UsersInfoClient(Protocol):
    """The part of ``slack_sdk``'s ``AsyncWebClient`` the directory uses."""

    async def users_info(self, *, user: str) -> Any:
        """``users.info``: a response whose ``["user"]`` is the user object."""
        ...


class LookupFailed(Exception):
    """``users.info`` gave no usable answer (the error is in the message)."""


@dataclass(frozen=True, slots=True)
class SlackUser:
    """What Recall needs of a Slack user object."""

    id: str
    admin: bool
    """``is_admin``, ``is_owner`` or ``is_primary_owner``, and not deactivated."""
    name: str
    """The name lists show: display name, else real name, else the user name, else the id."""
    tz: str | None
    deleted: bool
    team: str | None = None
    """The user's home workspace (``team_id``); another one in a Slack Connect channel."""


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def user_from(payload: Mapping[str, Any]) -> SlackUser:
    """A :class:`SlackUser` from a ``users.info`` user object.

    Raises :class:`LookupFailed` when it has no id. Flags are true only when Slack
    says ``true``: a missing or odd value grants nothing.
    """
    user_id = _text(payload.get("id"))
    if not user_id:
        raise LookupFailed("users.info returned a user without an id")
    profile = payload.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    deleted = payload.get("deleted") is True
    admin = not deleted and any(
        payload.get(flag) is True for flag in ("is_admin", "is_owner", "is_primary_owner")
    )
    name = (
        _text(profile.get("display_name"))
        or _text(profile.get("real_name"))
        or _text(payload.get("real_name"))
        or _text(payload.get("name"))
        or user_id
    )
    tz = _text(payload.get("tz")) or None
    team = _text(payload.get("team_id")) or None
    return SlackUser(id=user_id, admin=admin, name=name, tz=tz, deleted=deleted, team=team)


class Directory:
    """``users.info`` answers cached for at most ``ttl`` seconds (capped at a minute)."""

    def __init__(
        self,
        client: UsersInfoClient,
        *,
        ttl: float = ADMIN_TTL,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = LOOKUP_TIMEOUT,
    ) -> None:
        if ttl < 0:
            raise ValueError(f"ttl must not be negative, got {ttl!r}")
        self.client = client
        self.ttl = min(ttl, ADMIN_TTL)
        self.timeout = timeout
        self._clock = clock
        self._cache: dict[str, tuple[float, SlackUser]] = {}
        self.calls = 0
        """``users.info`` calls made (cache misses), for tests and logs."""

    def forget(self, user_id: str | None = None) -> None:
        """Drop one user's cached answer, or every one."""
        if user_id is None:
            self._cache.clear()
        else:
            self._cache.pop(user_id, None)

    def cached(self, user_id: str) -> SlackUser | None:
        """The cached answer for ``user_id`` if still fresh, without asking Slack."""
        entry = self._cache.get(user_id)
        if entry is None:
            return None
        if self._clock() >= entry[0]:
            del self._cache[user_id]
            return None
        return entry[1]

    async def lookup(self, user_id: str) -> SlackUser:
        """The user, from the cache or ``users.info``. Raises :class:`LookupFailed`."""
        found = self.cached(user_id)
        if found is not None:
            return found
        self.calls += 1
        try:
            async with asyncio.timeout(self.timeout):
                response = await self.client.users_info(user=user_id)
            payload = response["user"]
        except LookupFailed:
            raise
        except Exception as exc:
            # Whatever went wrong (SlackApiError, a rate limit, the network, a malformed
            # answer), nobody is granted anything on it, and nothing is cached.
            raise LookupFailed(f"users.info for {user_id} failed: {exc!r}"[:300]) from exc
        if not isinstance(payload, Mapping):
            raise LookupFailed(f"users.info for {user_id} returned no user object")
        user = user_from(payload)
        if user.id != user_id:
            raise LookupFailed(f"users.info for {user_id} answered for {user.id}")
        self._store(user)
        return user

    def _store(self, user: SlackUser) -> None:
        now = self._clock()
        if len(self._cache) >= CACHE_MAX:
            for key in [k for k, (expires, _) in self._cache.items() if expires <= now]:
                del self._cache[key]
            while len(self._cache) >= CACHE_MAX:
                del self._cache[next(iter(self._cache))]  # dicts keep insertion order
        self._cache[user.id] = (now + self.ttl, user)

    async def is_admin(self, user_id: str, team_id: str | None = None) -> bool:
        """Whether ``user_id`` is a workspace admin or owner now; False if Slack can't say.

        With ``team_id`` (the workspace asking), a user whose home workspace is another
        one is refused: in a Slack Connect channel, ``is_admin`` speaks of *their*
        organisation, not of this one.
        """
        try:
            user = await self.lookup(user_id)
        except LookupFailed as exc:
            log.warning("admin check refused: %s", exc)
            return False
        if team_id is not None and user.team is not None and user.team != team_id:
            return False
        return user.admin

    async def name(self, user_id: str) -> str | None:
        """The name to show for ``user_id``, or None when it cannot be looked up."""
        try:
            return (await self.lookup(user_id)).name
        except LookupFailed as exc:
            log.info("no name for %s: %s", user_id, exc)
            return None
