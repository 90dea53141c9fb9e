"""Command line: ``python -m bot [run | slack | check [DIR] | practice DECK | import FILE]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

NO_TOKEN_HELP = """\
Recall needs a Discord bot token to connect, and DISCORD_TOKEN is not set.
  1. Create an application at https://discord.com/developers/applications,
     open "Bot", press "Reset Token" and copy the token.
  2. cp .env.example .env and put it there: DISCORD_TOKEN=...
     (set DEV_GUILD_ID to your server's id to get the slash commands at once).
  3. Invite the bot: OAuth2 → URL Generator → scopes "bot" and "applications.commands".
To try Recall without Discord, study a deck in the terminal:
  .venv/bin/python -m bot practice django-wsgi-asgi"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Recall, a Discord tutor.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Discord bot (the default)")
    sub.add_parser(
        "slack", help="run the Slack app (Socket Mode; SLACK_BOT_TOKEN, SLACK_APP_TOKEN)"
    )
    check = sub.add_parser("check", help="validate every deck file")
    check.add_argument("directory", nargs="?", type=Path, help="folder of decks (CONTENT_DIR)")
    practice = sub.add_parser("practice", help="study a deck in the terminal")
    practice.add_argument("deck", help="deck id, e.g. django-wsgi-asgi")
    practice.add_argument(
        "--kind", choices=["flashcard", "mcq", "explain", "mixed"], default="mixed"
    )
    practice.add_argument("--count", type=int, default=10, help="cards (1-50, default 10)")
    importer = sub.add_parser(
        "import", help="convert CSV, TSV, .txt, Anki .apkg/.colpkg or YAML to a deck YAML"
    )
    importer.add_argument("file", type=Path, help="the file to convert")
    importer.add_argument(
        "-o", "--output", type=Path, help="where to write the deck YAML (default: standard output)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "import":
        return run_import(args.file, args.output)
    if args.command == "check" and args.directory is not None:
        from bot.decks.check import run_check

        # Checking a named folder needs no other setting: a bad token must not stop it.
        return run_check(args.directory, sys.stdout)
    try:
        # Only the bot needs a token: a malformed one must not stop check or practice.
        settings = load_settings(check_token=args.command in (None, "run"))
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        from bot.decks.check import run_check

        return run_check(args.directory or settings.content_dir, sys.stdout)
    if args.command == "practice":
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        # asyncio.run's own Ctrl-C handler only cancels the task, which cannot happen
        # while input() blocks the loop: it waited for Enter, then printed a traceback.
        # A handler of our own makes asyncio leave SIGINT alone and interrupts the read.
        signal.signal(signal.SIGINT, _interrupt)
        try:
            return asyncio.run(_practice(settings, args.deck, args.kind, args.count))
        except KeyboardInterrupt:
            print("\nInterrupted. Your answers so far are saved.", file=sys.stderr)
            return 130  # 128 + SIGINT, as shells report it
        except BrokenPipeError:
            # The reader went away (``| head``): answers so far are saved; leave quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
    if args.command == "slack":
        from slackapp.runner import run_slack  # imports slack_bolt: only the Slack app needs it

        return run_slack(settings)
    return _run(settings)


def run_import(source: Path, output: Path | None) -> int:
    """``python -m bot import``: the deck YAML on ``output`` (or stdout); 1 on any problem.

    Problems go to standard error, one per line as ``file:line: card id: what is
    wrong``; on success a summary line (cards by type, media dropped) does too.
    """
    from bot.decks import limits
    from bot.decks.importers import import_deck

    try:
        with source.open("rb") as stream:
            # One byte past the cap, so that the importer refuses a larger file itself.
            data = stream.read(limits.IMPORT_BYTES_MAX + 1)
    except OSError as error:
        print(f"{source}:1: -: cannot read the file: {error.strerror}", file=sys.stderr)
        return 1
    result = import_deck(source.name, data)
    for problem in result.problems:
        print(problem.located(str(source)), file=sys.stderr)
    if result.deck is None:
        return 1
    if output is None:
        sys.stdout.write(result.yaml)
    else:
        try:
            output.write_text(result.yaml, encoding="utf-8")
        except OSError as error:
            print(f"{output}: cannot write: {error.strerror}", file=sys.stderr)
            return 1
    print(result.summary(), file=sys.stderr)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run(settings: Settings) -> int:
    if settings.discord_token is None:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return 1
    if not settings.content_dir.is_dir():
        # Serving no decks at all is never what the host meant (a typo, a missing mount).
        print(
            f"Configuration error: CONTENT_DIR {settings.content_dir} is not a folder of decks",
            file=sys.stderr,
        )
        return 2
    from bot.client import run_bot  # imports discord: only the bot itself needs it

    return run_bot(settings)


async def _practice(settings: Settings, deck_id: str, kind: str, count: int) -> int:
    from bot.core.clock import system_clock
    from bot.core.scheduling import CardScheduler
    from bot.core.session import MAX_COUNT, SessionKind
    from bot.decks import DeckLibrary
    from bot.practice import Terminal, run_practice
    from bot.services.learners import LearnerService
    from bot.services.study import StudyService
    from bot.storage import StorageError, open_store

    if not 1 <= count <= MAX_COUNT:
        print(f"--count must be between 1 and {MAX_COUNT}", file=sys.stderr)
        return 2
    library, problems = DeckLibrary.load(settings.content_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    try:
        store = await open_store(settings.database)
    except StorageError as exc:
        print(f"Database error: {exc}", file=sys.stderr)
        return 1
    try:
        scheduler = CardScheduler(desired_retention=settings.desired_retention)
        return await run_practice(
            StudyService(store, library, scheduler, system_clock),
            LearnerService(store, system_clock),
            deck_id,
            kind=SessionKind(kind),
            count=count,
            term=Terminal(sys.stdin, sys.stdout),
            clock=system_clock,
        )
    finally:
        await store.close()


if __name__ == "__main__":
    sys.exit(main())
