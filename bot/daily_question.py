"""The channel's daily question: one MCQ a day per guild, answered once per member.

Plain Python (no discord import). The cog posts :class:`DailyPostJob` s that
:mod:`bot.reminder_loop` claims, and turns button clicks into :meth:`answer` calls;
the domain errors here (:class:`AlreadyAnswered` ...) become ephemeral replies.

- **One post per guild and local date**, claimed in the same transaction that picks
  the card (``UNIQUE (guild_id, local_date)``), so two processes or a restart never
  post twice. A day's question is due from its time until the day ends in the
  guild's zone (catch-up after downtime), and only if that time came after the
  daily question was set up: setting it up at 15:00 for 09:00 starts tomorrow.
- **The card** is picked from the deck's MCQs by a hash of guild and date: the same
  for everyone, different across guilds and days, never yesterday's card twice
  running when the deck has another.
- **An answer** is recorded with :func:`bot.progress.record_answer` (review log,
  FSRS, XP, streak) in the transaction that stores the one answer per member and
  bumps the post's running counts.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.clock import require_aware
from bot.core.grading import grade_mcq, rating_for_mcq
from bot.core.reminder_planning import next_reminder_at, reminder_instant_for_date
from bot.core.scheduling import CardScheduler
from bot.core.timezones import (
    InvalidLocalTime,
    InvalidTimeZone,
    local_date,
    parse_local_time,
    parse_zone,
)
from bot.decks import DeckLibrary
from bot.decks.models import CardType, McqCard
from bot.progress import Answer, record_answer
from bot.storage import daily as store
from bot.storage import learners
from bot.storage.daily import DailyConfig, DailyPost
from bot.storage.database import Database

__all__ = [
    "AlreadyAnswered",
    "DailyAnswerResult",
    "DailyError",
    "DailyPostJob",
    "DailyQuestionService",
    "DailySchedule",
    "NoQuestions",
    "QuestionUnavailable",
    "UnknownPost",
    "WrongServer",
    "pick_card",
]

log = logging.getLogger(__name__)

CardKey = tuple[str, str]
"""(deck id, card id)"""


class DailyError(Exception):
    """A daily-question action that cannot be done. The message is user-facing."""


class AlreadyAnswered(DailyError):
    """This member already answered this post."""

    def __init__(self) -> None:
        super().__init__("You already answered today's question.")


class UnknownPost(DailyError):
    """No such daily post (deleted, or a button from another database)."""

    def __init__(self) -> None:
        super().__init__("That daily question no longer exists.")


class WrongServer(DailyError):
    """The click did not come from the post's server (a DM, or an id forged elsewhere)."""

    def __init__(self) -> None:
        super().__init__("This daily question belongs to another server: answer it there.")


class QuestionUnavailable(DailyError):
    """The post's card is gone from its deck (a deck reload removed it)."""

    def __init__(self) -> None:
        super().__init__("That question was removed from its deck and can't be answered.")


class NoQuestions(DailyError):
    """The chosen deck (or every deck) has no multiple-choice question."""


@dataclass(frozen=True)
class DailySchedule:
    """A guild's daily-question settings and when the next question is due."""

    config: DailyConfig
    next_post_at: datetime


@dataclass(frozen=True)
class DailyPostJob:
    """A claimed daily post for the cog to send to ``channel_id``."""

    post_id: int
    guild_id: int
    channel_id: int
    local_date: date
    deck_id: str
    card: McqCard
    scheduled_at: datetime


@dataclass(frozen=True)
class DailyAnswerResult:
    """What one member's answer did, for the ephemeral ✓/✗ reply and the message counts."""

    correct: bool
    chosen: str
    right_answer: str
    explanation: str
    answers: int  # the post's running count, this answer included
    correct_answers: int
    xp: int
    streak: int


