"""A learner's own settings and their right to be forgotten."""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.learner import Identity
from bot.core.timezones import parse_zone
from bot.storage import daily, learners
from bot.storage.script import Script
from bot.storage.store import Store


class LearnerService:
    """Time zone and forget-me, for every front end."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def set_time_zone(self, who: Identity, zone: str) -> str:
        """Set the learner's IANA zone (raises ``InvalidTimeZone``); the zone's key."""
        key = parse_zone(zone).key
        now = self.clock()

        def change() -> Script[None]:
            learner = yield from learners.ensure(who, now)
            yield from learners.set_time_zone(learner.id, key)

        await self.store.write(change())
        return key

    async def forget(self, who: Identity) -> bool:
        """Delete everything Recall holds about the learner, in one transaction.

        Their daily-question answers leave the posts' public counts first; the rows
        themselves go with the learner by cascade. False when there was nothing.
        """

        def forget() -> Script[bool]:
            learner = yield from learners.find(who)
            if learner is None:
                return False
            yield from daily.forget_answers(learner.id)
            return (yield from learners.delete(learner.id))

        return await self.store.write(forget())


__all__ = ["LearnerService"]
