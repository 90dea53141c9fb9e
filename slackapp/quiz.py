"""The learner flows: ``/quiz start | review | decks | stats | timezone | remind |
forget-me | help``, the quiz buttons, the explain modal, forget-me's confirmation.

A personal session runs in the learner's direct message with the app: the command
answers privately with where to find it, and every click updates that one message
(``chat.update``). Buttons carry the session, the step and the action
(:mod:`slackapp.ids`); the state is in the database, so they work after a restart.
The engine refuses a click by anyone but the owner (``NotYourSession``), and the
refusal is private and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from slack_sdk.errors import SlackApiError

from bot.core.custom_ids import StartSpec
from bot.core.errors import (
    CardChanged,
    CardRemoved,
    NothingToStudy,
    NotYourSession,
    RecallError,
    SessionOpen,
    SessionOver,
    StaleStep,
)
from bot.core.grading import Grade, is_blank_answer
from bot.core.learner import Identity, Platform
from bot.core.reports import LearnerStats
from bot.core.session import IfOpen, SessionKind
from bot.core.timezones import InvalidTimeZone, parse_zone
from bot.decks import ExplainCard
from bot.services.study import StepView, Where
from slackapp import commands as cmd
from slackapp.context import SlackContext
from slackapp.escape import escape
from slackapp.ids import (
    ANSWER_BLOCK,
    ANSWER_INPUT,
    forget_action,
    parse_forget,
    parse_modal,
    parse_quiz,
    parse_resume,
    parse_start_new,
    parse_summary,
)
from slackapp.render import ANSWER_MAX, Block, answer_modal, button, open_prompt, render_step
from slackapp.words import (
    EMPTY_ANSWER,
    FORGED,
    NOT_YOURS,
    WHERE_TO_FIND,
    UserFacingError,
    describe,
    describe_off_reason,
    message_for,
)

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
"""bolt's ``respond``: posts to the interaction's ``response_url``."""
KIND_NAMES: Final = {"flashcard": "flashcards", "mcq": "multiple choice", "explain": "explain"}
DECKS_SHOWN: Final = 40
"""Decks listed in ``/quiz decks`` (Slack allows 50 blocks a message)."""
GRADING_WAIT: Final = 2.0
"""Seconds a modal submission waits for its grade before closing the modal anyway
(Slack wants the answer to a submission within 3 s)."""
FALLBACK_COUNT: Final = 5
"""Cards in the session Start review opens when nothing is due."""


# -- who and where ------------------------------------------------------------------


def slack_learner(user_id: str) -> Identity:
    """The learner behind a Slack user id."""
    return Identity(Platform.SLACK, user_id)


def slack_community(team_id: str) -> Identity:
    """The community behind a Slack workspace."""
    return Identity(Platform.SLACK, team_id)


def user_of(body: dict[str, Any]) -> str:
    """The user id of a slash command, an action or a view submission."""
    if "user_id" in body:
        return str(body["user_id"])
    return str(body["user"]["id"])


def team_of(body: dict[str, Any]) -> str:
    """The workspace id of a slash command, an action or a view submission."""
    if body.get("team_id"):
        return str(body["team_id"])
    team = body.get("team") or {}
    if team.get("id"):
        return str(team["id"])
    return str(body.get("user", {}).get("team_id", ""))


async def first_contact(ctx: SlackContext, user_id: str) -> None:
    """A learner new to Recall starts in the zone Slack reports for them (``tz`` of
    ``users.info``); one who is known, or whose zone Slack does not give, is left as is.
    """
    if user_id in ctx.known:
        return
    who = slack_learner(user_id)
    if not await ctx.learners.known(who):
        try:
            user = await ctx.users.get(user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for a new learner: %s", exc.response.get("error"))
            return
        if user.tz is not None:
            try:
                await ctx.learners.adopt_time_zone(who, user.tz)
            except InvalidTimeZone:
                # Asking again would give the same zone: the learner stays on UTC.
                log.info("Slack reported a zone Recall does not know; the learner stays on UTC")
    ctx.known.add(user_id)


async def tell(ctx: SlackContext, body: dict[str, Any], respond: Respond | None, text: str) -> None:
    """Say ``text`` (escaped already) privately to whoever clicked or typed."""
    if respond is not None and body.get("response_url"):
        await respond(text=text, response_type="ephemeral", replace_original=False)
        return
    user = user_of(body)
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get(
        "id"
    )
    if channel:
        await ctx.client.chat_postEphemeral(channel=channel, user=user, text=text)
        return
    # No channel (an App Home button): the learner's DM with the app.
    dm = await open_dm(ctx, user)
    await ctx.client.chat_postMessage(channel=dm, text=text)


async def open_dm(ctx: SlackContext, user_id: str) -> str:
    """The id of the learner's direct message channel with the app."""
    opened = await ctx.client.conversations_open(users=user_id)
    return str(opened["channel"]["id"])


