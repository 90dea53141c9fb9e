"""The floor for the Slack benchmark: a bare slack-bolt app with the same flow.

``python -m bench.bare_slack`` reads the same environment as ``python -m bot
slack`` (``SLACK_BOT_TOKEN``, ``SLACK_APP_TOKEN``, ``SLACK_API_BASE``) and walks
the flashcard flow with the same command and buttons: ``/quiz start`` answers
privately and posts the first card in the learner's DM, **Reveal answer** and
**Again/Hard/Good/Easy** update that message (``chat.update``), the last grade
shows a summary. Fixed text, the state in the buttons' values: no database, no
deck, no scheduler. What Recall costs on top of this is its overhead.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

GRADES = ("Again", "Hard", "Good", "Easy")
ACTION = re.compile(r"^bare:(?P<action>reveal|g[1-4])$")


def button(action: str, label: str, step: int, total: int) -> dict[str, Any]:
    """A button carrying the (fixed) session state in its value."""
    return {
        "type": "button",
        "action_id": f"bare:{action}",
        "text": {"type": "plain_text", "text": label},
        "value": f"{step}:{total}",
    }


def card_blocks(step: int, total: int, revealed: bool) -> list[dict[str, Any]]:
    """A fixed-text flashcard, shaped like Recall's."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*Flashcard · card {step + 1} of {total}*\n"
                "What does WSGI stand for and what is its main purpose?",
            },
        }
    ]
    if revealed:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*Answer*\nWeb Server Gateway Interface."},
            }
        )
        elements = [button(f"g{n}", label, step, total) for n, label in enumerate(GRADES, 1)]
    else:
        elements = [button("reveal", "Reveal answer", step, total)]
    blocks.append({"type": "actions", "elements": elements})
    return blocks


def create_bare_app(client: AsyncWebClient) -> AsyncApp:
    """The bare app on ``client``."""
    app = AsyncApp(client=client, request_verification_enabled=False)

    @app.command("/quiz")
    async def quiz(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack()
        total = 10
        for word in str(command.get("text") or "").split():
            if word.startswith("count:") and word[6:].isdigit():
                total = max(1, min(50, int(word[6:])))
        dm = await client.conversations_open(users=command["user_id"])
        await client.chat_postMessage(
            channel=dm["channel"]["id"], text="Flashcard", blocks=card_blocks(0, total, False)
        )
        await respond(text="Your session is in your DM with the app.")

    @app.action(ACTION)
    async def click(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        step, total = (int(n) for n in str(action["value"]).split(":"))
        where = {"channel": body["container"]["channel_id"], "ts": body["container"]["message_ts"]}
        if action["action_id"] == "bare:reveal":
            await client.chat_update(
                **where, text="Flashcard", blocks=card_blocks(step, total, True)
            )
            return
        step += 1
        if step >= total:
            summary = [
                {"type": "section", "text": {"type": "mrkdwn", "text": "*Session complete*"}}
            ]
            await client.chat_update(**where, text="Session complete", blocks=summary)
            return
        await client.chat_update(**where, text="Flashcard", blocks=card_blocks(step, total, False))

    return app


def main() -> None:
    """Run until SIGTERM, like ``python -m bot slack``."""
    # Read once and removed: bolt would read it again and warn that the client's wins.
    client = AsyncWebClient(
        token=os.environ.pop("SLACK_BOT_TOKEN"),
        base_url=os.environ.get("SLACK_API_BASE", "https://slack.com/api/"),
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )

    async def runner() -> None:
        app = create_bare_app(client)
        handler = AsyncSocketModeHandler(app, os.environ["SLACK_APP_TOKEN"])
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            await stop.wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]

    asyncio.run(runner())


if __name__ == "__main__":
    main()
