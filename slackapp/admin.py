"""``/quiz leaderboard | progress | export | daily``: the workspace admins' commands.

"Admins" are the workspace's admins and owners as ``users.info`` reports them
(:mod:`slackapp.admins`), asked again on every admin command and on every click of
an admin's private leaderboard (a cache of at most a minute); anyone else is refused
privately, and a ``users.info`` that fails refuses too. The workspace is the
community (``Identity(Platform.SLACK, team_id)``): its leaderboard, its class view,
its export and its daily question come from the same services as on Discord.

- The leaderboard is private unless ``public:true``. Names are shown as text (the
  learner's Slack display name, escaped), never as ``<@U…>`` mentions, so a board
  in a channel pings nobody. Previous/Next carry the page's query in their action id;
  on a private board they check the admin again, a public board's buttons give
  anyone a private copy of the page they ask for (an admin chose to publish it).
- The export is a CSV file (the Discord export's columns, :mod:`bot.export`)
  uploaded with ``files_upload_v2`` into the admin's direct message with Recall, so
  the class's results never land in a channel.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.core.custom_ids import METRIC_CODES, PAGE_PATTERN, PERIOD_CODES
from bot.core.errors import NoQuestions
from bot.core.leaderboard import LeaderboardPage, Metric, Period
from bot.core.learner import Identity, Platform
from bot.core.reports import ClassProgress
from bot.core.timezones import InvalidLocalTime, InvalidTimeZone, parse_local_time, parse_zone
from bot.export import CSV_ENCODING, write_csv_async
from bot.phrases import board_title, board_value
from slackapp import outbound
from slackapp.admins import Directory
from slackapp.commands import AdminCommand, DailyOff, DailySet, Export, Leaderboard, Progress
from slackapp.context import SlackContext
from slackapp.escape import escape, fit
from slackapp.quiz import team_of, user_of
from slackapp.render import Block, actions, button, context
from slackapp.words import FORGED, message_for, relative

__all__ = [
    "LEADERBOARD_PREFIX",
    "NOT_ADMIN",
    "PageQuery",
    "board_blocks",
    "handle_admin",
    "handle_page",
    "page_action",
    "parse_page",
    "progress_blocks",
    "register",
    "require_admin",
]

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
"""bolt's ``respond``: answers through the command's or click's ``response_url``."""
Ack = Callable[..., Awaitable[Any]]

NOT_ADMIN: Final = (
    "Only workspace admins and owners can use /quiz {name}. If you are one, try again in a minute."
)
NAME_LOOKUPS_MAX: Final = 2000
"""Export names looked up at most; past it the rest stay empty (as on Discord)."""
NAME_LOOKUP_CONCURRENCY: Final = 5
BOARD_NAMES_SECONDS: Final = 5.0
"""A board page's ten names are looked up for at most this long."""
EXPORT_NAMES_SECONDS: Final = 20.0
"""The export's name look-ups stop after this long (``users.info`` is rate limited to
about 100 a minute): names not found by then stay empty rather than hold the export."""
NAME_MAX: Final = 60
"""A name on the board is cut to this (Slack display names can be long)."""

LEADERBOARD_PREFIX: Final = re.compile(r"^recall:lb:")
_PAGE: Final = re.compile(PAGE_PATTERN)
MEDALS: Final = {1: "🥇", 2: "🥈", 3: "🥉"}


