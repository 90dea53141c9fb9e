"""The bolt app: ``/quiz``, the buttons, the explain modal and the App Home tab.

Every handler acknowledges first (Slack wants it within 3 s) and then works: a
slash command's reply goes to its ``response_url`` (private), a session's step
updates its DM message. The one exception is the modal's submission, whose
acknowledgement carries the grading errors (see :func:`slackapp.quiz.on_answer`).
A parse error is answered in the acknowledgement itself, with the usage line.
Admin subcommands go to :mod:`slackapp.admin`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from slack_bolt.async_app import AsyncApp

from slackapp import admin, commands, home, quiz
from slackapp.context import SlackContext
from slackapp.escape import escape
from slackapp.ids import (
    ANSWER_BLOCK,
    FORGET_PREFIX,
    MODAL_PREFIX,
    QUIZ_PREFIX,
    RESUME_PREFIX,
    REVIEW_PREFIX,
    START_NEW_PREFIX,
    SUMMARY_PREFIX,
)
from slackapp.words import message_for

log = logging.getLogger(__name__)

Ack = Callable[..., Awaitable[Any]]
COMMAND = "/quiz"
SLOW_DOWN = (
    "Slow down a little: Recall is still working on your last clicks. Try again in a moment."
)


@contextlib.contextmanager
def admitted(ctx: SlackContext, user_id: str) -> Iterator[bool]:
    """Whether the user's command or click may be processed now (the per-user limit of
    :mod:`bot.core.throttle`); an admitted one holds its slot until its work is done,
    after the acknowledgement too. A refusal costs no database work."""
    key = hash(user_id)  # the limiter keys on ints; a str's hash is stable in a process
    if not ctx.limiter.try_begin(key):
        yield False
        return
    try:
        yield True
    finally:
        ctx.limiter.end(key)


ClickHandler = Callable[
    [SlackContext, dict[str, Any], dict[str, Any], quiz.Respond], Awaitable[None]
]


def _click(
    ctx: SlackContext, handler: ClickHandler, *, say_errors: bool = True
) -> Callable[..., Awaitable[None]]:
    """A bolt listener for a button: acknowledged first, within the per-user limit, and
    (``say_errors``) its errors said privately; otherwise they reach ``app.error``."""

    async def listener(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: quiz.Respond
    ) -> None:
        await ack()
        with admitted(ctx, quiz.user_of(body)) as ok:
            if not ok:
                await quiz.tell(ctx, body, respond, SLOW_DOWN)
                return
            if not say_errors:
                await handler(ctx, body, action, respond)
                return
            try:
                await handler(ctx, body, action, respond)
            except Exception as exc:
                await quiz.tell(ctx, body, respond, message_for(exc, ctx.clock()))

    return listener


def create_app(ctx: SlackContext, *, name: str = "recall") -> AsyncApp:
    """The bolt ``AsyncApp`` with every Recall handler registered on ``ctx``."""
    app = AsyncApp(
        client=ctx.client,
        name=name,
        logger=logging.getLogger("recall.slack.bolt"),
        # Socket Mode: Slack's requests come over the app's own websocket, not as signed
        # HTTP requests, so there is no signature to verify.
        request_verification_enabled=False,
    )

    @app.command(COMMAND)
    async def on_quiz(ack: Ack, body: dict[str, Any], respond: quiz.Respond) -> None:
        with admitted(ctx, quiz.user_of(body)) as ok:
            if not ok:
                await ack(response_type="ephemeral", text=SLOW_DOWN)
                return
            await _on_quiz(ack, body, respond)

    async def _on_quiz(ack: Ack, body: dict[str, Any], respond: quiz.Respond) -> None:
        parsed = commands.parse(str(body.get("text") or ""))
        if isinstance(parsed, commands.Usage):
            await ack(response_type="ephemeral", text=escape(parsed.text))
            return
        await ack()
        try:
            if commands.is_admin_command(parsed):
                assert isinstance(parsed, commands.ADMIN_COMMANDS)
                await admin.handle_admin(ctx, body, parsed, respond)
            else:
                assert not isinstance(parsed, commands.ADMIN_COMMANDS)
                await quiz.run_command(ctx, body, parsed, respond)
        except Exception as exc:
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=message_for(exc, ctx.clock()),
            )

    # A quiz click and Start review say their own errors (they catch them all); what
    # escapes them anyway is left to app.error.
    app.action(QUIZ_PREFIX)(_click(ctx, quiz.on_quiz_click, say_errors=False))
    app.action(REVIEW_PREFIX)(_click(ctx, home.on_review_click, say_errors=False))
    for prefix, handler in (
        (RESUME_PREFIX, quiz.on_resume_click),
        (START_NEW_PREFIX, quiz.on_start_new_click),
        (SUMMARY_PREFIX, quiz.on_summary_click),
        (FORGET_PREFIX, quiz.on_forget_click),
    ):
        app.action(prefix)(_click(ctx, handler))

    @app.view(MODAL_PREFIX)
    async def on_answer(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        with admitted(ctx, quiz.user_of(body)) as ok:
            if not ok:
                await ack(response_action="errors", errors={ANSWER_BLOCK: SLOW_DOWN})
                return
            await quiz.on_answer(ctx, body, view, ack)

    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any]) -> None:
        try:
            await home.on_home_opened(ctx, event)
        except Exception as exc:
            log.warning("could not publish the Home tab: %s", message_for(exc, ctx.clock()))

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Reached only by what a handler above did not catch (bolt's own failures).
        log.error("unhandled error in a Slack handler (%s)", body.get("type"), exc_info=error)

    admin.register(app, ctx)
    return app


__all__ = ["COMMAND", "SLOW_DOWN", "admitted", "create_app"]
