"""Coalesced, paced refreshes: at most one refresh of a key per interval, latest state wins.

Plain Python (no discord import). A channel game's public message shows how many
have answered; two hundred answers in two seconds must not become two hundred edits
of one message (Discord allows about five edits per five seconds per channel, and
each 429 costs a wait). Each answer :meth:`EditPacer.poke` s its message's key. The
first poke refreshes at once; pokes that come while a refresh runs or during the
``interval`` after it ended are coalesced into ONE more refresh, which reads the
state as it is then. The interval counts from the END of a refresh, so that two
edit requests are ``interval`` apart however long the reading before each one took;
and the last poke is always followed by a refresh that sees it.

The refresh callback reads its state from the database, so a refresh that fails (a
429 that outlasted discord.py's own retries, a network error) loses nothing: it is
tried again an interval later, up to ``max_failures`` times in a row.

Time is injected (``sleep``) for the tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)

__all__ = ["EditPacer"]


class EditPacer(Generic[K]):
    """Runs ``refresh(key)`` for a key at most once per ``interval`` (end of one to start
    of the next), coalescing pokes."""

    def __init__(
        self,
        refresh: Callable[[K], Awaitable[None]],
        *,
        interval: float = 1.0,
        max_failures: int = 5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._refresh = refresh
        self.interval = interval
        self.max_failures = max_failures
        self._sleep = sleep
        self._dirty: set[K] = set()
        self._tasks: dict[K, asyncio.Task[None]] = {}
        self.refreshes = 0
        """Refreshes started (for benches and tests)."""
        self.failures = 0
        """Refreshes that raised."""

    def poke(self, key: K) -> None:
        """Ask for a refresh of ``key``: now if none ran in the last interval, else once
        the interval is over."""
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.get_running_loop().create_task(self._run(key))

    @property
    def busy(self) -> bool:
        """True while some key has a refresh running or due."""
        return bool(self._tasks)

    async def drain(self) -> None:
        """Wait until every poke so far was followed by a refresh (or given up)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        """Cancel pending refreshes (on shutdown: the state is in the database)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._dirty.clear()

    async def _run(self, key: K) -> None:
        failures = 0
        try:
            while key in self._dirty:
                self._dirty.discard(key)
                self.refreshes += 1
                try:
                    await self._refresh(key)
                    failures = 0
                except Exception:
                    self.failures += 1
                    failures += 1
                    log.warning("refresh of %r failed (%d in a row)", key, failures, exc_info=True)
                    if failures < self.max_failures:
                        self._dirty.add(key)  # the state is in the database: try again
                # Wait out the interval even when nothing is pending, so that a poke
                # arriving just after a refresh waits for it too.
                await self._sleep(self.interval)
        finally:
            self._tasks.pop(key, None)