# -- the command --------------------------------------------------------------------


async def run_command(
    ctx: SlackContext, body: dict[str, Any], command: cmd.LearnerCommand, respond: Respond
) -> None:
    """Carry out a learner's ``/quiz`` command (already acknowledged)."""
    user_id = user_of(body)
    await first_contact(ctx, user_id)
    who = slack_learner(user_id)
    if isinstance(command, cmd.Start):
        spec = StartSpec(
            "start",
            kind=command.kind,
            count=command.count,
            level=command.level,
            deck_id=await resolve_deck(ctx, community_of_body(body), command.deck),
        )
        await open_or_start(ctx, body, respond, spec)
    elif isinstance(command, cmd.Review):
        await open_or_start(ctx, body, respond, StartSpec("review"))
    elif isinstance(command, cmd.Decks):
        await respond(
            response_type="ephemeral",
            text="Decks",
            blocks=await decks_blocks(ctx, who, community_of_body(body)),
        )
    elif isinstance(command, cmd.Stats):
        await respond(
            response_type="ephemeral", text="Your stats", blocks=await stats_blocks(ctx, user_id)
        )
    elif isinstance(command, cmd.TimeZone):
        key = await ctx.learners.set_time_zone(who, command.zone)
        await ctx.reminders.replan(who)
        local = ctx.clock().astimezone(parse_zone(key))
        await respond(
            response_type="ephemeral",
            text=(
                f"Your time zone is now *{escape(key)}* (it is {local:%H:%M} there). "
                "Your streak days and reminders follow it."
            ),
        )
    elif isinstance(command, cmd.RemindAt):
        settings = await ctx.reminders.set_time(who, command.time)
        zone_note = (
            " Your time zone is UTC until you set yours with /quiz timezone zone:Area/City."
            if settings.zone_is_default
            else f" ({escape(settings.zone)})"
        )
        when = ""
        if settings.next_at:
            local = settings.next_at.astimezone(parse_zone(settings.zone))
            when = f" The next one is on {local:%a %d %b at %H:%M}."
        await respond(
            response_type="ephemeral",
            text=(
                f"I'll send you a direct message at *{settings.time}* when reviews are due "
                f"or your streak is at risk.{zone_note}{when}"
            ),
        )
    elif isinstance(command, cmd.RemindOff):
        was_on = await ctx.reminders.turn_off(who)
        text = "Reminders are off." if was_on else "Reminders were already off."
        await respond(response_type="ephemeral", text=text)
    elif isinstance(command, cmd.ForgetMe):
        await respond(
            response_type="ephemeral", text="Delete all your data?", blocks=forget_blocks(user_id)
        )
    else:
        assert isinstance(command, cmd.Help)
        await respond(response_type="ephemeral", text=help_text())


def community_of_body(body: dict[str, Any]) -> Identity | None:
    """The workspace a command or click comes from (None if Slack did not say)."""
    team = team_of(body)
    return slack_community(team) if team else None


async def resolve_deck(
    ctx: SlackContext, community: Identity | None, text: str | None
) -> str | None:
    """A deck id from an id or a title (case-insensitive), among the decks the workspace
    sees (bundled and its own, as on Discord); None for all decks."""
    if text is None:
        return None
    await ctx.deck_admin.refresh()
    found = ctx.decks.typed(community, text)
    if found is not None:
        return found
    raise UserFacingError(f"There is no deck called '{escape(text[:100])}'. See /quiz decks.")