def _directory(ctx: SlackContext) -> Directory:
    return ctx.admins


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the admin views' buttons (leaderboard paging) and the daily question's
    option buttons (:mod:`slackapp.outbound`) on ``app``."""

    # Imported here: slackapp.app imports this module (and calls this function).
    from slackapp.app import SLOW_DOWN, admitted

    @app.action(LEADERBOARD_PREFIX)
    async def on_page(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        await ack()
        with admitted(ctx, user_of(body)) as ok:
            if not ok:
                await _private(respond, SLOW_DOWN)
                return
            try:
                await handle_page(ctx, body, respond)
            except Exception as exc:
                await _private(respond, message_for(exc, ctx.clock()))

    outbound.register(app, ctx)


def community_of(team_id: str) -> Identity:
    """The workspace as the services know it."""
    return Identity(Platform.SLACK, team_id)


async def require_admin(ctx: SlackContext, user_id: str, team_id: str | None = None) -> bool:
    """Whether ``user_id`` is an admin or owner of the workspace now (False when Slack
    cannot say). ``team_id``: the workspace the command came from; an admin of
    another organisation (a Slack Connect channel) is not one of this workspace."""
    if not user_id:
        return False
    return await _directory(ctx).is_admin(user_id, team_id)


async def _private(respond: Respond, text: str, blocks: list[Block] | None = None) -> None:
    extra: dict[str, Any] = {} if blocks is None else {"blocks": blocks}
    await respond(text=text, response_type="ephemeral", replace_original=False, **extra)


# -- the command --------------------------------------------------------------------------


_NAMES: Final = {
    Leaderboard: "leaderboard",
    Progress: "progress",
    Export: "export",
    DailySet: "daily",
    DailyOff: "daily",
}


async def handle_admin(
    ctx: SlackContext, body: dict[str, Any], command: AdminCommand, respond: Respond
) -> None:
    """Run an admin subcommand (the command is acknowledged already): the admin check
    first, every time, then the command; every answer is private unless it is a
    public leaderboard."""
    user = str(body.get("user_id", ""))
    team = str(body.get("team_id", ""))
    name = _NAMES[type(command)]
    if not team or not await require_admin(ctx, user, team):
        await _private(respond, NOT_ADMIN.format(name=name))
        return
    if isinstance(command, Leaderboard):
        await leaderboard(ctx, team, user, command, respond)
    elif isinstance(command, Progress):
        await progress(ctx, team, command, respond)
    elif isinstance(command, Export):
        await export(ctx, team, user, respond)
    elif isinstance(command, DailySet):
        await daily_set(ctx, team, command, respond)
    else:
        await daily_off(ctx, team, respond)


# -- leaderboard ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageQuery:
    """What a Previous/Next button asks for."""

    period: Period
    metric: Metric
    deck: str | None
    page: int
    shared: bool


def page_action(query: PageQuery, direction: str) -> str:
    """The action id of a paging button (unique in its message thanks to ``direction``)."""
    return (
        f"recall:lb:{PERIOD_CODES[query.period]}:{METRIC_CODES[query.metric]}:"
        f"{query.deck or ''}:{max(0, query.page)}:{direction}{':s' if query.shared else ''}"
    )


def parse_page(action_id: str) -> PageQuery | None:
    """The query of a paging button, or None for an id Recall did not make."""
    match = _PAGE.fullmatch(action_id)
    if match is None:
        return None
    period = next(p for p, code in PERIOD_CODES.items() if code == match["period"])
    metric = next(m for m, code in METRIC_CODES.items() if code == match["metric"])
    return PageQuery(
        period, metric, match["deck"] or None, int(match["page"]), bool(match["shared"])
    )


def board_blocks(
    board: LeaderboardPage, names: Mapping[Identity, str], *, shared: bool
) -> list[Block]:
    """One page: title, ranked names (escaped text, no mentions), footer, paging."""
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(board_title(board))}*"}}
    ]
    if board.empty:
        needs = f" (accuracy needs {board.min_reviews} answers)" if board.min_reviews > 1 else ""
        body = f"Nobody is ranked yet: no answers in this period{needs}."
    else:
        body = "\n".join(
            f"{MEDALS.get(row.rank, f'{row.rank}.')} "
            f"{fit(names.get(row.learner, 'unknown user'), NAME_MAX)} · "
            f"{board_value(board.metric, row)}"
            for row in board.rows
        )
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
    footer = f"Page {board.page + 1} of {board.pages} · {board.total} ranked"
    if board.viewer is not None:
        footer += f" · You: #{board.viewer.rank} ({board_value(board.metric, board.viewer)})"
    elif board.min_reviews > 1:
        footer += f" · {board.min_reviews} answers needed to be ranked"
    blocks.append(context(footer))
    query = PageQuery(board.period, board.metric, board.deck_id, board.page, shared)
    paging: list[Block] = []
    # Slack cannot grey a button out: a page at an end simply has no button that way.
    if board.has_previous:
        paging.append(button("Previous", page_action(_at(query, board.page - 1), "p")))
    if board.has_next:
        paging.append(button("Next", page_action(_at(query, board.page + 1), "n")))
    if paging:
        blocks.append(actions(paging, block_id="recall_leaderboard"))
    return blocks


def _at(query: PageQuery, page: int) -> PageQuery:
    return PageQuery(query.period, query.metric, query.deck, page, query.shared)


async def names_of(
    ctx: SlackContext, learners: Iterable[Identity], budget: float = EXPORT_NAMES_SECONDS
) -> dict[Identity, str]:
    """Display names of Slack learners (a few look-ups at a time); unknown ones left out."""
    names: dict[Identity, str] = {}
    gate = asyncio.Semaphore(NAME_LOOKUP_CONCURRENCY)
    directory = _directory(ctx)

    async def look_up(who: Identity) -> None:
        if who.platform is not Platform.SLACK:
            return
        async with gate:
            name = await directory.name(who.external_id)
        if name is not None:
            names[who] = name

    try:
        async with asyncio.timeout(budget):
            await asyncio.gather(*(look_up(who) for who in dict.fromkeys(learners)))
    except TimeoutError:
        log.info("name look-ups stopped after %.0fs: %d names found", budget, len(names))
    return names


async def _board(
    ctx: SlackContext, team: str, user: str, query: PageQuery
) -> tuple[str, list[Block]]:
    board = await ctx.reports.leaderboard(
        community_of(team),
        query.period,
        query.metric,
        query.deck,
        query.page,
        viewer=Identity(Platform.SLACK, user),
    )
    names = await names_of(ctx, [row.learner for row in board.rows], BOARD_NAMES_SECONDS)
    return board_title(board), board_blocks(board, names, shared=query.shared)


async def leaderboard(
    ctx: SlackContext, team: str, user: str, command: Leaderboard, respond: Respond
) -> None:
    """``/quiz leaderboard``: private, or in the channel with ``public:true``."""
    if command.deck is not None and not await ctx.deck_admin.knows(
        community_of(team), command.deck
    ):
        await _private(respond, f"There is no deck called '{fit(command.deck, 100)}'.")
        return
    query = PageQuery(
        Period(command.period), Metric(command.metric), command.deck, 0, command.public
    )
    text, blocks = await _board(ctx, team, user, query)
    await respond(
        text=text,
        blocks=blocks,
        response_type="in_channel" if command.public else "ephemeral",
        replace_original=False,
    )


def vouched_shared(body: Mapping[str, Any], action_id: str) -> bool:
    """Whether a shared page click is on a public board Recall itself posted.

    The ``:s`` mark in an action id is never trusted by itself (a client can send any
    action id on any of the app's messages). It counts only when Slack's payload shows
    the clicked message: a channel message (not ephemeral) of this app whose blocks
    carry a button with exactly that action id. Slack sends no message for a click on
    an ephemeral one, so paging a private copy needs an admin; a member pages the
    channel's board again instead.
    """
    container = body.get("container") or {}
    message = body.get("message") or {}
    if container.get("is_ephemeral") or not message:
        return False
    if not message.get("app_id") or message.get("app_id") != body.get("api_app_id"):
        return False
    shown = {
        str(element.get("action_id"))
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
    }
    return action_id in shown


async def handle_page(ctx: SlackContext, body: dict[str, Any], respond: Respond) -> None:
    """A Previous/Next click (already acknowledged).

    On an admin's private board the admin check runs again; a public board's pages
    are anyone's, shown privately to whoever asked.
    """
    action = (body.get("actions") or [{}])[0]
    query = parse_page(str(action.get("action_id", "")))
    user, team = user_of(body), team_of(body)
    if query is None or not team:
        await _private(respond, FORGED)
        return
    shared = query.shared and vouched_shared(body, str(action.get("action_id", "")))
    if not shared and not await require_admin(ctx, user, team):
        await _private(respond, NOT_ADMIN.format(name="leaderboard"))
        return
    query = PageQuery(query.period, query.metric, query.deck, query.page, shared)
    text, blocks = await _board(ctx, team, user, query)
    ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
    if ephemeral:
        await respond(text=text, blocks=blocks, replace_original=True)
    else:
        # A click on the channel's board: the page goes to the clicker only.
        await _private(respond, text, blocks)


# -- progress -------------------------------------------------------------------------------


def progress_blocks(report: ClassProgress) -> list[Block]:
    """The class view: activity, accuracy, the hardest cards, the concepts most missed."""
    title = "Class progress" + (f" · {report.deck_id}" if report.deck_id else "")
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(title)}*"}}
    ]
    if report.empty:
        blocks.append(context("Nobody has answered a card in this workspace yet."))
        return blocks
    accuracy = "–" if report.accuracy is None else f"{report.accuracy:.0%}"
    blocks.append(
        {
            "type": "section",
            "fields": [
                {
                    "type": "mrkdwn",
                    "text": f"*Active learners*\n{report.active_7d} (7 days) · "
                    f"{report.active_30d} (30 days)",
                },
                {
                    "type": "mrkdwn",
                    "text": f"*Reviews*\n{report.reviews_7d} (7 days) · {report.reviews} (all)",
                },
                {"type": "mrkdwn", "text": f"*Accuracy*\n{accuracy}"},
            ],
        }
    )
    hardest = "\n".join(
        f"*{card.wrong}/{card.attempts}* wrong · {escape(card.excerpt)} (`{escape(card.card_id)}`)"
        for card in report.hardest
    )
    missed = "\n".join(
        f"*{c.missed}/{c.attempts}* missed · {escape(c.concept)} (`{escape(c.card_id)}`)"
        for c in report.missed_concepts
    )
    for label, text, empty in (
        ("Hardest cards", hardest, "Not enough answers yet."),
        ("Concepts most often missed", missed, "None yet."),
    ):
        # Cut by lines, never inside an entity: each line is whole or left out.
        shown = _lines_within(text, 2900) or empty
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{label}*\n{shown}"}}
        )
    return blocks


def _lines_within(text: str, limit: int) -> str:
    kept: list[str] = []
    used = 0
    for line in text.splitlines():
        if used + len(line) + 1 > limit:
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


async def progress(ctx: SlackContext, team: str, command: Progress, respond: Respond) -> None:
    """``/quiz progress``: the class view, privately."""
    if command.deck is not None and not await ctx.deck_admin.knows(
        community_of(team), command.deck
    ):
        await _private(respond, f"There is no deck called '{fit(command.deck, 100)}'.")
        return
    report = await ctx.reports.class_progress(community_of(team), command.deck)
    title = "Class progress" + (f" · {command.deck}" if command.deck else "")
    await _private(respond, escape(title), progress_blocks(report))


# -- export ---------------------------------------------------------------------------------


async def export(ctx: SlackContext, team: str, user: str, respond: Respond) -> None:
    """``/quiz export``: the CSV, uploaded into the admin's DM with Recall."""
    community = community_of(team)
    learners = await ctx.reports.export_learners(community)
    names = await names_of(ctx, learners[:NAME_LOOKUPS_MAX])
    buffer = io.StringIO(newline="")
    rows = await write_csv_async(ctx.reports.export_rows(community), names, buffer)
    data = buffer.getvalue().encode(CSV_ENCODING)
    filename = f"recall-{team}-{ctx.clock():%Y-%m-%d}.csv"
    summary = f"{rows} row{'s' if rows != 1 else ''}: one per learner and deck."
    try:
        opened = await ctx.client.conversations_open(users=user)
        channel = str((opened.get("channel") or {}).get("id", ""))
        if not channel:
            raise RuntimeError("conversations.open answered without a channel")
        await ctx.client.files_upload_v2(
            channel=channel,
            file=data,
            filename=filename,
            title=filename,
            initial_comment=summary,
        )
    except (SlackApiError, RuntimeError) as exc:
        code = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
        log.warning("export upload for %s failed: %s", team, code)
        await _private(
            respond,
            "The export could not be uploaded to your direct messages. Try again in a minute.",
        )
        return
    await _private(respond, f"{summary} The CSV file is in your direct messages with Recall.")


# -- daily ------------------------------------------------------------------------------------


def no_questions_text(error: NoQuestions) -> str:
    """Why ``daily`` found nothing to ask."""
    if error.unknown_deck:
        return f"There is no deck '{fit(error.deck_id or '', 100)}'."
    where = f"deck '{fit(error.deck_id, 100)}'" if error.deck_id else "any deck"
    return f"There are no multiple-choice questions in {where}."


async def _check_daily(ctx: SlackContext, team: str, command: DailySet) -> str | None:
    """What is wrong with the settings (the service's own checks, run before anything is
    posted), or None. The deck is one the workspace sees (bundled, or its own)."""
    try:
        parse_local_time(command.time)
    except InvalidLocalTime as exc:
        return f"'{fit(command.time, 20)}' is not a time. {escape(str(exc))}"
    try:
        parse_zone(command.zone)
    except InvalidTimeZone as exc:
        return escape(str(exc))
    community = community_of(team)
    key = None
    if command.deck is not None:
        await ctx.deck_admin.refresh()
        entry = ctx.decks.resolve(community, command.deck)
        if entry is None:
            return no_questions_text(NoQuestions(command.deck, unknown_deck=True))
        key = entry.key
    if not ctx.daily.candidates(key, community):
        return no_questions_text(NoQuestions(command.deck))
    return None


async def daily_set(ctx: SlackContext, team: str, command: DailySet, respond: Respond) -> None:
    """``/quiz daily channel:… time:… zone:…``.

    The settings are checked first, then Recall says in the channel what it will post
    there: that message is the test that it may post there at all (a private channel
    it was not invited to, an archived one), so a channel that cannot work is refused
    now rather than found out at the first question. Nothing is saved on a refusal.
    """
    problem = await _check_daily(ctx, team, command)
    if problem is not None:
        await _private(respond, problem)
        return
    # The channel by name as text: a channel link would be the only ``<`` we send.
    where = f"#{fit(command.channel_name, 80)}" if command.channel_name else "that channel"
    source = f"deck `{escape(command.deck)}`" if command.deck else "all decks"
    try:
        await ctx.client.chat_postMessage(
            channel=command.channel,
            text=f"A question of the day from {source} will be posted here every day at "
            f"{escape(command.time)} ({escape(command.zone)}). Anyone can answer it with "
            "its buttons.",
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "unknown_error")
        if code in outbound.CHANNEL_GONE:
            await _private(
                respond,
                f"I can't post in {where} ({escape(code)}). In a private channel, invite "
                "Recall first (/invite @Recall), then set the daily question again.",
            )
            return
        log.warning("daily question announcement in %s failed: %s", command.channel, code)
    try:
        schedule = await ctx.daily.configure(
            community_of(team), command.channel, command.time, command.zone, command.deck
        )
    except (InvalidLocalTime, InvalidTimeZone, NoQuestions):  # checked above; a race with a reload
        await _private(
            respond, await _check_daily(ctx, team, command) or "Those settings can't be used."
        )
        return
    config = schedule.config
    await _private(
        respond,
        f"A question from {source} will be posted in {where} every day at *{config.time}* "
        f"({escape(config.zone)}). The first one: {relative(schedule.next_post_at, ctx.clock())}.",
    )


async def daily_off(ctx: SlackContext, team: str, respond: Respond) -> None:
    """``/quiz daily off``."""
    was_on = await ctx.daily.turn_off(community_of(team))
    await _private(
        respond, "The daily question is off." if was_on else "The daily question was not on."
    )
