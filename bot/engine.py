"""The engine as a front end other than Discord's gets it: the store, the decks and the
services, wired from :class:`~bot.settings.Settings` in one place.

Every service shares the one :class:`~bot.decks.catalog.DeckCatalog` of the process
(bundled decks plus every community's uploaded ones), as on Discord: a refresh made by
one service is seen by all, and each deck choice is scoped by community.

``bot.client`` wires the same pieces for the Discord bot inside its ``setup_hook``;
the Slack app (``slackapp``) and its tests open an :class:`Engine` instead, so that
they never import :mod:`bot.storage` themselves.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.core.clock import Clock, system_clock
from bot.core.scheduling import CardScheduler
from bot.decks import DeckLibrary
from bot.decks.catalog import DeckCatalog
from bot.services.daily import DailyQuestionService
from bot.services.decks import DeckService
from bot.services.learners import LearnerService
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.services.study import StudyService
from bot.settings import Settings
from bot.storage import DatabaseURL, Store, open_store


@dataclass
class Engine:
    """Every service over one open store. Close it with :meth:`close`."""

    store: Store
    decks: DeckCatalog
    """The process's one deck catalog, shared by every service."""
    deck_admin: DeckService
    """Refreshes :attr:`decks` (and lists a community's uploaded decks)."""
    study: StudyService
    learners: LearnerService
    reminders: ReminderService
    daily: DailyQuestionService
    reports: ReportService
    clock: Clock
    problems: list[str] = field(default_factory=list)
    """The deck problems met while loading (logged by the caller)."""

    @property
    def description(self) -> str:
        """Which database this is, for a log line (no password)."""
        return self.store.description

    async def close(self) -> None:
        """Close the store."""
        await self.store.close()


def build_engine(
    store: Store,
    decks: DeckLibrary | DeckCatalog,
    *,
    clock: Clock = system_clock,
    scheduler: CardScheduler | None = None,
    problems: list[str] | None = None,
) -> Engine:
    """The services over an open ``store`` and a loaded deck library (taken as a
    catalog of its bundled decks, which the first refresh fills with uploaded ones),
    all sharing one catalog."""
    scheduler = scheduler or CardScheduler()
    catalog = DeckCatalog.of(decks)
    return Engine(
        store=store,
        decks=catalog,
        deck_admin=DeckService(store, catalog, clock),
        study=StudyService(store, catalog, scheduler, clock),
        learners=LearnerService(store, clock),
        reminders=ReminderService(store, clock),
        daily=DailyQuestionService(store, catalog, scheduler, clock),
        reports=ReportService(store, catalog, clock),
        clock=clock,
        problems=list(problems or []),
    )


async def open_engine(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    database: DatabaseURL | None = None,
    scheduler: CardScheduler | None = None,
) -> Engine:
    """Open (and migrate) the database of ``settings`` and load ``CONTENT_DIR``.

    Raises :class:`~bot.services.StorageError` when the database cannot be opened.
    """
    store = await open_store(database or settings.database)
    try:
        # Parsing decks is CPU work: off the event loop, which may have a socket to serve.
        decks, problems = await asyncio.to_thread(DeckLibrary.load, settings.content_dir)
    except BaseException:
        await store.close()
        raise
    engine = build_engine(
        store,
        decks,
        clock=clock,
        scheduler=scheduler or CardScheduler(desired_retention=settings.desired_retention),
        problems=[str(p) for p in problems],
    )
    try:
        await engine.deck_admin.refresh()  # the decks uploaded so far, once at start
    except BaseException:
        await store.close()
        raise
    return engine


__all__ = ["Engine", "build_engine", "open_engine"]
