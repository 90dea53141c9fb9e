"""What the Slack app sends on its own: reminder DMs and the channel's daily question.

The engine decides who is owed what (:mod:`bot.services.reminders`,
:mod:`bot.services.daily`) and :class:`bot.reminder_loop.ReminderLoop` claims it,
exactly once across processes, for :attr:`Platform.SLACK`. This module is that
loop's :class:`~bot.reminder_loop.Sender` and :class:`~bot.reminder_loop.DailyPoster`
on Slack, and answers the daily question's buttons.

Slack's answers, mapped (:func:`reminder_failure`, :func:`post_failure`):

- ``ratelimited`` (HTTP 429, header ``Retry-After``) raises
  :class:`bot.pacing.RetryAfter`: the request was not processed, so the pacer waits
  and sends the same reminder again; it is never recorded as lost.
- A DM that cannot reach the learner (:data:`DM_GONE`: deactivated, unknown, a bot,
  the app removed) is :meth:`SendResult.dms_closed`: the engine turns that learner's
  reminders off with :attr:`OffReason.DMS_CLOSED` and the send record keeps Slack's
  error code.
- A channel the daily question cannot go to any more (:data:`CHANNEL_GONE`) turns
  the workspace's daily question off until an admin sets it again.
- Anything else fails that one message and is not retried (it may have gone out).

Pacing: reminders go through a :class:`~bot.pacing.Pacer` at :data:`SLACK_DM_RATE`;
every message to one channel (a DM is the user's channel) waits for the one before
it by at least :data:`CHANNEL_GAP` seconds (Slack's "about one message a second per
channel"), and a busy daily question updates its public count at most that often.

A reminder DM is posted with the user's id as ``channel`` (Slack opens the app's
DM), which costs one ``chat.postMessage`` instead of a ``conversations.open`` too.
Nothing sent here mentions anyone: deck text is escaped, and no message sets
``link_names`` or ``parse``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import (
    AlreadyAnswered,
    CardChanged,
    DailyError,
    NotAnOption,
    QuestionUnavailable,
    UnknownPost,
    WrongCommunity,
)
from bot.core.learner import Identity, Platform
from bot.core.reminders import ReminderJob, SendResult
from bot.core.session import option_fingerprint
from bot.decks import McqCard
from bot.pacing import Pacer, RetryAfter
from bot.phrases import reminder_text
from bot.reminder_loop import PostResult, ReminderLoop
from bot.services.daily import DailyAnswerResult, DailyPostJob, DailyQuestionService
from slackapp.context import SlackContext
from slackapp.escape import escape
from slackapp.ids import review_action
from slackapp.quiz import first_contact, team_of
from slackapp.render import Block, actions, button, context, option_label
from slackapp.words import message_for

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

__all__ = [
    "CHANNEL_GAP",
    "CHANNEL_GONE",
    "DAILY_ACTION",
    "DAILY_PREFIX",
    "DM_GONE",
    "SLACK_DM_RATE",
    "ChannelSpacing",
    "SlackOutbound",
    "build_outbound",
    "daily_blocks",
    "outbound_client",
    "post_failure",
    "register",
    "reminder_blocks",
    "reminder_failure",
    "reminder_text",
    "retry_after",
    "slack_error",
    "slack_pacer",
    "start_outbound",
]

log = logging.getLogger(__name__)

SLACK_DM_RATE = 4.0
"""Reminder DMs started per second: one ``chat.postMessage`` each, to a different DM.
Slack allows about one message a second per channel and short workspace-wide bursts;
four a second (240 a minute) stays well inside, and 1,000 reminders drain in ~4 min."""

SLACK_MAX_RETRIES = 8
"""Rate-limited retries of one reminder before it is recorded failed. A 429 was not
processed, so retrying cannot send twice; eight waits of Slack's ``Retry-After``
outlast any burst limit short of an outage."""

CHANNEL_GAP = 1.0
"""Seconds between two messages (or count updates) to the same channel."""

DEFAULT_RETRY_AFTER = 1.0
"""Wait when a 429 comes without a usable ``Retry-After`` header."""

DM_GONE = frozenset(
    {
        "user_not_found",  # no such user (any more)
        "user_disabled",  # deactivated
        "account_inactive",  # the workspace or the app's bot user was deleted
        "token_revoked",  # the app was removed from the workspace
        "cannot_dm_bot",  # a bot user: it has no DM to read
        "channel_not_found",  # the user's DM with the app does not exist
        "messages_tab_disabled",  # the app's Messages tab is off: no DMs can arrive
        "is_archived",
    }
)
"""``chat.postMessage`` errors that mean this learner cannot get DMs from Recall."""

CHANNEL_GONE = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",  # a private channel the app was not invited to
        "restricted_action",  # the workspace or channel forbids the app to post
        "account_inactive",
        "token_revoked",
    }
)
"""``chat.postMessage`` errors that mean the daily question's channel is unusable."""