def starting(
    ctx: SlackContext,
    who: Identity,
    spec: StartSpec,
    if_open: IfOpen,
    replacing: int | None = None,
) -> Callable[[Where], Awaitable[StepView]]:
    """The service call that starts what ``spec`` asks for, once ``where`` is known."""
    study = ctx.study

    async def start(where: Where) -> StepView:
        return await study.start_spec(who, where, spec, if_open=if_open, replacing=replacing)

    return start


async def open_or_start(
    ctx: SlackContext,
    body: dict[str, Any],
    respond: Respond | None,
    spec: StartSpec,
    *,
    if_open: IfOpen = IfOpen.ASK,
    replacing: int | None = None,
    announce: bool = True,
) -> StepView | None:
    """Start what ``spec`` asks for in the learner's DM; while a session is open
    (``IfOpen.ASK``), ask privately instead: Resume or Start new."""
    who = slack_learner(user_of(body))
    try:
        return await start_in_dm(
            ctx, body, respond if announce else None, starting(ctx, who, spec, if_open, replacing)
        )
    except SessionOpen as found:
        deck = ctx.decks.get(found.deck_id) if found.deck_id else None
        blocks = open_prompt(found, deck.title if deck else None, spec)
        if respond is not None and body.get("response_url"):
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text="You have a quiz open",
                blocks=blocks,
            )
        else:
            dm = await open_dm(ctx, user_of(body))
            await ctx.client.chat_postMessage(
                channel=dm, text="You have a quiz open", blocks=blocks
            )
        return None


ZONE_TIP: Final = (
    "Your time zone is UTC (Slack did not say yours): set it with "
    "/quiz timezone zone:Area/City so that your streak days end at your midnight."
)


async def start_in_dm(
    ctx: SlackContext,
    body: dict[str, Any],
    respond: Respond | None,
    start: Callable[[Where], Awaitable[StepView]],
) -> StepView:
    """Start a session in the learner's DM with the app, post its first card there,
    remember the message, and tell the learner privately where it is."""
    user_id = user_of(body)
    channel = await open_dm(ctx, user_id)
    team = team_of(body)
    where = Where(slack_community(team) if team else None, channel)
    step = await start(where)
    await post_session(ctx, step, channel)
    notice = await ctx.reminders.take_off_notice(slack_learner(user_id))
    lines = [WHERE_TO_FIND]
    if notice:
        lines.insert(0, describe_off_reason(notice))
    if step.first_session and step.time_zone == "UTC":
        lines.append(ZONE_TIP)
    if respond is not None and body.get("response_url"):
        await respond(response_type="ephemeral", replace_original=False, text="\n".join(lines))
    return step


async def post_session(ctx: SlackContext, step: StepView, channel: str) -> str:
    """Post the session's message to ``channel`` and remember it; its ``channel:ts``."""
    text, blocks = render_step(step, ctx.clock())
    posted = await ctx.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    message = f"{posted['channel']}:{posted['ts']}"
    await ctx.study.set_message(step.session.id, message)
    return message


MESSAGE_GONE: Final = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
"""chat.update's errors for a message that can no longer be edited (deleted by the
learner, or too old): the session is posted again instead."""


async def update_session(ctx: SlackContext, step: StepView, message: str | None) -> None:
    """Redraw the session's message (``channel:ts``) as the session stands; when that
    message is gone, post the session again in the same channel and remember the new one."""
    if not message or ":" not in message:
        log.warning("session %s has no Slack message to update", step.session.id)
        return
    channel, ts = message.split(":", 1)
    text, blocks = render_step(step, ctx.clock())
    try:
        await ctx.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as exc:
        if exc.response.get("error") not in MESSAGE_GONE:
            raise
        await post_session(ctx, step, channel)


