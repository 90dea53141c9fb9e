"""The read models' records: class progress, learner and member stats, deck progress,
the export row, and the heatmap's grid (pure values, no storage here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.core.grading import ExplainGrade
from bot.core.learner import Identity
from bot.core.memory import DeckMemory, LearnerMemory
from bot.core.streaks import StreakView

__all__ = [
    "ANSWERS_SHOWN",
    "EXCERPT_CHARS",
    "HARDEST_LIMIT",
    "MEMORY_DECKS",
    "MIN_ATTEMPTS",
    "NO_MEMORY",
    "WEEKS",
    "CardAnswers",
    "ClassProgress",
    "DeckProgress",
    "ExportRow",
    "GradedAnswer",
    "HardCard",
    "LearnerStats",
    "MemberStats",
    "MissedConcept",
    "grid_start",
]

MIN_ATTEMPTS = 5
"""Answers a card needs in the community before it can be called hard."""

HARDEST_LIMIT = 5
"""How many hardest cards and most missed concepts the class view lists."""

EXCERPT_CHARS = 80
"""Card text is cut to this many characters (Discord field names allow 256)."""

WEEKS = 12
"""Weeks the activity heatmap shows (the issue asks for the last 12)."""

ANSWERS_SHOWN = 20
"""How many of an explain card's latest answers the teacher's view of grading shows."""

MEMORY_DECKS = 5
"""At most this many decks get memory figures in the class view of all decks."""

NO_MEMORY = LearnerMemory(cards=0, recall=None, due_now=0, due_soon=0, overdue_days=0)
"""The memory figures of a learner with no card studied in a deck here."""


def grid_start(today: date, weeks: int = WEEKS) -> date:
    """The Monday that starts the grid: ``weeks`` columns, the last one holding ``today``."""
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)


@dataclass(frozen=True, slots=True)
class HardCard:
    """A card the class gets wrong often."""

    deck_id: str
    deck_title: str
    card_id: str
    excerpt: str
    attempts: int
    wrong: int

    @property
    def wrong_rate(self) -> float:
        """Share of wrong answers, 0..1."""
        return self.wrong / self.attempts


@dataclass(frozen=True, slots=True)
class MissedConcept:
    """An explain-card concept the class leaves out of its answers."""

    deck_id: str
    deck_title: str
    card_id: str
    concept: str
    missed: int
    attempts: int
    """Answers to the card in the community, the denominator of :attr:`miss_rate`."""

    @property
    def miss_rate(self) -> float:
        """Share of the card's answers that missed this concept, 0..1."""
        return self.missed / self.attempts if self.attempts else 0.0


@dataclass(frozen=True, slots=True)
class ClassProgress:
    """Everything the class view shows, for one community and optionally one deck.

    Activity (learners, answers) is counted over rolling 7 and 30 days ending at
    ``now``, like the leaderboard; totals and accuracy are over all time. Hardest
    cards are ranked by wrong-answer rate among cards answered at least
    :data:`MIN_ATTEMPTS` times (ties: more wrong answers, then deck and card id);
    missed concepts come from explain answers, counted per (card, concept). Cards no
    longer in any loaded deck are left out: there is no text to show.
    """

    deck_id: str | None
    active_7d: int
    active_30d: int
    reviews_7d: int
    reviews_30d: int
    reviews: int
    """Answers over all time."""
    correct: int
    hardest: tuple[HardCard, ...]
    missed_concepts: tuple[MissedConcept, ...]
    memory: tuple[DeckMemory, ...] = ()
    """What the class will remember, per deck with cards studied here (the decks with
    the most studied cards first, at most :data:`MEMORY_DECKS`)."""

    @property
    def accuracy(self) -> float | None:
        """Share of right answers over all time; None before the first answer."""
        return self.correct / self.reviews if self.reviews else None

    @property
    def empty(self) -> bool:
        """Nobody has answered anything here yet."""
        return self.reviews == 0


@dataclass(frozen=True, slots=True)
class LearnerStats:
    """What a learner's own stats show (every community and their DMs)."""

    learner: Identity
    time_zone: str
    streak: StreakView
    best_streak: int
    freezes: int
    xp: int
    reviews: int
    correct: int
    due_now: int
    """Cards due now (:mod:`bot.core.due`), the ones ``/quiz review`` would show."""
    later_today: int
    """Cards not due yet that become due before the learner's local midnight."""
    reminder_time: str | None
    reminders_off_reason: str | None
    activity: dict[date, int]
    """Answers per local day of the heatmap's grid, up to today (zeros too)."""
    today: date
    """The learner's local date (the grid's last day)."""
    weak_cards: tuple[HardCard, ...] = ()
    """The learner's most-missed cards (recent answers), most misses first."""
    weak_concepts: tuple[MissedConcept, ...] = ()
    """The concepts the learner's explanations miss most, most misses first."""

    @property
    def due_today(self) -> int:
        """Cards due now plus those due later today (not a "due" count: show
        :attr:`due_now` as what is due, and this as the day's total)."""
        return self.due_now + self.later_today

    @property
    def accuracy(self) -> float | None:
        """Share of right answers, None before the first review."""
        return self.correct / self.reviews if self.reviews else None


@dataclass(frozen=True, slots=True)
class MemberStats:
    """What a moderator sees of a member: this community's activity only.

    The streak, freezes, due cards, reminders and time zone are personal (they span
    every community, and the day boundary gives the zone away), so they are not here;
    the activity is counted per UTC day for the same reason.
    """

    learner: Identity
    reviews: int
    correct: int
    xp: int
    activity: dict[date, int]
    """Answers per UTC day of the grid in this community, up to today (zeros too)."""
    today: date
    """Today's UTC date (the grid's last day)."""

    @property
    def accuracy(self) -> float | None:
        """Share of right answers in this community, None before the first."""
        return self.correct / self.reviews if self.reviews else None


@dataclass(frozen=True, slots=True)
class DeckProgress:
    """One deck's size and the learner's progress in it."""

    deck_id: str
    title: str
    cards: int
    by_type: dict[str, int]
    seen: int
    due_now: int


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One learner's results in one deck of the community."""

    learner: Identity
    deck_id: str
    reviews: int
    correct: int
    xp: int
    streak: int
    last_active: datetime
    memory: LearnerMemory = field(default=NO_MEMORY)
    """The learner's memory of the deck's cards last studied in this community."""

    @property
    def accuracy(self) -> float:
        """Share of right answers (a row exists only once there is an answer)."""
        return self.correct / self.reviews if self.reviews else 0.0


@dataclass(frozen=True, slots=True)
class GradedAnswer:
    """One learner's explain answer, graded by the card's concepts as they are now."""

    learner: Identity
    answered_at: datetime
    text: str
    grade: ExplainGrade


@dataclass(frozen=True, slots=True)
class CardAnswers:
    """An explain card's latest answers in a community, for a teacher tuning its keywords.

    Each answer is graded again with the deck as loaded now (so an edited keyword
    shows its effect on past answers at once); ``answers`` are newest first.
    """

    deck_id: str
    deck_title: str
    card_id: str
    prompt: str
    concepts: tuple[str, ...]
    answers: tuple[GradedAnswer, ...]

    def covered_by(self, concept: str) -> int:
        """How many of :attr:`answers` cover ``concept``."""
        return sum(
            1 for a in self.answers for r in a.grade.results if r.name == concept and r.covered
        )