DAILY_ACTION = re.compile(
    r"^recall:daily:(?P<post>[0-9]{1,18}):o(?P<index>[0-4])(?P<fp>[0-9a-f]{4})$"
)
"""The action id of a daily question's option button (post id, option, fingerprint)."""

DAILY_PREFIX = re.compile(r"^recall:daily:")


def daily_action(post_id: int, index: int, option: str) -> str:
    """The action id of option ``index`` of daily post ``post_id``."""
    return f"recall:daily:{post_id}:o{index}{option_fingerprint(option)}"


# -- Slack's errors -------------------------------------------------------------------


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code (``"ratelimited"``, ``"channel_not_found"``...) of a failed call."""
    response: Any = exc.response
    try:
        code = response.get("error")
    except Exception:  # a response that is not a mapping: say so rather than crash
        code = None
    return code if isinstance(code, str) and code else "unknown_error"


def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None)
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted:
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            return None if value is None else str(value)
    return None


def retry_after(exc: SlackApiError) -> float | None:
    """Seconds to wait when ``exc`` is a rate limit (``ratelimited`` or HTTP 429), else None."""
    response: Any = exc.response
    status = getattr(response, "status_code", None)
    if slack_error(exc) != "ratelimited" and status != 429:
        return None
    header = _header(response, "Retry-After")
    try:
        seconds = float(header) if header is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER
    # NaN, negative or absurd headers must neither spin nor stall the loop for hours.
    if not 0 < seconds <= 3600:
        seconds = DEFAULT_RETRY_AFTER
    return seconds


def reminder_failure(exc: SlackApiError) -> SendResult:
    """The send result of a failed reminder DM; raises :class:`RetryAfter` on a rate limit."""
    wait = retry_after(exc)
    if wait is not None:
        raise RetryAfter(wait) from exc
    code = slack_error(exc)
    if code in DM_GONE:
        return SendResult.dms_closed(f"slack: {code}")
    return SendResult.failed(f"slack: {code}")


def post_failure(exc: SlackApiError) -> PostResult:
    """The result of a failed daily post; raises :class:`RetryAfter` on a rate limit."""
    wait = retry_after(exc)
    if wait is not None:
        raise RetryAfter(wait) from exc
    code = slack_error(exc)
    return PostResult.failed(f"slack: {code}", disable=code in CHANNEL_GONE)


def slack_pacer(
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Pacer:
    """The pacer Slack reminders run with: :data:`SLACK_DM_RATE`, ±20% jitter."""
    return Pacer(
        SLACK_DM_RATE,
        jitter=0.2,
        max_retries=SLACK_MAX_RETRIES,
        max_in_flight=4,
        clock=clock,
        sleep=sleep,
    )


class ChannelSpacing:
    """At least ``gap`` seconds between two sends to one channel (time injected)."""

    def __init__(
        self,
        gap: float = CHANNEL_GAP,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.gap = gap
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, channel: str) -> None:
        """Return when a message may go to ``channel``; books the slot after it."""
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            ready = self._next.get(channel, float("-inf"))
            now = self._clock()
            if ready > now:
                await self._sleep(ready - now)
                now = self._clock()
            self._next[channel] = now + self.gap
        self._trim(now)

    def _trim(self, now: float) -> None:
        # A DM per learner a day would grow these maps forever: drop channels whose gap
        # is over (a lock nobody holds or waits for is safe to drop with them).
        if len(self._next) < 1024:
            return
        for channel in [c for c, ready in self._next.items() if ready <= now]:
            lock = self._locks.get(channel)
            if lock is None or not lock.locked():
                self._next.pop(channel, None)
                self._locks.pop(channel, None)

    def ready(self, channel: str) -> bool:
        """Whether a send to ``channel`` may start now without waiting."""
        lock = self._locks.get(channel)
        free = self._next.get(channel, float("-inf")) <= self._clock()
        return free and (lock is None or not lock.locked())


# -- words and blocks -------------------------------------------------------------------


def reminder_blocks(job: ReminderJob) -> list[Block]:
    """The reminder DM: its words and a Start review button for its learner."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": reminder_text(job)}},
        actions(
            [button("Start review", review_action(job.identity.external_id), "primary")],
            block_id="recall_reminder",
        ),
    ]


def count_text(answers: int, correct: int) -> str:
    """The daily question's running count, which never says who chose what."""
    people = "answer" if answers == 1 else "answers"
    return f"{answers} {people} · {correct} correct · answer with the buttons"


