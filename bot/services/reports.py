"""The read models: leaderboard, class progress, stats, heatmap counts, deck progress
and the CSV export's rows, for every front end.

Every public call is one read-only transaction (:meth:`Store.read`), so a reply is
one consistent snapshot; the export is read in keyset pages, one transaction each,
so a big community's export never holds a snapshot (or memory) for long. Callers pass
platform identities; rows come back with the learner's identity, never Recall's ids.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.core.clock import Clock, require_aware
from bot.core.due import is_due, later_today_bound
from bot.core.grading import grade_explain
from bot.core.leaderboard import (
    PAGE_SIZE,
    LeaderboardPage,
    LeaderboardRow,
    Metric,
    Period,
)
from bot.core.learner import Identity
from bot.core.memory import (
    AT_RISK_LIMIT,
    FORECAST_DAYS,
    AtRiskLearner,
    CardMemoryFigures,
    DeckMemory,
    learner_memory,
)
from bot.core.reports import (
    ANSWERS_SHOWN,
    EXCERPT_CHARS,
    HARDEST_LIMIT,
    MEMORY_DECKS,
    MIN_ATTEMPTS,
    NO_MEMORY,
    WEEKS,
    CardAnswers,
    ClassProgress,
    DeckProgress,
    ExportRow,
    GradedAnswer,
    HardCard,
    LearnerStats,
    MemberStats,
    MissedConcept,
    grid_start,
)
from bot.core.streaks import StreakState
from bot.core.streaks import view as streak_view
from bot.core.timezones import InvalidTimeZone, local_date, parse_zone
from bot.decks import Card, DeckLibrary, ExplainCard, FlashCard
from bot.decks.catalog import DeckCatalog, is_uploaded_key, plain_id
from bot.services.decks import refresh_catalog
from bot.storage import card_states, communities, learners
from bot.storage.codec import from_epoch, to_epoch
from bot.storage.reports import answers, export, memory, progress, stats
from bot.storage.reports import leaderboard as boards
from bot.storage.reports.stats import BUCKET_SECONDS
from bot.storage.rollups import DAY_SECONDS, split
from bot.storage.script import Script, done
from bot.storage.store import Store

__all__ = ["BATCH_SIZE", "ReportService", "card_excerpt", "end_of_local_day"]

BATCH_SIZE = 500
"""(learner, deck) rows per export page."""

_EPOCH_DAY = date(1970, 1, 1)
NO_DECK = "@"
"""A deck key no deck has: what a forged key of another community's deck becomes."""

WEAK_SPOT_LIMIT = 5
"""Most-missed cards (and concepts) a learner's stats list."""
WEAK_SPOT_DAYS = 90
"""Weak spots come from this many days of answers: old misses since mastered fade out."""
WEAK_SPOT_ANSWERS = 500
"""Most explain answers read for the missed concepts (the newest)."""


def card_excerpt(card: Card, limit: int = EXCERPT_CHARS) -> str:
    """The card's question text on one line, cut to ``limit`` characters with an ellipsis."""
    if isinstance(card, FlashCard):
        text = card.front
    elif isinstance(card, ExplainCard):
        text = card.prompt
    else:
        text = card.question
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def end_of_local_day(now: datetime, zone_name: str) -> datetime:
    """The first instant of the learner's next local day (UTC-aware)."""
    zone = parse_zone(zone_name)
    tomorrow = local_date(now, zone) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone).astimezone(now.tzinfo)


