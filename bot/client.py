"""The Discord process: the ``commands.Bot`` subclass and ``run_bot``.

This is the only module of ``bot/`` that imports discord. It wires the engine
(store, decks, scheduler, clock, services) to the extensions in ``cogs/``, which it
loads by name and never imports: what the front end says (error replies, "slow
down") reaches it as events (``app_command_error``, ``interaction_refused``) that
``cogs.common.handlers`` listens to.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.core.clock import Clock, system_clock
from bot.core.scheduling import CardScheduler
from bot.core.throttle import InteractionLimiter
from bot.decks import DeckLibrary
from bot.decks.catalog import DeckCatalog
from bot.services.daily import DailyQuestionService
from bot.services.decks import DeckService
from bot.services.games import GameService
from bot.services.learners import LearnerService
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.services.study import StudyService
from bot.settings import Settings, log_level_number
from bot.storage import StorageError, Store, open_store

log = logging.getLogger(__name__)

EXTENSIONS: Sequence[str] = (
    "cogs.common.handlers",
    "cogs.quiz",
    "cogs.games",
    "cogs.reminders",
    "cogs.leaderboard",
    "cogs.admin",
)


def apply_endpoints(settings: Settings) -> None:
    """Point discord.py's REST and gateway clients at the configured URLs."""
    discord.http.Route.BASE = settings.discord_api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class RecallTree(app_commands.CommandTree["RecallBot"]):
    """The bot's command tree: every slash command passes the per-user limit, and every
    error becomes an ``app_command_error`` event for the front end's one handler."""

    async def interaction_check(self, interaction: discord.Interaction[RecallBot], /) -> bool:
        """Autocomplete is answered from memory and cannot be told to slow down."""
        if interaction.type is discord.InteractionType.autocomplete:
            return True
        return self.client.admit(interaction)

    async def on_error(
        self, interaction: discord.Interaction[RecallBot], error: app_commands.AppCommandError, /
    ) -> None:
        """Hand the error to the listener of ``app_command_error`` (cogs.common.handlers)."""
        self.client.dispatch("app_command_error", interaction, error)


