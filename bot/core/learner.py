"""A learner: one person on one platform, with their settings and running totals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.streaks import StreakState


class Platform(StrEnum):
    """Where a learner or a community lives. Identity is (platform, external id)."""

    DISCORD = "discord"
    SLACK = "slack"
    TERMINAL = "terminal"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who someone is on their platform: a Discord user id, a Slack user id..."""

    platform: Platform
    external_id: str

    def __post_init__(self) -> None:
        if not self.external_id or len(self.external_id) > 64:
            raise ValueError(f"an external id is 1 to 64 characters, got {self.external_id!r}")


@dataclass(frozen=True, slots=True)
class Learner:
    """A learner as stored. ``id`` is Recall's own; ``identity`` the platform's."""

    id: int
    identity: Identity
    time_zone: str
    reminder_time: str | None
    reminders_off_reason: str | None
    xp: int
    streak: StreakState


__all__ = ["Identity", "Learner", "Platform"]
