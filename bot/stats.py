"""Read-only figures for a learner: their stats and their progress in each deck."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.core.streaks import StreakState, StreakView
from bot.core.streaks import view as streak_view
from bot.core.timezones import local_date, parse_zone
from bot.decks import DeckLibrary
from bot.storage import card_states, learners
from bot.storage.codec import to_epoch
from bot.storage.database import Database


@dataclass(frozen=True)
class LearnerStats:
    """What ``/quiz stats`` shows."""

    user_id: int
    time_zone: str
    streak: StreakView
    best_streak: int
    freezes: int
    xp: int
    reviews: int
    correct: int
    due_today: int
    reminder_time: str | None
    reminders_off_reason: str | None

    @property
    def accuracy(self) -> float | None:
        """Share of right answers, None before the first review."""
        return self.correct / self.reviews if self.reviews else None


@dataclass(frozen=True)
class ServerStats:
    """What ``/quiz stats member:`` shows a moderator: one server's activity only.

    A learner's own stats cover every server and their DMs; someone else's are
    limited to the server the moderator asks in, so a moderator learns nothing of
    what the learner does elsewhere. The streak, freezes, due cards, reminders and
    time zone are personal (they span every server, and the day boundary gives the
    zone away), so they are not here at all.
    """

    user_id: int
    guild_id: int
    reviews: int
    correct: int
    xp: int

    @property
    def accuracy(self) -> float | None:
        """Share of right answers in this server, None before the first."""
        return self.correct / self.reviews if self.reviews else None


@dataclass(frozen=True)
class DeckProgress:
    """One deck's size and the learner's progress in it."""

    deck_id: str
    title: str
    cards: int
    by_type: dict[str, int]
    seen: int
    due_now: int


def end_of_local_day(now: datetime, zone_name: str) -> datetime:
    """The first instant of the learner's next local day (UTC-aware)."""
    zone = parse_zone(zone_name)
    tomorrow = local_date(now, zone) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone).astimezone(now.tzinfo)


async def learner_stats(db: Database, user_id: int, now: datetime) -> LearnerStats:
    """Stats for one learner (zeros for someone who never studied)."""
    learner = await learners.get(db, user_id)
    zone_name = learner.time_zone if learner else "UTC"
    state = learner.streak if learner else StreakState()
    # The running totals of migration V4: one row, however long the learner's history.
    row = await db.fetchone(
        "SELECT reviews, correct FROM learner_totals WHERE user_id = ?", (user_id,)
    )
    reviews, correct = (int(row[0]), int(row[1])) if row else (0, 0)
    due_today = await card_states.count_due(db, user_id, end_of_local_day(now, zone_name))
    return LearnerStats(
        user_id=user_id,
        time_zone=zone_name,
        streak=streak_view(state, local_date(now, parse_zone(zone_name))),
        best_streak=state.best,
        freezes=state.freezes,
        xp=learner.xp if learner else 0,
        reviews=reviews,
        correct=correct,
        due_today=due_today,
        reminder_time=learner.reminder_time if learner else None,
        reminders_off_reason=learner.reminders_off_reason if learner else None,
    )


async def server_stats(db: Database, user_id: int, guild_id: int) -> ServerStats:
    """One learner's answers, right answers and XP in one server (zeros if none)."""
    # The per-server running totals of migration V4: one row, kept by triggers.
    row = await db.fetchone(
        "SELECT reviews, correct, xp FROM guild_learners WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    reviews, correct, xp = (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
    return ServerStats(user_id, guild_id, reviews, correct, xp)


async def deck_progress(
    db: Database, decks: DeckLibrary, user_id: int, now: datetime
) -> list[DeckProgress]:
    """Every loaded deck with the learner's seen and due counts."""
    rows = await db.fetchall(
        "SELECT deck_id, card_id, due FROM card_states WHERE user_id = ?", (user_id,)
    )
    now_epoch = to_epoch(now)
    result: list[DeckProgress] = []
    for deck in decks.all():
        ids = {card.id for card in deck.cards}
        mine = [r for r in rows if r["deck_id"] == deck.id and r["card_id"] in ids]
        by_type: dict[str, int] = {}
        for card in deck.cards:
            by_type[card.type] = by_type.get(card.type, 0) + 1
        result.append(
            DeckProgress(
                deck_id=deck.id,
                title=deck.title,
                cards=len(deck.cards),
                by_type=by_type,
                seen=len(mine),
                due_now=sum(1 for r in mine if r["due"] <= now_epoch),
            )
        )
    return result
