"""The App Home tab: the learner's stats and a Start review button (``views.publish``
on ``app_home_opened``)."""

from __future__ import annotations

from typing import Any

from slackapp.context import SlackContext
from slackapp.ids import parse_review, review_action
from slackapp.quiz import Respond, first_contact, stats_blocks, tell
from slackapp.render import Block, button
from slackapp.words import FORGED, message_for


async def home_view(ctx: SlackContext, user_id: str) -> dict[str, Any]:
    """The Home tab of ``user_id``."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Recall"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Spaced-repetition quizzes. Type /quiz help for every command.",
            },
        },
        *await stats_blocks(ctx, user_id),
        {
            "type": "actions",
            "elements": [button("Start review", review_action(user_id), "primary")],
        },
    ]
    return {"type": "home", "blocks": blocks}


async def on_home_opened(ctx: SlackContext, event: dict[str, Any]) -> None:
    """Publish the learner's Home tab when they open it."""
    if event.get("tab") not in (None, "home"):
        return  # the Messages tab
    user_id = str(event["user"])
    await first_contact(ctx, user_id)
    await ctx.client.views_publish(user_id=user_id, view=await home_view(ctx, user_id))


async def on_review_click(
    ctx: SlackContext, body: dict[str, Any], action: dict[str, Any], respond: Respond | None
) -> None:
    """Start review (App Home or a reminder DM): a session in the learner's DM."""
    from slackapp.quiz import start_review_anywhere, user_of

    owner = parse_review(str(action.get("action_id", "")))
    if owner is None:
        await tell(ctx, body, respond, FORGED)
        return
    if user_of(body) != owner:
        await tell(ctx, body, respond, "This button is not yours.")
        return
    try:
        await start_review_anywhere(ctx, body)
    except Exception as exc:
        await tell(ctx, body, respond, message_for(exc, ctx.clock()))


__all__ = ["home_view", "on_home_opened", "on_review_click"]