def daily_blocks(post_id: int, card: McqCard, answers: int, correct: int) -> list[Block]:
    """The public daily question: the question, one button per option, the count."""
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Question of the day*\n{escape(card.question)}"},
        },
        actions(
            [
                button(option_label(index, option), daily_action(post_id, index, option))
                for index, option in enumerate(card.options)
            ],
            block_id=f"recall_daily_{post_id}",
        ),
        context(count_text(answers, correct)),
    ]


def daily_fallback(card: McqCard) -> str:
    """The notification text of the daily question (escaped like the blocks)."""
    question = card.question if len(card.question) <= 200 else card.question[:199] + "…"
    return f"Question of the day: {escape(question)}"


def daily_error_text(error: DailyError | CardChanged) -> str:
    """The private reply to a daily-question click the service refused."""
    if isinstance(error, AlreadyAnswered):
        return "You already answered today's question."
    if isinstance(error, WrongCommunity):
        return "This daily question belongs to another workspace: answer it there."
    if isinstance(error, UnknownPost):
        return "That daily question no longer exists."
    if isinstance(error, QuestionUnavailable):
        return "That question was removed from its deck and can't be answered."
    if isinstance(error, NotAnOption):
        return "That option is not on this question."
    if isinstance(error, CardChanged):
        return "This question changed since it was posted."
    return "This question is no longer available."


def answer_text(result: DailyAnswerResult) -> str:
    """The private ✓/✗ reply to a daily answer."""
    mark = (
        "✓ Correct!"
        if result.correct
        else f"✗ Not quite. The answer is *{escape(result.right_answer)}*."
    )
    return f"{mark}\n{escape(result.card.explanation)}\n+{result.xp} XP · streak {result.streak}"


# -- the loop's Sender and DailyPoster; the daily buttons ---------------------------------


Respond = Callable[..., Awaitable[Any]]
"""bolt's ``respond`` (answers through the click's ``response_url``)."""


