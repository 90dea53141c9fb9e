"""The channel's daily question: one MCQ a day per community, answered once per learner.

Each public call is one store transaction. The front end posts the
:class:`DailyPostJob` s that :mod:`bot.reminder_loop` claims and turns button
clicks into :meth:`DailyQuestionService.answer`; the domain errors
(:class:`~bot.core.errors.AlreadyAnswered`...) carry no words, the front end
phrases them. The rules (when a question is due, which card) are in
:mod:`bot.core.daily`.

- **One post per community and local date**, claimed by inserting it
  (``UNIQUE (community_id, local_date)``), so two processes or a restart never post
  twice.
- **An answer is a review**: :func:`bot.core.review.review_answer` decides it
  (FSRS, XP, streak) and :func:`bot.storage.reviews.record` stores it, in the
  transaction that stores the one answer per learner and bumps the post's counts.
  It counts in the post's community only: an answer from anywhere else records
  nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.clock import Clock
from bot.core.daily import CardKey, due_today, pick_card
from bot.core.errors import (
    AlreadyAnswered,
    CardChanged,
    NoQuestions,
    NotAnOption,
    QuestionUnavailable,
    UnknownPost,
    WrongCommunity,
)
from bot.core.grading import grade_mcq, rating_for_mcq
from bot.core.learner import Identity, Platform
from bot.core.reminder_planning import next_reminder_at
from bot.core.review import review_answer
from bot.core.scheduling import CardScheduler
from bot.core.session import option_fingerprint
from bot.core.timezones import (
    InvalidLocalTime,
    InvalidTimeZone,
    parse_local_time,
    parse_zone,
)
from bot.decks import DeckLibrary
from bot.decks.catalog import DeckCatalog
from bot.decks.models import CardType, McqCard
from bot.services.decks import CatalogMiss, refresh_catalog, with_fresh_catalog
from bot.storage import card_states, communities, learners, reviews
from bot.storage import daily as table
from bot.storage.daily import DailyConfig, DailyPost
from bot.storage.script import Script
from bot.storage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DailySchedule:
    """A community's daily-question settings and when the next question is due."""

    config: DailyConfig
    next_post_at: datetime


@dataclass(frozen=True, slots=True)
class DailyPostJob:
    """A claimed daily post for the front end to send to ``channel``."""

    post_id: int
    community: Identity
    channel: str
    local_date: date
    deck_id: str
    card: McqCard
    scheduled_at: datetime


@dataclass(frozen=True, slots=True)
class DailyAnswerResult:
    """What one learner's answer did, for the private ✓/✗ reply and the public count."""

    card: McqCard
    correct: bool
    chosen: str
    right_answer: str
    answers: int
    """The post's running count, this answer included."""
    correct_answers: int
    xp: int
    streak: int


