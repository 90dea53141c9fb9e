"""Fault injection rules: 429 rate limits and arbitrary error responses."""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class FaultRule:
    """Base for rules matching ``method`` + a regex searched in the API-relative path."""

    method: str
    pattern: re.Pattern[str]
    #: How many more requests to hit; ``None`` means forever.
    remaining: int | None
    #: How many requests this rule has answered so far.
    hits: int = 0
    #: At most this many hits per distinct path (``None``: no per-path limit). With
    #: ``remaining=None`` this makes a storm where every request is refused exactly
    #: ``per_path`` times before it goes through, whatever the concurrency.
    per_path: int | None = None
    path_hits: dict[str, int] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        """True if this rule applies to the request and is not used up."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if self.per_path is not None and self.path_hits.get(path, 0) >= self.per_path:
            return False
        return self.pattern.search(path) is not None

    def consume(self, path: str = "") -> None:
        """Count one use of the rule (for ``path``)."""
        self.hits += 1
        self.path_hits[path] = self.path_hits.get(path, 0) + 1
        if self.remaining is not None:
            self.remaining -= 1

    def build_response(self) -> web.Response:  # pragma: no cover - abstract
        """The response to return instead of the real handler's."""
        raise NotImplementedError


@dataclass
class RateLimitRule(FaultRule):
    """Answer with a 429 that discord.py honours (it retries after ``retry_after``)."""

    retry_after: float = 0.2
    is_global: bool = False
    scope: str = "user"

    def build_response(self) -> web.Response:
        """A 429 shaped like Discord's: JSON body plus the headers discord.py checks.

        discord.py treats a 429 *without* a ``Via`` header as a Cloudflare ban and
        raises instead of retrying, so ``Via`` is mandatory here.
        """
        body = {
            "message": "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": self.is_global,
            "code": 0,
        }
        headers = {
            "Content-Type": "application/json",
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(self.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": "fakediscord-bucket",
            "X-RateLimit-Scope": self.scope,
        }
        if self.is_global:
            headers["X-RateLimit-Global"] = "true"
        return web.Response(status=429, body=json.dumps(body).encode(), headers=headers)


@dataclass
class FailRule(FaultRule):
    """Answer with an arbitrary Discord JSON error (e.g. 403/50007 for closed DMs)."""

    status: int = 403
    code: int = 50007
    message: str = "Cannot send messages to this user"

    def build_response(self) -> web.Response:
        """A JSON error response ``{"message", "code"}``."""
        body = {"message": self.message, "code": self.code}
        return web.Response(
            status=self.status,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
