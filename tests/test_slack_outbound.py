"""Tests for slackapp.outbound's pure parts: Slack's errors mapped to send results and
rate-limit waits, the per-channel spacing, and the blocks (escaped, no mentions).

Errors are real ``SlackApiError`` s around real ``AsyncSlackResponse`` s, as slack_sdk
raises them; time is a fake that moves only when someone sleeps.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, date, datetime

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.learner import Identity, Platform
from bot.core.reminders import ReminderJob, SendStatus
from bot.decks.models import McqCard
from bot.pacing import RetryAfter
from slackapp.outbound import (
    CHANNEL_GONE,
    DM_GONE,
    ChannelSpacing,
    daily_blocks,
    outbound_client,
    post_failure,
    reminder_blocks,
    reminder_failure,
    retry_after,
    slack_error,
    slack_pacer,
)
from tests.test_pacing import FakeTime


def api_error(error: str, status: int = 200, headers: dict[str, str] | None = None):
    response = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.invalid/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    message = f"The request to the Slack API failed. ({error})"
    return SlackApiError(message, response)  # type: ignore[no-untyped-call]


def job(user: str = "U1") -> ReminderJob:
    return ReminderJob(
        learner_id=1,
        identity=Identity(Platform.SLACK, user),
        local_date=date(2026, 3, 2),
        scheduled_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        due_count=3,
        streak=4,
        freezes=0,
        at_risk=True,
    )


# -- errors -----------------------------------------------------------------------------


def test_a_429_with_retry_after_raises_retry_after_for_reminders_and_posts():
    limited = api_error("ratelimited", 429, {"Retry-After": "7"})
    assert retry_after(limited) == 7.0
    with pytest.raises(RetryAfter) as raised:
        reminder_failure(limited)
    assert raised.value.seconds == 7.0
    with pytest.raises(RetryAfter):
        post_failure(limited)


def test_the_header_is_read_whatever_its_case():
    assert retry_after(api_error("ratelimited", 429, {"retry-after": "3"})) == 3.0


@pytest.mark.parametrize("header", [None, "soon", "-5", "nan", "inf", "99999"])
def test_a_missing_or_bad_retry_after_waits_one_second(header: str | None):
    headers = {} if header is None else {"Retry-After": header}
    seconds = retry_after(api_error("ratelimited", 429, headers))
    assert seconds == 1.0
    assert seconds is not None and math.isfinite(seconds)


def test_an_http_429_counts_even_without_the_error_code():
    assert retry_after(api_error("", 429, {"Retry-After": "2"})) == 2.0


@pytest.mark.parametrize(
    "code",
    sorted(DM_GONE),
)
def test_a_dm_that_cannot_reach_the_learner_closes_their_reminders(code: str):
    result = reminder_failure(api_error(code))
    assert result.status is SendStatus.DMS_CLOSED
    assert result.error == f"slack: {code}"


@pytest.mark.parametrize("code", ["internal_error", "fatal_error", "invalid_blocks", "weird"])
def test_other_dm_errors_fail_that_one_message(code: str):
    result = reminder_failure(api_error(code))
    assert result.status is SendStatus.FAILED
    assert result.error == f"slack: {code}"


def test_a_user_not_found_is_closed_but_not_a_rate_limit():
    assert retry_after(api_error("user_not_found")) is None


@pytest.mark.parametrize("code", sorted(CHANNEL_GONE))
def test_a_channel_that_is_gone_turns_the_daily_question_off(code: str):
    result = post_failure(api_error(code))
    assert result.disable and result.message is None
    assert result.error == f"slack: {code}"


def test_a_passing_failure_does_not_turn_the_daily_question_off():
    result = post_failure(api_error("internal_error"))
    assert not result.disable and result.error == "slack: internal_error"


def test_an_error_without_a_code_is_named_unknown():
    assert slack_error(api_error("")) == "unknown_error"


def test_slack_pacer_retries_rate_limits_more_than_it_gives_up():
    pacer = slack_pacer()
    assert pacer.max_retries >= 5
    assert pacer.rate <= 8


# -- spacing ---------------------------------------------------------------------------


async def test_two_sends_to_one_channel_are_a_second_apart_others_are_not_held():
    fake = FakeTime()
    spacing = ChannelSpacing(1.0, clock=fake.clock, sleep=fake.sleep)
    starts: list[tuple[str, float]] = []

    async def send(channel: str) -> None:
        await spacing.wait(channel)
        starts.append((channel, fake.now))

    await send("C1")
    await send("D2")
    await send("C1")
    await send("C1")
    assert starts == [("C1", 1000.0), ("D2", 1000.0), ("C1", 1001.0), ("C1", 1002.0)]
    assert not spacing.ready("C1")
    fake.now += 1.0
    assert spacing.ready("C1") and spacing.ready("C9")


async def test_concurrent_sends_to_one_channel_queue_behind_each_other():
    fake = FakeTime()
    spacing = ChannelSpacing(1.0, clock=fake.clock, sleep=fake.sleep)
    starts: list[float] = []

    async def send() -> None:
        await spacing.wait("C1")
        starts.append(fake.now)

    await asyncio.gather(*(send() for _ in range(4)))
    assert starts == [1000.0, 1001.0, 1002.0, 1003.0]


# -- blocks: escaped, no mentions --------------------------------------------------------


def test_the_daily_question_escapes_deck_text_and_carries_its_option_ids():
    card = McqCard(
        id="q1",
        type="mcq",
        level="beginner",
        question="Who is <!channel> & <@U123>?",
        options=("<!here>", "B" * 100),
        answer="<!here>",
        explanation="x",
    )
    blocks = daily_blocks(42, card, 3, 1)
    text = blocks[0]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text and "<!" not in text
    buttons = blocks[1]["elements"]
    assert buttons[0]["action_id"].startswith("recall:daily:42:o0")
    assert buttons[0]["text"]["text"] == "A · &lt;!here&gt;"  # the label, escaped
    assert len(buttons[1]["text"]["text"]) == 75 and buttons[1]["text"]["text"].endswith("…")
    assert blocks[2]["elements"][0]["text"] == "3 answers · 1 correct · answer with the buttons"


def test_the_reminder_has_a_start_review_button_for_its_learner():
    blocks = reminder_blocks(job("U77"))
    assert "3 cards are due" in blocks[0]["text"]["text"]
    button = blocks[1]["elements"][0]
    assert button["text"]["text"] == "Start review"
    assert button["action_id"] == "recall:review:U77"


async def test_spacing_forgets_channels_whose_gap_is_over():
    fake = FakeTime()
    spacing = ChannelSpacing(1.0, clock=fake.clock, sleep=fake.sleep)
    for n in range(1100):
        await spacing.wait(f"D{n}")
    fake.now += 2.0
    await spacing.wait("D-last")
    assert len(spacing._next) < 1100  # one DM a learner a day must not grow it forever
    assert spacing.ready("D0")


def test_the_outbound_client_is_the_apps_without_retries():
    app_client = AsyncWebClient(token="xoxb-1-2-abc", base_url="http://127.0.0.1:9/api/")
    app_client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    client = outbound_client(app_client)
    assert (client.token, client.base_url) == (app_client.token, app_client.base_url)
    assert client.retry_handlers == []