@lru_cache(maxsize=1)
def _zones() -> tuple[ZoneInfo, ...]:
    # Loaded once: reading ~600 zone files on every leaderboard would dominate it.
    names = sorted(zoneinfo.available_timezones() - {"Factory", "localtime", "posixrules"})
    found: list[ZoneInfo] = []
    for name in names:
        try:
            found.append(ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            continue  # listed but unreadable; its learners fall back to UTC's date
    return tuple(found)


def _zone_dates(now: datetime) -> dict[str, str]:
    """Today's local date (ISO) in every known zone, for the streak board."""
    return {str(zone): now.astimezone(zone).date().isoformat() for zone in _zones()}


def _zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return parse_zone(name or "UTC")
    except InvalidTimeZone:
        return ZoneInfo("UTC")  # a stored zone this host no longer knows


def _ranked(
    raw: list[boards.RawRow], first_rank: int, first_position: int
) -> tuple[LeaderboardRow, ...]:
    """Competition ranks for one page: a row ties the one above it or ranks at its position."""
    # UNION ALL promises no order, so the page is put back in board order here.
    raw = sorted(raw, key=lambda r: (-r.value, -r.reviews, r.learner_id))
    ranked: list[LeaderboardRow] = []
    for index, row in enumerate(raw):
        if index == 0:
            rank = first_rank
        elif row.value == ranked[-1].value:
            rank = ranked[-1].rank
        else:
            rank = first_position + index
        ranked.append(LeaderboardRow(rank, row.learner, row.value, row.reviews))
    return tuple(ranked)


def _activity_days(
    quarters: list[tuple[int, int]], zone: ZoneInfo, first: date, today: date
) -> dict[date, int]:
    """Quarter-hour counts added up per local date in ``zone``, for ``first..today``."""
    counts = {first + timedelta(days=i): 0 for i in range((today - first).days + 1)}
    day_cache: dict[int, date] = {}
    for quarter, n in quarters:
        if not n:
            continue
        # The hour's quarters share a date except around a zone's quarter-hour offset:
        # one conversion per hour, then per quarter only where the hour straddles.
        day = day_cache.get(quarter)
        if day is None:
            # The same date as local_date(from_epoch(...), zone), in one C call.
            day = datetime.fromtimestamp(quarter * BUCKET_SECONDS, zone).date()
            day_cache[quarter] = day
        if day in counts:
            counts[day] += n
    return counts


class ReportService:
    """The read models over one :class:`Store` (one read transaction per call)."""

    def __init__(self, store: Store, decks: DeckLibrary | DeckCatalog, clock: Clock) -> None:
        self.store = store
        self.decks = DeckCatalog.of(decks)
        self.clock = clock

    async def _deck_key(self, community: Identity, deck_id: str | None) -> str | None:
        """The key of the deck a moderator means by ``deck_id`` in ``community``.

        An id the catalog does not know is used as it is (its board is empty), except
        one shaped like another community's key, which must never reach its rows.
        """
        if deck_id is None:
            return None
        await refresh_catalog(self.store, self.decks)
        entry = self.decks.resolve(community, deck_id)
        if entry is not None:
            return entry.key
        return NO_DECK if is_uploaded_key(deck_id) else deck_id

    # -- leaderboard ------------------------------------------------------------------

    async def leaderboard(
        self,
        community: Identity,
        period: Period,
        metric: Metric,
        deck_id: str | None = None,
        page: int = 0,
        *,
        viewer: Identity | None = None,
        page_size: int = PAGE_SIZE,
    ) -> LeaderboardPage:
        """One page (0-based) of the community's board, with ``viewer``'s own row if ranked.

        See :mod:`bot.core.leaderboard` for the rules. A negative page is page 0; a
        page past the end is the last page (``clamped``).
        """
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        now = require_aware(self.clock(), "now")
        start = period.start(now)
        query = boards.BoardQuery(
            community_id=0,
            metric=metric,
            deck_id=await self._deck_key(community, deck_id),
            window=None if start is None else split(to_epoch(start), to_epoch(now), DAY_SECONDS),
            page=max(0, page),
            size=page_size,
            viewer_id=None,
        )
        if metric is Metric.STREAK:
            zones = _zone_dates(now)
            utc_today = now.astimezone(UTC).date().isoformat()
            every = {*zones.values(), utc_today}
            query = _with(
                query,
                zones=json.dumps(zones),
                utc_today=utc_today,
                min_today=min(every),
                max_today=max(every),
            )

        def script() -> Script[boards.RawBoard | None]:
            community_id = yield from communities.find(community)
            if community_id is None:
                return None
            viewer_id = None
            if viewer is not None:
                found = yield from learners.find(viewer)
                viewer_id = None if found is None else found.id
            return (
                yield from boards.board(
                    _with(query, community_id=community_id, viewer_id=viewer_id)
                )
            )

        raw = await self.store.read(script())
        if raw is None:
            raw = boards.RawBoard([], None, 1, 0, 0)
        rows = _ranked(raw.rows, raw.first_rank, raw.page * page_size + 1)
        viewer_row = (
            None
            if raw.viewer is None or raw.viewer.rank is None
            else LeaderboardRow(
                raw.viewer.rank, raw.viewer.learner, raw.viewer.value, raw.viewer.reviews
            )
        )
        return LeaderboardPage(
            period=period,
            metric=metric,
            deck_id=deck_id,
            rows=rows,
            page=raw.page,
            pages=max(1, -(-raw.total // page_size)),
            total=raw.total,
            clamped=raw.page != page,
            viewer=viewer_row,
            min_reviews=metric.min_reviews,
        )

    async def rank_of(
        self,
        community: Identity,
        period: Period,
        metric: Metric,
        deck_id: str | None,
        learner: Identity,
    ) -> LeaderboardRow | None:
        """``learner``'s row on the board (rank, value, answers), or None if not ranked."""
        board = await self.leaderboard(
            community, period, metric, deck_id, 0, viewer=learner, page_size=1
        )
        return board.viewer

    # -- class progress ---------------------------------------------------------------

    async def class_progress(
        self, community: Identity, deck_id: str | None, *, with_memory: bool = True
    ) -> ClassProgress:
        """The class view of ``community`` (one deck when given) now; zeros if empty.

        ``with_memory=False`` leaves out the memory figures (:meth:`class_memory`): the
        view as it was before them, which the benchmark times as its baseline.
        """
        now = require_aware(self.clock(), "now")
        key = await self._deck_key(community, deck_id)
        until = to_epoch(now)
        week, month = to_epoch(now - timedelta(days=7)), to_epoch(now - timedelta(days=30))

        def script() -> Script[
            tuple[
                tuple[int, int],
                tuple[int, int],
                list[progress.CardTotal],
                list[progress.ConceptTotal],
                tuple[DeckMemory, ...],
            ]
        ]:
            community_id = yield from communities.find(community)
            if community_id is None:
                return (0, 0), (0, 0), [], [], ()
            last_week = yield from progress.activity(community_id, key, week, until)
            last_month = yield from progress.activity(community_id, key, month, until)
            cards = yield from progress.card_totals(community_id, key)
            concepts = yield from progress.concept_totals(community_id, key, until)
            remembered = (
                (yield from self._class_memory(community_id, key, now)) if with_memory else ()
            )
            return last_week, last_month, cards, concepts, remembered

        (
            (active_7d, reviews_7d),
            (active_30d, reviews_30d),
            cards,
            concepts,
            remembered,
        ) = await self.store.read(script())
        reviews = sum(c.attempts for c in cards)
        correct = reviews - sum(c.wrong for c in cards)
        attempts = {(c.deck_id, c.card_id): c.attempts for c in cards}
        hardest: list[HardCard] = []
        for c in cards:
            card = self.decks.card(c.deck_id, c.card_id)
            deck = self.decks.get(c.deck_id)
            if card is None or deck is None or c.attempts < MIN_ATTEMPTS or c.wrong == 0:
                continue
            hardest.append(
                HardCard(deck.id, deck.title, card.id, card_excerpt(card), c.attempts, c.wrong)
            )
        hardest.sort(key=lambda h: (-h.wrong / h.attempts, -h.wrong, h.deck_id, h.card_id))
        missed: list[MissedConcept] = []
        for m in concepts:
            deck = self.decks.get(m.deck_id)
            if deck is None or deck.card(m.card_id) is None:
                continue
            missed.append(
                MissedConcept(
                    deck.id,
                    deck.title,
                    m.card_id,
                    m.concept,
                    m.missed,
                    attempts.get((m.deck_id, m.card_id), 0),
                )
            )
            if len(missed) == HARDEST_LIMIT:
                break
        return ClassProgress(
            deck_id=deck_id,
            active_7d=active_7d,
            active_30d=active_30d,
            reviews_7d=reviews_7d,
            reviews_30d=reviews_30d,
            reviews=reviews,
            correct=correct,
            hardest=tuple(hardest[:HARDEST_LIMIT]),
            missed_concepts=tuple(missed),
            memory=remembered,
        )

    async def class_memory(
        self, community: Identity, deck_id: str | None
    ) -> tuple[DeckMemory, ...]:
        """The memory figures of the class view alone (see :meth:`_class_memory`);
        ``deck_id`` as moderators type it (a bundled deck, or one uploaded there)."""
        now = require_aware(self.clock(), "now")
        key = await self._deck_key(community, deck_id)

        def script() -> Script[tuple[DeckMemory, ...]]:
            community_id = yield from communities.find(community)
            if community_id is None:
                return ()
            return (yield from self._class_memory(community_id, key, now))

        return await self.store.read(script())

    def _class_memory(
        self, community_id: int, deck_id: str | None, now: datetime
    ) -> Script[tuple[DeckMemory, ...]]:
        """Per deck: the class's predicted recall, reviews coming due, the most overdue
        learners (see :mod:`bot.core.memory`), for the loaded decks with cards studied
        in the community, most studied cards first. ``deck_id`` is a deck key; each
        figure carries the plain deck id, and only decks this community sees count."""
        until = to_epoch(now)
        recalls = yield from memory.class_recalls(community_id, deck_id, now)
        scope = (community_id,)
        shown = sorted(
            (d for d in recalls if self.decks.serves(d, scope)),
            key=lambda d: (-recalls[d][0], d),
        )
        remembered: list[DeckMemory] = []
        for deck in shown[:MEMORY_DECKS]:
            loaded = self.decks.get(deck)
            assert loaded is not None  # filtered above
            due_now, by_day = yield from memory.due_counts(community_id, deck, until, FORECAST_DAYS)
            overdue = yield from memory.most_overdue(community_id, deck, until, AT_RISK_LIMIT)
            risky = yield from memory.learner_cards(community_id, deck, overdue)
            remembered.append(
                DeckMemory(
                    deck_id=loaded.id,
                    deck_title=loaded.title,
                    cards=recalls[deck][0],
                    recall=recalls[deck][1],
                    due_now=due_now,
                    due_by_day=by_day,
                    at_risk=tuple(
                        AtRiskLearner(r.learner, learner_memory(r.cards, now)) for r in risky
                    ),
                )
            )
        return tuple(remembered)

    # -- grading ----------------------------------------------------------------------

    async def card_answers(
        self, community: Identity, deck_id: str, card_id: str, *, limit: int = ANSWERS_SHOWN
    ) -> CardAnswers | None:
        """The explain card's latest ``limit`` answers in ``community`` (never another's),
        each graded again by the card's concepts as loaded now, with the clause that
        earned each concept (:func:`bot.core.grading.grade_explain`). ``deck_id`` as
        moderators see it: a bundled deck or one uploaded in ``community``. None when no
        deck ``community`` sees has that explain card."""
        key = await self._deck_key(community, deck_id)
        assert key is not None
        deck = self.decks.get(key)
        card = self.decks.card(key, card_id)
        if deck is None or not isinstance(card, ExplainCard):
            return None

        def script() -> Script[list[answers.StoredAnswer]]:
            community_id = yield from communities.find(community)
            if community_id is None:
                return []
            return (yield from answers.recent_answers(community_id, key, card_id, limit))

        stored = await self.store.read(script())
        graded = tuple(
            GradedAnswer(
                a.learner,
                a.answered_at,
                a.text,
                grade_explain(a.text, card.concepts, prompt=card.prompt, hint=card.hint or ""),
            )
            for a in stored
        )
        return CardAnswers(
            deck_id=deck.id,
            deck_title=deck.title,
            card_id=card.id,
            prompt=card.prompt,
            concepts=tuple(c.name for c in card.concepts),
            answers=graded,
        )

    # -- stats ------------------------------------------------------------------------

    async def learner_stats(self, learner: Identity, weeks: int = WEEKS) -> LearnerStats:
        """A learner's own stats and heatmap counts (zeros for someone who never studied)."""
        now = require_aware(self.clock(), "now")
        await refresh_catalog(self.store, self.decks)  # weak spots of uploaded decks

        def script() -> Script[LearnerStats]:
            found = yield from learners.find(learner)
            zone_name = found.time_zone if found else "UTC"
            zone = _zone_or_utc(zone_name)
            today = local_date(now, zone)
            first = grid_start(today, weeks)
            state = found.streak if found else StreakState()
            if found is None:
                totals, due, later, quarters = stats.Totals(), 0, 0, []
                weak: tuple[tuple[HardCard, ...], tuple[MissedConcept, ...]] = ((), ())
            else:
                totals = yield from stats.learner_totals(found.id)
                scheduled = yield from card_states.scheduled_until(
                    found.id, later_today_bound(now, zone.key)
                )
                # Only cards a session could show (their deck is loaded), as review does.
                shown = [when for d, c, when in scheduled if self.decks.card(d, c) is not None]
                due = sum(1 for when in shown if is_due(when, now))
                later = len(shown) - due
                start = datetime.combine(first, time(0), tzinfo=zone)
                quarters = yield from stats.learner_quarters(
                    found.id, to_epoch(start), to_epoch(now)
                )
                weak = yield from self._weak_spots(found.id, now)
            return LearnerStats(
                learner=learner,
                time_zone=zone_name,
                streak=streak_view(state, today),
                best_streak=state.best,
                freezes=state.freezes,
                xp=found.xp if found else 0,
                reviews=totals.reviews,
                correct=totals.correct,
                due_now=due,
                later_today=later,
                reminder_time=found.reminder_time if found else None,
                reminders_off_reason=found.reminders_off_reason if found else None,
                activity=_activity_days(quarters, zone, first, today),
                today=today,
                weak_cards=weak[0],
                weak_concepts=weak[1],
            )

        return await self.store.read(script())

    def _weak_spots(
        self, learner_id: int, now: datetime
    ) -> Script[tuple[tuple[HardCard, ...], tuple[MissedConcept, ...]]]:
        """The learner's most-missed cards and concepts over :data:`WEAK_SPOT_DAYS`
        (cards of decks no longer loaded are left out: nothing to study there)."""
        since = to_epoch(now - timedelta(days=WEAK_SPOT_DAYS))
        missed = yield from stats.learner_missed_cards(learner_id, since, WEAK_SPOT_LIMIT * 4)
        cards: list[HardCard] = []
        for m in missed:
            deck, card = self.decks.get(m.deck_id), self.decks.card(m.deck_id, m.card_id)
            if deck is None or card is None:
                continue
            cards.append(
                HardCard(deck.id, deck.title, m.card_id, card_excerpt(card), m.attempts, m.misses)
            )
            if len(cards) == WEAK_SPOT_LIMIT:
                break
        answers = yield from stats.learner_explain_answers(learner_id, since, WEAK_SPOT_ANSWERS)
        attempts: dict[tuple[str, str], int] = {}
        counts: dict[tuple[str, str, str], int] = {}
        for deck_id, card_id, names in answers:
            attempts[(deck_id, card_id)] = attempts.get((deck_id, card_id), 0) + 1
            for name in dict.fromkeys(names):
                counts[(deck_id, card_id, name)] = counts.get((deck_id, card_id, name), 0) + 1
        concepts: list[MissedConcept] = []
        for (deck_id, card_id, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            deck = self.decks.get(deck_id)
            if deck is None or self.decks.card(deck_id, card_id) is None:
                continue
            concepts.append(
                MissedConcept(deck.id, deck.title, card_id, name, n, attempts[(deck_id, card_id)])
            )
            if len(concepts) == WEAK_SPOT_LIMIT:
                break
        return tuple(cards), tuple(concepts)

    async def activity(
        self, learner: Identity, zone: ZoneInfo | str, weeks: int = WEEKS
    ) -> dict[date, int]:
        """Answers per local day in ``zone``, for every day of the grid up to today (zeros
        too); answers after now are not counted. The learner's whole history, across
        communities."""
        now = require_aware(self.clock(), "now")
        tz = zone if isinstance(zone, ZoneInfo) else parse_zone(zone)
        today = local_date(now, tz)
        first = grid_start(today, weeks)
        start = to_epoch(datetime.combine(first, time(0), tzinfo=tz))

        def script() -> Script[list[tuple[int, int]]]:
            found = yield from learners.find(learner)
            if found is None:
                return (yield from done([]))
            return (yield from stats.learner_quarters(found.id, start, to_epoch(now)))

        return _activity_days(await self.store.read(script()), tz, first, today)

    async def member_stats(
        self, community: Identity, learner: Identity, weeks: int = WEEKS
    ) -> MemberStats:
        """What a moderator of ``community`` sees of ``learner``: answers, accuracy, XP
        and answers per UTC day, in this community only (zeros if none)."""
        now = require_aware(self.clock(), "now")
        today = now.astimezone(UTC).date()
        first = grid_start(today, weeks)
        first_day, last_day = (first - _EPOCH_DAY).days, (today - _EPOCH_DAY).days

        def script() -> Script[tuple[stats.Totals, list[tuple[int, int]]]]:
            community_id = yield from communities.find(community)
            found = yield from learners.find(learner)
            if community_id is None or found is None:
                return stats.Totals(), []
            totals = yield from stats.member_totals(community_id, found.id)
            days = yield from stats.community_days(community_id, found.id, first_day, last_day)
            return totals, days

        totals, days = await self.store.read(script())
        counts = {first + timedelta(days=i): 0 for i in range((today - first).days + 1)}
        for day, n in days:
            counts[_EPOCH_DAY + timedelta(days=day)] = n
        return MemberStats(learner, totals.reviews, totals.correct, totals.xp, counts, today)

    async def deck_progress(
        self, learner: Identity, community: Identity | None = None
    ) -> list[DeckProgress]:
        """Every deck ``community`` sees (in a DM: the bundled decks and those of every
        community the learner studies in) with the learner's seen and due-now counts."""
        now = require_aware(self.clock(), "now")
        await refresh_catalog(self.store, self.decks)

        def script() -> Script[tuple[list[stats.CardDue], list[int]]]:
            found = yield from learners.find(learner)
            if found is None:
                return (yield from done(([], [])))
            ids: list[int] = []
            if community is None:
                ids = yield from communities.of_learner(found.id)
            return (yield from stats.seen_cards(found.id)), ids

        seen, community_ids = await self.store.read(script())
        by_deck: dict[str, dict[str, int]] = {}
        for c in seen:
            by_deck.setdefault(c.deck_id, {})[c.card_id] = c.due
        visible = (
            self.decks.visible(community)
            if community is not None
            else self.decks.visible_in(community_ids)
        )
        result: list[DeckProgress] = []
        for entry in visible:
            deck = entry.deck
            mine = by_deck.get(entry.key, {})
            by_type: dict[str, int] = {}
            seen_count = due_now = 0
            for card in deck.cards:
                by_type[card.type] = by_type.get(card.type, 0) + 1
                if card.id in mine:
                    seen_count += 1
                    due_now += is_due(from_epoch(mine[card.id]), now)
            result.append(
                DeckProgress(deck.id, deck.title, len(deck.cards), by_type, seen_count, due_now)
            )
        return result

    # -- export -----------------------------------------------------------------------

    async def export_learners(self, community: Identity) -> list[Identity]:
        """Everyone with results in ``community`` (for the export's name look-ups)."""

        def script() -> Script[list[Identity]]:
            community_id = yield from communities.find(community)
            if community_id is None:
                return (yield from done([]))
            return (yield from export.learners_of(community_id))

        return await self.store.read(script())

    async def export_pages(
        self, community: Identity, *, batch_size: int = BATCH_SIZE
    ) -> AsyncIterator[list[ExportRow]]:
        """Every (learner, deck) of the community in pages of at most ``batch_size``,
        ordered by learner then deck; each page is one read. ``streak`` is the
        learner's current streak as their stats show it now; ``memory`` the learner's
        memory of the deck's cards last studied in this community
        (:func:`bot.core.memory.learner_memory`), read with the page."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        now = require_aware(self.clock(), "now")
        today: dict[str, date] = {}
        after = export.FIRST_KEY
        community_id: int | None = None
        while True:

            def script(
                found: int | None, after: tuple[int, str]
            ) -> Script[
                tuple[
                    int | None,
                    list[export.ExportRecord],
                    dict[tuple[int, str], list[CardMemoryFigures]],
                ]
            ]:
                if found is None:
                    found = yield from communities.find(community)
                    if found is None:
                        return None, [], {}
                page = yield from export.export_page(found, after, batch_size)
                cards = (
                    (yield from memory.page_cards(found, page[0].learner_id, page[-1].learner_id))
                    if page
                    else {}
                )
                return found, page, cards

            community_id, records, cards = await self.store.read(script(community_id, after))
            if records:
                rows: list[ExportRow] = []
                for r in records:
                    if r.time_zone not in today:
                        today[r.time_zone] = local_date(now, _zone_or_utc(r.time_zone))
                    rows.append(
                        ExportRow(
                            learner=r.learner,
                            deck_id=plain_id(r.deck_id),
                            reviews=r.reviews,
                            correct=r.correct,
                            xp=r.xp,
                            streak=streak_view(r.streak, today[r.time_zone]).current,
                            last_active=from_epoch(r.last_at),
                            memory=(
                                learner_memory(mine, now)
                                if (mine := cards.get((r.learner_id, r.deck_id)))
                                else NO_MEMORY
                            ),
                        )
                    )
                yield rows
            if len(records) < batch_size:
                return
            after = (records[-1].learner_id, records[-1].deck_id)

    async def export_rows(
        self, community: Identity, *, batch_size: int = BATCH_SIZE
    ) -> AsyncIterator[ExportRow]:
        """:meth:`export_pages` one row at a time."""
        async for page in self.export_pages(community, batch_size=batch_size):
            for row in page:
                yield row


def _with(query: boards.BoardQuery, **changes: object) -> boards.BoardQuery:
    return replace(query, **changes)  # type: ignore[arg-type]
