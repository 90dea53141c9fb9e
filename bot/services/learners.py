"""A learner's own settings and their right to be forgotten."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.due import due_cutoff
from bot.core.learner import Identity, Learner
from bot.core.timezones import parse_zone
from bot.storage import card_states, daily, learners, server_decks
from bot.storage.script import Script
from bot.storage.store import Store


@dataclass(frozen=True, slots=True)
class Standing:
    """A learner as they stand now: None before their first answer."""

    learner: Learner | None
    due_now: int


class LearnerService:
    """Time zone (set, or adopted from the platform on first contact) and forget-me, for
    every front end."""

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

    async def known(self, who: Identity) -> bool:
        """True once the learner has a row (they used Recall before)."""
        return (await self.store.read(learners.find(who))) is not None

    async def adopt_time_zone(self, who: Identity, zone: str) -> bool:
        """On first contact: create the learner in ``zone``, the zone their platform
        reports (Slack's ``tz``). A learner who already exists keeps theirs, so a zone
        set with ``/quiz timezone`` is never overwritten. True if the learner was
        created; raises ``InvalidTimeZone`` (nothing stored) for an unknown zone.
        """
        key = parse_zone(zone).key
        now = self.clock()

        def adopt() -> Script[bool]:
            existing = yield from learners.find(who)
            if existing is not None:
                return False
            learner = yield from learners.ensure(who, now)
            yield from learners.set_time_zone(learner.id, key)
            return True

        return await self.store.write(adopt())

    async def standing(self, who: Identity) -> Standing:
        """The learner and how many of their cards are due now (one snapshot)."""
        now = self.clock()

        def read() -> Script[Standing]:
            learner = yield from learners.find(who)
            due = (
                0
                if learner is None
                else (yield from card_states.count_due(learner.id, due_cutoff(now)))
            )
            return Standing(learner, due)

        return await self.store.read(read())

    async def forget(self, who: Identity) -> bool:
        """Delete everything Recall holds about the learner, in one transaction.

        Their daily-question answers leave the posts' public counts first; the rows
        themselves go with the learner by cascade. The decks they uploaded as a
        moderator stay for their community, with the uploader's id cleared (a
        moderator who never studied has no learner row, yet their id was held).
        False when there was nothing.
        """

        def forget() -> Script[bool]:
            uploads = yield from server_decks.forget_uploader(who)
            learner = yield from learners.find(who)
            if learner is None:
                return uploads > 0
            yield from daily.forget_answers(learner.id)
            deleted = yield from learners.delete(learner.id)
            return deleted or uploads > 0

        return await self.store.write(forget())


__all__ = ["LearnerService", "Standing"]