def message_of(body: dict[str, Any]) -> str | None:
    """``channel:ts`` of the message a button was clicked on."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return f"{channel}:{ts}" if channel and ts else None


# -- the quiz buttons ---------------------------------------------------------------


async def on_quiz_click(
    ctx: SlackContext, body: dict[str, Any], action: dict[str, Any], respond: Respond
) -> None:
    """Apply one quiz button click (already acknowledged) and redraw the message."""
    click = parse_quiz(str(action.get("action_id", "")))
    if click is None:
        await tell(ctx, body, respond, FORGED)
        return
    who = slack_learner(user_of(body))
    study = ctx.study
    sid, step, name = click.session_id, click.step, click.action
    message = message_of(body)
    try:
        if name == "write":
            current = await study.check_step(who, sid, step)
            if isinstance(current.card, ExplainCard):
                modal = answer_modal(sid, step, current.card.prompt, message)
                await ctx.client.views_open(trigger_id=body["trigger_id"], view=modal)
                return
            new = current  # the card was removed or changed: redraw it
        else:
            try:
                new = await _apply(ctx, who, sid, step, name)
            except (CardRemoved, CardChanged):
                new = await study.view(sid)
        await update_session(ctx, new, message)
    except NotYourSession:
        await tell(ctx, body, respond, NOT_YOURS)
    except (StaleStep, SessionOver) as exc:
        await _resync(ctx, body, respond, sid, message, exc)
    except Exception as exc:
        await tell(ctx, body, respond, message_for(exc, ctx.clock()))


async def _apply(ctx: SlackContext, who: Identity, sid: int, step: int, name: str) -> StepView:
    study = ctx.study
    if name == "reveal":
        return await study.reveal(who, sid, step)
    if name == "hint":
        return await study.show_hint(who, sid, step)
    if name == "next":
        return await study.next(who, sid, step)
    if name == "stop":
        return await study.stop(who, sid, step)
    if name[0] == "g":
        return await study.grade_flashcard(who, sid, step, Grade(int(name[1])))
    # ids.QUIZ_ACTIONS admits nothing else: an option with its fingerprint.
    return await study.answer_mcq(who, sid, step, int(name[1]), name[2:])


async def _resync(
    ctx: SlackContext,
    body: dict[str, Any],
    respond: Respond | None,
    sid: int,
    message: str | None,
    error: RecallError,
) -> None:
    """The owner clicked a button of an earlier state: nothing is recorded; the message
    is redrawn as the session stands and the reason said privately (after a crash that
    saved an answer but not the message's update, or an old copy on another device)."""
    try:
        current = await ctx.study.view(sid)
        await update_session(ctx, current, message or current.session.message)
    except Exception as exc:
        await tell(ctx, body, respond, message_for(exc, ctx.clock()))
        return
    await tell(ctx, body, respond, describe(error, ctx.clock()))


# -- the explain modal --------------------------------------------------------------


def submitted_answer(view: dict[str, Any]) -> str:
    """The text of the modal's one input ("" when absent)."""
    values = (view.get("state") or {}).get("values") or {}
    value = (values.get(ANSWER_BLOCK) or {}).get(ANSWER_INPUT) or {}
    return str(value.get("value") or "")


async def on_answer(
    ctx: SlackContext,
    body: dict[str, Any],
    view: dict[str, Any],
    ack: Callable[..., Awaitable[Any]],
) -> None:
    """Grade an explain answer. Slack waits for the acknowledgement of a submission to
    close the modal or show errors in it, so the grade is awaited (up to
    :data:`GRADING_WAIT`) before acknowledging: an empty answer or a stale card is
    said inside the modal, which stays open with the learner's text."""
    parsed = parse_modal(str(view.get("callback_id", "")))
    if parsed is None:
        await ack(response_action="errors", errors={ANSWER_BLOCK: FORGED})
        return
    sid, step = parsed
    text = submitted_answer(view)[:ANSWER_MAX]
    if is_blank_answer(text):
        await ack(response_action="errors", errors={ANSWER_BLOCK: EMPTY_ANSWER})
        return
    who = slack_learner(user_of(body))
    grading = asyncio.ensure_future(ctx.study.answer_explain(who, sid, step, text))
    try:
        new = await asyncio.wait_for(asyncio.shield(grading), GRADING_WAIT)
    except TimeoutError:
        # Slow storage: close the modal in time; the message shows the grade once in.
        await ack()
        try:
            new = await grading
        except Exception as exc:
            dm = await open_dm(ctx, user_of(body))
            await ctx.client.chat_postMessage(channel=dm, text=message_for(exc, ctx.clock()))
            return
    except Exception as exc:
        # Already answered, not yours, over, storage trouble: said in the modal, which
        # stays open with the learner's text so that nothing they wrote is lost.
        await ack(response_action="errors", errors={ANSWER_BLOCK: message_for(exc, ctx.clock())})
        return
    else:
        await ack()
    # The message the database knows first; the modal's own note only if it has none.
    message = new.session.message or str(view.get("private_metadata") or "") or None
    await update_session(ctx, new, message)


# -- decks, stats, help, forget-me ----------------------------------------------------


async def decks_blocks(ctx: SlackContext, who: Identity, community: Identity | None) -> list[Block]:
    """``/quiz decks``: each deck the workspace sees, its cards by kind and the learner's
    progress."""
    progress = await ctx.reports.deck_progress(who, community)
    if not progress:
        return [_text("No decks are loaded. The host can add some to the content folder.")]
    blocks: list[Block] = [_text("*Decks*")]
    for deck in progress[:DECKS_SHOWN]:
        kinds = " · ".join(f"{n} {KIND_NAMES.get(k, k)}" for k, n in deck.by_type.items())
        blocks.append(
            _text(
                f"*{escape(deck.title[:200])}*\n`{escape(deck.deck_id)}` · {deck.cards} cards "
                f"({kinds})\nYou: {deck.seen}/{deck.cards} seen · {deck.due_now} due now"
            )
        )
    if len(progress) > DECKS_SHOWN:
        blocks.append(_text(f"…and {len(progress) - DECKS_SHOWN} more."))
    return blocks


async def stats_blocks(ctx: SlackContext, user_id: str) -> list[Block]:
    """``/quiz stats`` (and the App Home tab): streak, freezes, XP, reviews, accuracy,
    due today, the last weeks' activity, and the learner's zone and where it came from."""
    stats = await ctx.reports.learner_stats(slack_learner(user_id))
    streak = stats.streak
    accuracy = "–" if stats.accuracy is None else f"{stats.accuracy:.0%}"
    zone = escape(stats.time_zone)
    try:
        slack_zone = (await ctx.users.get(user_id)).tz
    except SlackApiError:
        slack_zone = None
    origin = (
        " (as in your Slack profile)"
        if slack_zone == stats.time_zone
        else " (set with /quiz timezone)"
        if stats.time_zone != "UTC"
        else " (the default: set yours with /quiz timezone zone:Area/City)"
    )
    lines = [
        f"*Streak:* 🔥 {streak.current} (best {stats.best_streak})",
        f"*Freezes:* 🧊 {stats.freezes}",
        f"*XP:* {stats.xp}",
        f"*Reviews:* {stats.reviews}",
        f"*Accuracy:* {accuracy}",
        f"*Due today:* {stats.due_today}",
        f"*Time zone:* {zone}{origin}",
    ]
    if stats.reminder_time:
        lines.append(f"*Reminders:* every day at {stats.reminder_time}")
    notes = []
    if streak.at_risk:
        notes.append("Study today to keep your streak!")
    if stats.reminders_off_reason:
        notes.append(describe_off_reason(stats.reminders_off_reason))
    blocks = [_text("\n".join(lines)), _text("*Last weeks* (one square a day)\n" + _grid(stats))]
    if notes:
        blocks.append(_text(" ".join(notes)))
    return blocks


GRID_WEEKS: Final = 8
BUSY_DAY: Final = 10
"""Answers in a day drawn as a darker square."""


def _grid(stats: LearnerStats) -> str:
    """The activity heatmap as emoji squares (Discord gets a picture): a row per week of
    the last :data:`GRID_WEEKS`, oldest first; white for no answer, green for some, blue
    for :data:`BUSY_DAY` or more."""
    days = sorted(stats.activity.items())
    squares = ["⬜" if n == 0 else "🟩" if n < BUSY_DAY else "🟦" for _day, n in days]
    rows = [" ".join(squares[i : i + 7]) for i in range(0, len(squares), 7)]
    return "\n".join(rows[-GRID_WEEKS:]) or "No activity yet."


def help_text() -> str:
    """``/quiz help``."""
    lines = [
        "*Recall*: spaced-repetition quizzes. Sessions run in your direct messages with Recall.",
        *(cmd.USAGE[name] for name in cmd.LEARNER_SUBCOMMANDS),
        "Workspace admins and owners also have:",
        *(cmd.USAGE[name] for name in cmd.ADMIN_SUBCOMMANDS),
    ]
    return "\n".join(lines)


def forget_blocks(user_id: str) -> list[Block]:
    """forget-me's question and its two buttons."""
    return [
        _text(
            "This deletes *all* your Recall data (progress, reviews, streak, settings) "
            "in every workspace. It cannot be undone."
        ),
        {
            "type": "actions",
            "elements": [
                button("Delete all my data", forget_action(user_id, "yes"), "danger"),
                button("Keep my data", forget_action(user_id, "no")),
            ],
        },
    ]


async def on_forget_click(
    ctx: SlackContext, body: dict[str, Any], action: dict[str, Any], respond: Respond
) -> None:
    """Delete (or keep) the learner's data; only the learner who asked may press it."""
    parsed = parse_forget(str(action.get("action_id", "")))
    if parsed is None:
        await tell(ctx, body, respond, FORGED)
        return
    owner, answer = parsed
    user_id = user_of(body)
    if user_id != owner:
        await tell(ctx, body, respond, "Only the person who asked can confirm this.")
        return
    if answer == "no":
        await respond(replace_original=True, text="Nothing was deleted.")
        return
    deleted = await ctx.learners.forget(slack_learner(user_id))
    ctx.known.discard(user_id)
    ctx.users.forget(user_id)
    text = (
        "All your Recall data was deleted: progress, reviews, streak and settings."
        if deleted
        else "Recall had no data about you."
    )
    await respond(replace_original=True, text=text)


# -- Resume, Start new, a summary's Review missed and Start another -----------------


async def on_resume_click(
    ctx: SlackContext, body: dict[str, Any], action: dict[str, Any], respond: Respond
) -> None:
    """Resume: the open session's current card posted again in the DM (it becomes the
    session's message); the private question is replaced by where to find it."""
    session_id = parse_resume(str(action.get("action_id", "")))
    if session_id is None:
        await tell(ctx, body, respond, FORGED)
        return
    step = await ctx.study.resume(slack_learner(user_of(body)), session_id)
    await post_session(ctx, step, await open_dm(ctx, user_of(body)))
    await respond(replace_original=True, text=WHERE_TO_FIND)


async def on_start_new_click(
    ctx: SlackContext, body: dict[str, Any], action: dict[str, Any], respond: Respond
) -> None:
    """Start new: end the open session (its answers kept), then start what was asked."""
    parsed = parse_start_new(str(action.get("action_id", "")))
    if parsed is None:
        await tell(ctx, body, respond, FORGED)
        return
    session_id, spec = parsed
    started = await open_or_start(
        ctx, body, None, spec, if_open=IfOpen.FINISH, replacing=session_id
    )
    if started is not None:
        await respond(replace_original=True, text=WHERE_TO_FIND)


async def on_summary_click(
    ctx: SlackContext, body: dict[str, Any], action: dict[str, Any], respond: Respond
) -> None:
    """Review missed or Start another, under a summary: a new message in the DM, so that
    the summary (and its list of missed cards) stays readable."""
    parsed = parse_summary(str(action.get("action_id", "")))
    if parsed is None:
        await tell(ctx, body, respond, FORGED)
        return
    session_id, what = parsed
    spec = StartSpec("missed" if what == "missed" else "another", origin=session_id)
    await open_or_start(ctx, body, respond, spec, announce=False)


async def start_review_anywhere(ctx: SlackContext, body: dict[str, Any]) -> StepView | None:
    """A Start review button (App Home, a reminder DM): the learner's due cards in the
    DM, or a short session of new cards when nothing is due (the streak is at risk).
    While a session is open, the DM asks Resume or Start new instead (None)."""
    try:
        return await open_or_start(ctx, body, None, StartSpec("review"))
    except NothingToStudy:
        fallback = StartSpec("start", kind=SessionKind.MIXED, count=FALLBACK_COUNT)
        return await open_or_start(ctx, body, None, fallback)


def _text(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


__all__ = [
    "first_contact",
    "on_answer",
    "on_forget_click",
    "on_quiz_click",
    "on_resume_click",
    "on_start_new_click",
    "on_summary_click",
    "open_or_start",
    "run_command",
    "slack_community",
    "slack_learner",
    "start_in_dm",
    "start_review_anywhere",
    "tell",
    "update_session",
]