def pick_card(
    guild_id: int, day: date, candidates: Sequence[CardKey], avoid: CardKey | None
) -> CardKey:
    """The guild's card for ``day``: a stable hash of (guild, date) over the candidates.

    sha256, not ``hash()``: Python salts string hashes per process, and every process
    must pick the same card. ``avoid`` (yesterday's card) is skipped when possible.
    """
    if not candidates:
        raise NoQuestions("There are no multiple-choice questions to pick from.")
    ordered = sorted(set(candidates))
    digest = hashlib.sha256(f"{guild_id}:{day.isoformat()}".encode()).digest()
    index = int.from_bytes(digest[:8], "big") % len(ordered)
    if ordered[index] == avoid and len(ordered) > 1:
        index = (index + 1) % len(ordered)
    return ordered[index]


class DailyQuestionService:
    """Daily-question settings, claiming posts, and answers over one database and library."""

    def __init__(self, db: Database, library: DeckLibrary, scheduler: CardScheduler) -> None:
        self._db = db
        self._library = library
        self._scheduler = scheduler
        self._warned: set[tuple[int, date]] = set()

    def candidates(self, deck_id: str | None) -> list[CardKey]:
        """The MCQs the daily question draws from: one deck's, or every deck's."""
        decks = self._library.all() if deck_id is None else [self._library.get(deck_id)]
        return [
            (deck.id, card.id)
            for deck in decks
            if deck is not None
            for card in deck.cards_of(CardType.MCQ)
        ]

    async def configure(
        self,
        guild_id: int,
        channel_id: int,
        time_text: str,
        zone_text: str,
        deck_id: str | None,
        now: datetime,
    ) -> DailySchedule:
        """Turn the daily question on (``/quiz-admin daily set``).

        Raises :class:`bot.core.timezones.InvalidLocalTime`, :class:`bot.core.timezones.InvalidTimeZone`
        or :class:`NoQuestions`, all with user-facing messages.
        """
        now = require_aware(now, "now")
        local_time = parse_local_time(time_text)
        zone = parse_zone(zone_text)
        if deck_id is not None and deck_id not in self._library:
            raise NoQuestions(f"There is no deck {deck_id!r}.")
        if not self.candidates(deck_id):
            where = f"deck {deck_id!r}" if deck_id else "any deck"
            raise NoQuestions(f"There are no multiple-choice questions in {where}.")
        config = DailyConfig(
            guild_id=guild_id,
            channel_id=channel_id,
            time=local_time.strftime("%H:%M"),
            zone=zone.key,
            deck_id=deck_id,
            set_at=now,
        )
        await store.set_config(self._db, config)
        return DailySchedule(config, next_reminder_at(local_time, zone, now))

    async def turn_off(self, guild_id: int, now: datetime) -> bool:
        """Stop the daily question (``/quiz-admin daily off``); True if it was on."""
        return await store.clear_config(self._db, guild_id, now)

    async def schedule(self, guild_id: int, now: datetime) -> DailySchedule | None:
        """The guild's settings and next post time, or None when it is off."""
        config = await store.get_config(self._db, guild_id)
        if config is None:
            return None
        local_time = parse_local_time(config.time)
        return DailySchedule(config, next_reminder_at(local_time, parse_zone(config.zone), now))

    async def claim_due_posts(self, now: datetime) -> list[DailyPostJob]:
        """Claim every guild's question that is due at ``now`` and not yet claimed today."""
        now = require_aware(now, "now")
        jobs: list[DailyPostJob] = []
        async with self._db.transaction() as conn:
            for config in await store.configured(conn):
                try:
                    zone = parse_zone(config.zone)
                    local_time = parse_local_time(config.time)
                except (InvalidTimeZone, InvalidLocalTime):
                    log.warning("guild %s: bad daily question settings, skipped", config.guild_id)
                    continue
                today = local_date(now, zone)
                instant = reminder_instant_for_date(today, local_time, zone)
                if instant > now or instant <= config.set_at:
                    continue
                if await store.post_for_date(conn, config.guild_id, today) is not None:
                    continue
                candidates = self.candidates(config.deck_id)
                if not candidates:
                    self._warn_once(config.guild_id, today)
                    continue
                avoid = await store.previous_card(conn, config.guild_id, today)
                key = pick_card(config.guild_id, today, candidates, avoid)
                card = self._library.card(*key)
                assert isinstance(card, McqCard)  # candidates are MCQs of loaded decks
                post_id = await store.insert_post(conn, config, today, key, instant, now)
                jobs.append(
                    DailyPostJob(
                        post_id=post_id,
                        guild_id=config.guild_id,
                        channel_id=config.channel_id,
                        local_date=today,
                        deck_id=key[0],
                        card=card,
                        scheduled_at=instant,
                    )
                )
        return jobs

    def _warn_once(self, guild_id: int, day: date) -> None:
        # Called every tick while the deck has no MCQs: log it once a day, not twice a minute.
        if (guild_id, day) not in self._warned:
            self._warned.add((guild_id, day))
            log.warning("guild %s: no multiple-choice questions for the daily question", guild_id)

    async def mark_posted(self, post_id: int, message_id: int, now: datetime) -> None:
        """Record the message showing the post (buttons find the post by its id)."""
        await store.mark_posted(self._db, post_id, message_id, now)

    async def mark_failed(
        self, post_id: int, error: str, now: datetime, *, disable: bool = False
    ) -> None:
        """Record a failed post; ``disable`` also turns the guild's daily question off
        (the channel is gone or Recall may not post there)."""
        await store.mark_failed(self._db, post_id, error, now)
        if disable:
            async with self._db.transaction() as conn:
                post = await store.get_post(conn, post_id)
            if post is not None:
                await store.clear_config(self._db, post.guild_id, now)

    async def post(self, post_id: int) -> DailyPost | None:
        """One post with its running counts."""
        async with self._db.transaction() as conn:
            return await store.get_post(conn, post_id)

    def question(self, post: DailyPost) -> McqCard:
        """The post's card. Raises :class:`QuestionUnavailable` if the deck lost it."""
        card = self._library.card(post.deck_id, post.card_id)
        if not isinstance(card, McqCard):
            raise QuestionUnavailable()
        return card

    async def answer(
        self,
        post_id: int,
        user_id: int,
        choice_index: int,
        now: datetime,
        *,
        guild_id: int | None,
    ) -> DailyAnswerResult:
        """Record ``user_id``'s answer ``choice_index`` (0-based) to the post.

        ``guild_id`` is the server the click came from (None in a DM). The answer
        counts in the post's server (its leaderboard, its XP), so a click from anywhere
        else is refused with :class:`WrongServer` and nothing is recorded: a button's
        custom id can be copied or forged onto another server's message.

        Raises :class:`AlreadyAnswered` on a second answer (nothing changes),
        :class:`UnknownPost`, :class:`QuestionUnavailable`, :class:`WrongServer`, or
        :class:`DailyError` for a choice that is not an option.
        """
        now = require_aware(now, "now")
        async with self._db.transaction() as conn:
            post = await store.get_post(conn, post_id)
            if post is None:
                raise UnknownPost()
            if guild_id != post.guild_id:
                raise WrongServer()
            card = self.question(post)
            try:
                grade = grade_mcq(card.options, card.answer, choice_index)
            except ValueError as error:
                raise DailyError("That option is not on this question.") from error
            await learners.ensure(conn, user_id, now)  # daily_answers references learners
            if not await store.insert_answer(
                conn, post_id, user_id, choice_index, grade.correct, now
            ):
                raise AlreadyAnswered()
            recorded = await record_answer(
                conn,
                self._scheduler,
                Answer(
                    user_id=user_id,
                    guild_id=post.guild_id,
                    deck_id=post.deck_id,
                    card_id=post.card_id,
                    kind=CardType.MCQ.value,
                    grade=rating_for_mcq(grade.correct),
                    correct=grade.correct,
                ),
                now,
            )
            answers, correct = await store.bump_counts(conn, post_id, grade.correct)
        return DailyAnswerResult(
            correct=grade.correct,
            chosen=grade.chosen,
            right_answer=grade.right_answer,
            explanation=card.explanation,
            answers=answers,
            correct_answers=correct,
            xp=recorded.xp,
            streak=recorded.streak.state.current,
        )