class DailyQuestionService:
    """Daily-question settings, claiming posts, and answers."""

    def __init__(
        self,
        store: Store,
        decks: DeckLibrary | DeckCatalog,
        scheduler: CardScheduler,
        clock: Clock,
    ) -> None:
        self.store = store
        self.decks = DeckCatalog.of(decks)
        self.scheduler = scheduler
        self.clock = clock
        self._warned: set[tuple[int, date]] = set()

    def candidates(self, deck_key: str | None, community: Identity | None = None) -> list[CardKey]:
        """The MCQs the daily question draws from: one deck's (by key), or those of
        every deck ``community`` sees (the bundled ones for None)."""
        if deck_key is not None:
            deck = self.decks.get(deck_key)
            return [] if deck is None else [(deck_key, c.id) for c in deck.cards_of(CardType.MCQ)]
        return [
            (entry.key, card.id)
            for entry in self.decks.visible(community)
            for card in entry.deck.cards_of(CardType.MCQ)
        ]

    # -- settings ---------------------------------------------------------------------

    async def configure(
        self,
        community: Identity,
        channel: str,
        time_text: str,
        zone_text: str,
        deck_id: str | None,
    ) -> DailySchedule:
        """Turn the daily question on in ``channel`` (the front end's id), from
        ``deck_id`` as learners type it (a bundled deck or one of the community's).

        Raises :class:`~bot.core.timezones.InvalidLocalTime`,
        :class:`~bot.core.timezones.InvalidTimeZone` or :class:`NoQuestions`.
        """
        now = self.clock()
        local_time = parse_local_time(time_text)
        zone = parse_zone(zone_text)
        key = None
        if deck_id is not None:
            await refresh_catalog(self.store, self.decks)
            entry = self.decks.resolve(community, deck_id)
            if entry is None:
                raise NoQuestions(deck_id, unknown_deck=True)
            key = entry.key
        if not self.candidates(key, community):
            raise NoQuestions(deck_id)
        hhmm = local_time.strftime("%H:%M")

        def script() -> Script[DailyConfig]:
            community_id = yield from communities.ensure(community)
            yield from table.set_config(community_id, channel, hhmm, zone.key, key, now)
            return DailyConfig(community_id, community, channel, hhmm, zone.key, key, now)

        config = await self.store.write(script())
        return DailySchedule(config, next_reminder_at(local_time, zone, now))

    async def turn_off(self, community: Identity) -> bool:
        """Stop the daily question; True if it was on."""
        now = self.clock()

        def script() -> Script[bool]:
            community_id = yield from communities.find(community)
            if community_id is None:
                return False
            return (yield from table.clear_config(community_id, now))

        return await self.store.write(script())

    async def schedule(self, community: Identity) -> DailySchedule | None:
        """The community's settings and next post time, or None when it is off."""

        def script() -> Script[DailyConfig | None]:
            community_id = yield from communities.find(community)
            if community_id is None:
                return None
            return (yield from table.get_config(community_id))

        config = await self.store.read(script())
        if config is None:
            return None
        local_time = parse_local_time(config.time)
        return DailySchedule(
            config, next_reminder_at(local_time, parse_zone(config.zone), self.clock())
        )

    # -- posting ----------------------------------------------------------------------

    async def claim_due_posts(self, platform: Platform) -> list[DailyPostJob]:
        """Claim every ``platform`` community's question that is due now and not yet
        claimed today."""
        now = self.clock()
        # Every tick: also how a process learns of decks uploaded by another one.
        await refresh_catalog(self.store, self.decks)

        def script() -> Script[list[DailyPostJob]]:
            jobs: list[DailyPostJob] = []
            for config in (yield from table.configured(platform)):
                try:
                    zone = parse_zone(config.zone)
                    local_time = parse_local_time(config.time)
                except (InvalidTimeZone, InvalidLocalTime):
                    log.warning("community %s: bad daily question settings", config.community_id)
                    continue
                due = due_today(local_time, zone, config.set_at, now)
                if due is None:
                    continue
                today, instant = due
                if (yield from table.post_for_date(config.community_id, today)) is not None:
                    continue
                candidates = self.candidates(config.deck_id, config.community)
                if not candidates:
                    self._warn_once(config.community_id, today)
                    continue
                avoid = yield from table.previous_card(config.community_id, today)
                key = pick_card(config.community_id, today, candidates, avoid)
                card = self.decks.card(*key)
                assert isinstance(card, McqCard)  # candidates are MCQs of loaded decks
                post_id = yield from table.insert_post(config, today, key, instant, now)
                if post_id is None:
                    continue  # another process claimed it since the check above
                jobs.append(
                    DailyPostJob(
                        post_id=post_id,
                        community=config.community,
                        channel=config.channel,
                        local_date=today,
                        deck_id=key[0],
                        card=card,
                        scheduled_at=instant,
                    )
                )
            return jobs

        return await self.store.write(script())

    def _warn_once(self, community_id: int, day: date) -> None:
        # Called every tick while the deck has no MCQs: log it once a day, not twice a minute.
        if (community_id, day) not in self._warned:
            self._warned.add((community_id, day))
            log.warning(
                "community %s: no multiple-choice questions for the daily question", community_id
            )

    async def mark_posted(self, post_id: int, message: str) -> None:
        """Record the message (the front end's id) showing the post."""
        await self.store.write(table.mark_posted(post_id, message, self.clock()))

    async def mark_failed(self, post_id: int, error: str, *, disable: bool = False) -> None:
        """Record a failed post; ``disable`` also turns the community's daily question off
        (the channel is gone or Recall may not post there)."""
        now = self.clock()

        def script() -> Script[None]:
            community_id = yield from table.mark_failed(post_id, error, now)
            if disable and community_id is not None:
                yield from table.clear_config(community_id, now)

        await self.store.write(script())

    async def post(self, post_id: int) -> DailyPost | None:
        """One post with its running counts."""
        return await self.store.read(table.get_post(post_id))

    def question(self, post: DailyPost, *, strict: bool = False) -> McqCard:
        """The post's card. Raises :class:`QuestionUnavailable` if the deck lost it
        (with ``strict``, :class:`CatalogMiss` first for a deck not loaded yet)."""
        if strict and not self.decks.knows(post.deck_id):
            raise CatalogMiss(post.deck_id)
        card = self.decks.card(post.deck_id, post.card_id)
        if not isinstance(card, McqCard):
            raise QuestionUnavailable()
        return card

    # -- answering --------------------------------------------------------------------

    async def answer(
        self,
        who: Identity,
        post_id: int,
        choice: int,
        *,
        community: Identity | None,
        fingerprint: str | None = None,
    ) -> DailyAnswerResult:
        """Record ``who``'s answer ``choice`` (0-based) to the post, as a review.

        ``community`` is where the click came from (None in a DM). The answer counts
        in the post's community (its leaderboard, its XP), so a click from anywhere
        else raises :class:`WrongCommunity` and records nothing: a button's id can be
        copied or forged onto another community's message. ``fingerprint`` is the
        option's :func:`~bot.core.session.option_fingerprint` the button carries.

        Raises :class:`AlreadyAnswered` on a second answer (nothing changes),
        :class:`UnknownPost`, :class:`QuestionUnavailable`, :class:`WrongCommunity`,
        :class:`CardChanged` (the option's text changed since the post) or
        :class:`NotAnOption`.
        """
        now = self.clock()

        def script(strict: bool) -> Script[DailyAnswerResult]:
            post = yield from table.get_post(post_id)
            if post is None:
                raise UnknownPost()
            community_id = None
            if community is not None:
                community_id = yield from communities.find(community)
            if community_id != post.community_id:
                raise WrongCommunity()
            card = self.question(post, strict=strict)
            if not 0 <= choice < len(card.options):
                raise NotAnOption()
            if fingerprint is not None and option_fingerprint(card.options[choice]) != fingerprint:
                raise CardChanged()
            grade = grade_mcq(card.options, card.answer, choice)
            learner = yield from learners.ensure(who, now)
            if not (
                yield from table.insert_answer(post_id, learner.id, choice, grade.correct, now)
            ):
                raise AlreadyAnswered()
            memory = yield from card_states.get(learner.id, post.deck_id, post.card_id)
            outcome = review_answer(
                self.scheduler,
                learner_id=learner.id,
                community_id=post.community_id,
                deck_id=post.deck_id,
                card_id=post.card_id,
                kind=CardType.MCQ.value,
                grade=rating_for_mcq(grade.correct),
                correct=grade.correct,
                time_zone=learner.time_zone,
                streak=learner.streak,
                memory=memory,
                now=now,
            )
            yield from reviews.record(outcome)
            answers, correct = yield from table.bump_counts(post_id, grade.correct)
            return DailyAnswerResult(
                card=card,
                correct=grade.correct,
                chosen=grade.chosen,
                right_answer=grade.right_answer,
                answers=answers,
                correct_answers=correct,
                xp=outcome.xp,
                streak=outcome.streak.state.current,
            )

        return await with_fresh_catalog(
            self.store, self.decks, lambda strict: self.store.write(script(strict))
        )


__all__ = ["DailyAnswerResult", "DailyPostJob", "DailyQuestionService", "DailySchedule"]