class RecallBot(commands.Bot):
    """Recall's bot: owns the store, the deck library and the services the cogs use."""

    store: Store
    decks: DeckLibrary
    """The bundled decks (``content/``), every community's."""
    catalog: DeckCatalog
    """Bundled and uploaded decks, by community: what every deck choice goes through."""
    deck_admin: DeckService
    study: StudyService
    learners: LearnerService
    reminders: ReminderService
    daily: DailyQuestionService
    games: GameService
    reports: ReportService

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        guild_ready_timeout: float = 2.0,
        extensions: Sequence[str] = EXTENSIONS,
        background_jobs: bool = True,
        **client_options: Any,
    ) -> None:
        # Only the guilds intent: Recall works through interactions, so it needs no
        # privileged intent (members, presences, message content).
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            guild_ready_timeout=guild_ready_timeout,
            tree_cls=RecallTree,
            **client_options,
        )
        self.settings = settings
        self.clock = clock
        self._extensions = tuple(extensions)
        # Tests drive the reminder loop's ticks by hand with a fake clock instead.
        self.background_jobs = background_jobs
        # Per-user limit on interactions, applied by the tree and the buttons' checks.
        self.limiter = InteractionLimiter()

    def admit(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether ``interaction`` may be processed now (:mod:`bot.core.throttle`).

        Called by every entry point before any work: the tree's check, the buttons'
        checks and the modal listener. An admitted interaction holds a slot until the
        task discord.py runs it in ends, however the handler finishes; a refused one
        is announced as an ``interaction_refused`` event, whose listener answers it
        cheaply ("slow down") with no database work.
        """
        user_id = interaction.user.id
        if not self.limiter.try_begin(user_id):
            self.dispatch("interaction_refused", interaction)
            return False
        task = asyncio.current_task()
        if task is None:  # not in a task (never the case in discord.py): don't count it
            self.limiter.end(user_id)
        else:
            task.add_done_callback(lambda _task: self.limiter.end(user_id))
        return True

    async def login(self, token: str) -> None:
        """Apply ``DISCORD_API_BASE``/``DISCORD_GATEWAY_URL`` before the first request."""
        apply_endpoints(self.settings)
        await super().login(token)

    async def setup_hook(self) -> None:
        """Open the database, load decks and extensions, then sync the slash commands."""
        self.store = await open_store(self.settings.database)
        log.info("database: %s", self.store.description)
        # Parsing is CPU work, seconds for a hostile file: keep it off the event loop,
        # which must go on answering the gateway's heartbeats meanwhile.
        self.decks, problems = await asyncio.to_thread(DeckLibrary.load, self.settings.content_dir)
        for problem in problems:
            log.warning("deck problem: %s", problem)
        log.info("loaded %d deck(s) from %s", len(self.decks.all()), self.settings.content_dir)
        self.catalog = DeckCatalog(self.decks)
        self.deck_admin = DeckService(self.store, self.catalog, self.clock)
        await self.deck_admin.refresh()
        log.info("uploaded decks: %d", len(self.catalog.uploaded()))
        scheduler = CardScheduler(desired_retention=self.settings.desired_retention)
        self.study = StudyService(self.store, self.catalog, scheduler, self.clock)
        self.learners = LearnerService(self.store, self.clock)
        self.reminders = ReminderService(self.store, self.clock)
        self.daily = DailyQuestionService(self.store, self.catalog, scheduler, self.clock)
        self.reports = ReportService(self.store, self.catalog, self.clock)
        self.games = GameService(self.store, self.catalog, scheduler, self.clock)
        for extension in self._extensions:
            await self.load_extension(extension)
        await self.sync_commands()
        # Everything loaded so far lives as long as the process: take it out of the
        # garbage collector's generations so that each collection (frequent under
        # load, since discord.py allocates per event) scans only young objects.
        gc.freeze()

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """Sync to ``DEV_GUILD_ID`` when set (instant), else globally."""
        guild_id = self.settings.dev_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d command(s) to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global command(s)", len(synced))
        return synced

    async def on_ready(self) -> None:
        """Log who we are once connected."""
        log.info(
            "connected as %s (%s) in %d server(s)",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
        )

    async def close(self) -> None:
        """Disconnect, then close the database."""
        await super().close()
        store = getattr(self, "store", None)
        if store is not None:
            await store.close()


class ShardedRecallBot(RecallBot, commands.AutoShardedBot):
    """RecallBot as discord.py's ``AutoShardedBot``: ``SHARD_IDS`` of ``SHARD_COUNT`` shards.

    The same class for the cogs (it *is* a RecallBot); discord.py opens one gateway
    connection per shard and Discord sends each connection the events of the guilds
    of its shard, ``(guild_id >> 22) % SHARD_COUNT``, and the DMs to shard 0. The
    processes share nothing but the database.
    """

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        if settings.shard_count is None or settings.shard_ids is None:
            raise ValueError("ShardedRecallBot needs settings with SHARD_COUNT")
        super().__init__(
            settings,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids),
            **kwargs,
        )

    async def setup_hook(self) -> None:
        """Say which shards this process runs, then set up as every RecallBot does."""
        log.info("running shard(s) %s of %d", describe_shards(self.settings), self.shard_count)
        await super().setup_hook()

    async def on_shard_ready(self, shard_id: int) -> None:
        """Log each shard as it connects (``on_ready`` waits for all of them)."""
        log.info("shard %d of %d ready", shard_id, self.shard_count)


def describe_shards(settings: Settings) -> str:
    """``0, 1`` for the shards of ``settings`` (``-`` when not sharded), for log lines."""
    return ", ".join(str(n) for n in settings.shard_ids or ()) or "-"


def create_bot(settings: Settings, **kwargs: Any) -> RecallBot:
    """The bot for ``settings``: a ShardedRecallBot with ``SHARD_COUNT``, else a RecallBot.

    ``kwargs`` are RecallBot's keyword arguments (clock, extensions, ...).
    """
    if settings.shard_count is not None:
        return ShardedRecallBot(settings, **kwargs)
    return RecallBot(settings, **kwargs)


class _NoVoiceNotice(logging.Filter):
    """Drop discord.py's "voice will NOT be supported" warnings: Recall has no voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


def configure_logging(settings: Settings) -> None:
    """discord.py's log format at ``LOG_LEVEL``, keeping the log to what a host needs.

    APScheduler logs every run of every job at INFO ("Running job ...", "executed
    successfully"): about 5,700 lines a day from an idle bot. Its loggers stay at
    WARNING (errors and missed runs still show) unless ``LOG_LEVEL=DEBUG``.
    """
    level = log_level_number(settings)
    discord.utils.setup_logging(level=level, root=True)
    logging.getLogger("discord.client").addFilter(_NoVoiceNotice())
    logging.getLogger("apscheduler").setLevel(
        logging.DEBUG if level <= logging.DEBUG else max(level, logging.WARNING)
    )


async def _check_database(settings: Settings) -> None:
    """Open (and migrate) the database once before connecting: a bad path fails fast.

    Raises ``StorageError``; nothing is sent to Discord before this passed.
    """
    store = await open_store(settings.database)
    await store.close()


def run_bot(settings: Settings) -> int:
    """Run the bot until SIGINT/SIGTERM; returns the exit code.

    Every start-up failure a host can meet (a database that cannot be opened or
    written, Discord unreachable, a refused token) is one log line and exit 1.
    """
    configure_logging(settings)
    apply_endpoints(settings)
    token = settings.require_token()

    async def runner() -> None:
        await _check_database(settings)
        bot = create_bot(settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        async with bot:
            await bot.start(token.get_secret_value())

    try:
        asyncio.run(runner())
    except discord.LoginFailure:
        # discord.py's own message names neither the token nor its value.
        log.error("Discord refused the token in DISCORD_TOKEN (login failed); check it")
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("Discord refused a privileged intent; Recall should need none")
        return 1
    except StorageError as exc:
        log.error("Database error (DATABASE_URL): %s", exc)
        return 1
    except (aiohttp.ClientError, OSError, discord.GatewayNotFound) as exc:
        # DNS, refused connection, TLS, proxy: the reason in one line, no traceback.
        log.error(
            "Cannot reach Discord at %s (DISCORD_API_BASE / DISCORD_GATEWAY_URL): %s",
            settings.discord_api_base,
            _one_line(exc),
        )
        return 1
    except discord.HTTPException as exc:
        log.error("Discord answered %s while starting: %s", exc.status, _one_line(exc))
        return 1
    return 0


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]
