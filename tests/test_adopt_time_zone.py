"""LearnerService.adopt_time_zone: a new learner starts in the zone their platform
reports (Slack's ``tz``); one who exists, or who set a zone, keeps theirs."""

from __future__ import annotations

import pytest

from bot.core.clock import FakeClock
from bot.core.learner import Identity, Platform
from bot.core.timezones import InvalidTimeZone
from bot.services.learners import LearnerService
from bot.storage import Store

ME = Identity(Platform.SLACK, "U0NEW")


async def test_a_new_learner_takes_the_reported_zone(store: Store, clock: FakeClock) -> None:
    service = LearnerService(store, clock)
    assert not await service.known(ME)
    assert await service.adopt_time_zone(ME, "Europe/Paris") is True
    assert await service.known(ME)
    standing = await service.standing(ME)
    assert standing.learner is not None and standing.learner.time_zone == "Europe/Paris"


async def test_a_known_learner_keeps_the_zone_they_set(store: Store, clock: FakeClock) -> None:
    service = LearnerService(store, clock)
    await service.set_time_zone(ME, "Asia/Tokyo")
    assert await service.adopt_time_zone(ME, "Europe/Paris") is False
    standing = await service.standing(ME)
    assert standing.learner is not None and standing.learner.time_zone == "Asia/Tokyo"


async def test_an_unknown_zone_stores_nothing(store: Store, clock: FakeClock) -> None:
    service = LearnerService(store, clock)
    with pytest.raises(InvalidTimeZone):
        await service.adopt_time_zone(ME, "Mars/Olympus")
    assert not await service.known(ME)