class SlackOutbound:
    """Sends reminders and daily questions over one workspace's Web API client."""

    def __init__(
        self,
        client: AsyncWebClient,
        daily: DailyQuestionService,
        *,
        spacing: ChannelSpacing | None = None,
    ) -> None:
        self.client = client
        self.daily = daily
        self.spacing = spacing or ChannelSpacing()
        self._pending_counts: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- Sender -------------------------------------------------------------------------

    async def send_reminder(self, job: ReminderJob) -> SendResult:
        """DM one learner; Slack's refusals become send results, a 429 :class:`RetryAfter`."""
        if job.identity.platform is not Platform.SLACK:
            return SendResult.failed(f"not a Slack learner: {job.identity.platform}")
        user = job.identity.external_id
        await self.spacing.wait(user)
        try:
            await self.client.chat_postMessage(
                channel=user,
                text=reminder_text(job),
                blocks=reminder_blocks(job),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            return reminder_failure(exc)
        return SendResult.sent()

    # -- DailyPoster --------------------------------------------------------------------

    async def post_daily(self, job: DailyPostJob) -> PostResult:
        """Post the day's question to its channel, with one button per option."""
        await self.spacing.wait(job.channel)
        try:
            response = await self.client.chat_postMessage(
                channel=job.channel,
                text=daily_fallback(job.card),
                blocks=daily_blocks(job.post_id, job.card, 0, 0),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            return post_failure(exc)
        channel, ts = response.get("channel"), response.get("ts")
        if not isinstance(channel, str) or not isinstance(ts, str):
            return PostResult.failed("slack: chat.postMessage answered without channel and ts")
        # The message's address is channel and ts together: chat.update needs both.
        return PostResult.posted(f"{channel}:{ts}")

    # -- the daily question's buttons ----------------------------------------------------

    async def answer_daily(self, body: dict[str, Any], respond: Respond) -> None:
        """A click on a daily option: record it, reply privately, update the public count.

        Call after ``ack()``. Anyone in the workspace may answer, once.
        """
        action = (body.get("actions") or [{}])[0]
        match = DAILY_ACTION.match(str(action.get("action_id", "")))
        user = str((body.get("user") or {}).get("id", ""))
        team = team_of(body)
        if match is None or not user:
            await _private(respond, "That button is not one Recall made, so nothing was done.")
            return
        post_id = int(match["post"])
        try:
            result = await self.daily.answer(
                Identity(Platform.SLACK, user),
                post_id,
                int(match["index"]),
                community=None if not team else Identity(Platform.SLACK, team),
                fingerprint=match["fp"],
            )
        except (DailyError, CardChanged) as exc:
            await _private(respond, daily_error_text(exc))
            return
        await _private(respond, answer_text(result))
        channel = str((body.get("channel") or {}).get("id", ""))
        ts = str((body.get("message") or {}).get("ts", "")) or str(
            (body.get("container") or {}).get("message_ts", "")
        )
        if channel and ts:
            await self.update_count(
                post_id, channel, ts, result.card, result.answers, result.correct_answers
            )

    async def update_count(
        self, post_id: int, channel: str, ts: str, card: McqCard, answers: int, correct: int
    ) -> None:
        """Show the new count now, or once the channel's gap is over (read afresh then).

        Fifty members answering in the same second make one update a second, each
        with the count as it stands, instead of fifty rate-limited ones.
        """
        if self.spacing.ready(channel):
            await self.spacing.wait(channel)
            await self._edit(post_id, channel, ts, card, answers, correct)
            return
        key = (channel, ts)
        if key in self._pending_counts:
            return  # an update is already booked; it will read the count afresh
        self._pending_counts.add(key)
        task = asyncio.create_task(self._later(post_id, channel, ts, card))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _later(self, post_id: int, channel: str, ts: str, card: McqCard) -> None:
        try:
            await self.spacing.wait(channel)
        finally:
            self._pending_counts.discard((channel, ts))
        post = await self.daily.post(post_id)
        if post is not None:
            await self._edit(post_id, channel, ts, card, post.answers, post.correct)

    async def _edit(
        self, post_id: int, channel: str, ts: str, card: McqCard, answers: int, correct: int
    ) -> None:
        try:
            await self.client.chat_update(
                channel=channel,
                ts=ts,
                text=daily_fallback(card),
                blocks=daily_blocks(post_id, card, answers, correct),
            )
        except SlackApiError as exc:
            # The count is cosmetic: the next answer shows it again.
            log.info("could not update the daily question's count: %s", slack_error(exc))

    async def close(self) -> None:
        """Wait for booked count updates (shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def _private(respond: Respond, text: str) -> None:
    await respond(text=text, response_type="ephemeral", replace_original=False)


def outbound_client(client: AsyncWebClient) -> AsyncWebClient:
    """A Web API client like ``client`` (token, base URL, session) that never retries.

    The app's client retries a 429 inside the call and a dropped connection once. For
    what this module sends, a 429 must reach the pacer (which pauses every send, not
    one) and a dropped connection must not be retried (the DM may have gone out, and
    a duplicate reminder is worse than a missed one).
    """
    return AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        session=client.session,
        retry_handlers=[],
    )


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the daily question's option buttons on ``app`` (anyone may answer)."""
    answers = SlackOutbound(outbound_client(ctx.client), ctx.daily)

    # Imported here: slackapp.app imports slackapp.admin, which calls this function.
    from slackapp.app import SLOW_DOWN, admitted

    @app.action(DAILY_PREFIX)
    async def on_daily(ack: Respond, body: dict[str, Any], respond: Respond) -> None:
        await ack()
        user = str((body.get("user") or {}).get("id", ""))
        with admitted(ctx, user) as ok:
            if not ok:
                await _private(respond, SLOW_DOWN)
                return
            try:
                if user:
                    # A member whose first click on Recall is this one starts in the
                    # zone Slack reports for them, as with a first command.
                    await first_contact(ctx, user)
                await answers.answer_daily(body, respond)
            except Exception as exc:
                await _private(respond, message_for(exc, ctx.clock()))


def build_outbound(
    ctx: SlackContext,
    *,
    pacer: Pacer | None = None,
    spacing: ChannelSpacing | None = None,
    interval: float | None = None,
) -> ReminderLoop:
    """The Slack :class:`ReminderLoop` over ``ctx`` (not started): it claims Slack's
    learners and workspaces only, so the Discord bot may run beside it."""
    sender = SlackOutbound(outbound_client(ctx.client), ctx.daily, spacing=spacing)
    extra: dict[str, Any] = {} if interval is None else {"interval": interval}
    return ReminderLoop(
        ctx.reminders,
        sender,
        pacer or slack_pacer(),
        platform=Platform.SLACK,
        clock=ctx.clock,
        daily=ctx.daily,
        poster=sender,
        housekeeping=ctx.study.tidy_sessions,
        **extra,
    )


def start_outbound(ctx: SlackContext, scheduler: AsyncIOScheduler | None = None) -> ReminderLoop:
    """Build and start the Slack reminder loop (reminders, the daily question) on
    ``scheduler`` (a new one by default). The runner calls it once the app is
    connected and awaits ``loop.stop()`` on shutdown (claimed but unsent reminders are
    released for the next start)."""
    loop = build_outbound(ctx)
    loop.start(scheduler)
    return loop
