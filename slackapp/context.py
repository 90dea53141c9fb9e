"""What every Slack handler is given: the engine's services, the Web API client, the
settings, and the app's small in-memory caches (which a restart may empty freely)."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.clock import Clock
from bot.core.throttle import InteractionLimiter
from bot.decks.catalog import DeckCatalog
from bot.engine import Engine
from bot.services.daily import DailyQuestionService
from bot.services.decks import DeckService
from bot.services.learners import LearnerService
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.services.study import StudyService
from bot.settings import Settings
from slackapp.admins import Directory
from slackapp.users import UserDirectory


@dataclass
class SlackContext:
    """The Slack front end's dependencies, built once by :func:`from_engine`."""

    study: StudyService
    learners: LearnerService
    reports: ReportService
    reminders: ReminderService
    daily: DailyQuestionService
    decks: DeckCatalog
    """The engine's deck catalog (shared with every service): look decks up scoped by
    the workspace (:meth:`~bot.decks.catalog.DeckCatalog.visible`, ``resolve``)."""
    deck_admin: DeckService
    """Refreshes :attr:`decks` before a look-up (a deck uploaded through Discord)."""
    clock: Clock
    client: AsyncWebClient
    settings: Settings
    users: UserDirectory
    admins: Directory
    """``users.info`` for the admin check and the names on boards (fails closed)."""
    known: set[str] = field(default_factory=set)
    """Slack users already seen as learners by this process: a cache that saves a read
    per command (see :func:`slackapp.quiz.first_contact`); empty after a restart."""
    limiter: InteractionLimiter = field(default_factory=InteractionLimiter)
    """The per-user limit on commands and clicks (:mod:`bot.core.throttle`), as on Discord."""


def from_engine(engine: Engine, client: AsyncWebClient, settings: Settings) -> SlackContext:
    """The context over an open engine and a Web API client."""
    return SlackContext(
        study=engine.study,
        learners=engine.learners,
        reports=engine.reports,
        reminders=engine.reminders,
        daily=engine.daily,
        decks=engine.decks,
        deck_admin=engine.deck_admin,
        clock=engine.clock,
        client=client,
        settings=settings,
        users=UserDirectory(client, engine.clock),
        admins=Directory(client, clock=lambda: engine.clock().timestamp()),
    )


__all__ = ["SlackContext", "from_engine"]
