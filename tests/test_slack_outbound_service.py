"""Slack's outbound side on the real services and database (both backends): reminder DMs
through the Slack ReminderLoop, Slack's refusals recorded, the daily question posted
and answered by any member.

The Web API is a small recording stand-in (``Web``) that raises real ``SlackApiError`` s;
the end-to-end tests run the same code against the fake Slack over HTTP. Time is fake:
the pacer and the per-channel spacing sleep on ``FakeTime``.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.clock import FakeClock
from bot.core.learner import Identity, Platform
from bot.core.reminders import OffReason
from bot.core.scheduling import CardScheduler
from bot.decks import DeckLibrary
from bot.pacing import Pacer
from bot.reminder_loop import ReminderLoop
from bot.services.daily import DailyQuestionService
from bot.services.reminders import ReminderService
from bot.storage import Store
from bot.storage.script import rows
from slackapp.outbound import ChannelSpacing, SlackOutbound
from tests.conftest import SHIPPED_DECK
from tests.reminder_helpers import add_learner, utc
from tests.test_pacing import FakeTime

TEAM = "T0RECALL"
WORKSPACE = Identity(Platform.SLACK, TEAM)
CHANNEL = "C0GENERAL"


def slack_user(n: int) -> Identity:
    return Identity(Platform.SLACK, f"U{n:04d}")


def response(
    data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> AsyncSlackResponse:
    return AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.invalid/api/",
        req_args={},
        data=data,
        headers=headers or {},
        status_code=status,
    )


def api_error(
    error: str, status: int = 200, headers: dict[str, str] | None = None
) -> SlackApiError:
    body = response({"ok": False, "error": error}, status, headers)
    return SlackApiError(error, body)  # type: ignore[no-untyped-call]


class Web:
    """Records chat.postMessage and chat.update; answers with queued errors first."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.errors: dict[str, list[SlackApiError]] = {}
        self._ts = 1_700_000_000

    def fail(self, channel: str, *errors: SlackApiError) -> None:
        self.errors.setdefault(channel, []).extend(errors)

    async def chat_postMessage(self, **kwargs: Any) -> AsyncSlackResponse:
        channel = kwargs["channel"]
        queued = self.errors.get(channel)
        if queued:
            raise queued.pop(0)
        self.posts.append(kwargs)
        self._ts += 1
        target = f"D{channel[1:]}" if channel.startswith("U") else channel
        return response({"ok": True, "channel": target, "ts": f"{self._ts}.000100"})

    async def chat_update(self, **kwargs: Any) -> AsyncSlackResponse:
        self.updates.append(kwargs)
        return response({"ok": True, "channel": kwargs["channel"], "ts": kwargs["ts"]})

    def to(self, channel: str) -> list[dict[str, Any]]:
        return [p for p in self.posts if p["channel"] == channel]


@pytest.fixture
def web() -> Web:
    return Web()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def daily(
    store: Store, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock
) -> DailyQuestionService:
    return DailyQuestionService(store, library, scheduler, clock)


@pytest.fixture
def outbound(web: Web, daily: DailyQuestionService, fake_time: FakeTime) -> SlackOutbound:
    spacing = ChannelSpacing(1.0, clock=fake_time.clock, sleep=fake_time.sleep)
    client: AsyncWebClient = web  # type: ignore[assignment]  # the two methods used
    return SlackOutbound(client, daily, spacing=spacing)


def slack_loop(
    store: Store,
    clock: FakeClock,
    outbound: SlackOutbound,
    daily: DailyQuestionService,
    fake_time: FakeTime,
) -> ReminderLoop:
    pacer = Pacer(
        50, clock=fake_time.clock, sleep=fake_time.sleep, rng=random.Random(3), max_retries=8
    )
    return ReminderLoop(
        ReminderService(store, clock),
        outbound,
        pacer,
        platform=Platform.SLACK,
        clock=clock,
        daily=daily,
        poster=outbound,
        batch_size=25,
    )


async def remind_at(store: Store, clock: FakeClock, who: Identity, hhmm: str) -> None:
    await add_learner(store, who, clock())
    await ReminderService(store, clock).set_time(who, hhmm)


async def send_rows(store: Store) -> dict[str, tuple[str, str | None]]:
    found = await store.read(
        rows(
            "SELECT l.external_id, s.status, s.error FROM reminder_sends s"
            " JOIN learners l ON l.id = s.learner_id"
        )
    )
    return {str(r["external_id"]): (str(r["status"]), r["error"]) for r in found}


# -- reminders ----------------------------------------------------------------------------


async def test_a_reminder_dm_goes_to_the_slack_learner_once_and_not_to_discord(
    store: Store, clock: FakeClock, web: Web, outbound, daily, fake_time
):
    clock.set(utc(2026, 3, 2, 8))
    await remind_at(store, clock, slack_user(1), "09:00")
    await remind_at(store, clock, Identity(Platform.DISCORD, "77"), "09:00")
    loop = slack_loop(store, clock, outbound, daily, fake_time)
    clock.set(utc(2026, 3, 2, 9, 0, 5))
    report = await loop.reminder_tick(drain=True)
    again = await loop.reminder_tick(drain=True)
    assert (report.sent, again.claimed) == (1, 0)
    (dm,) = web.posts
    assert dm["channel"] == "U0001"
    assert "link_names" not in dm and "parse" not in dm
    assert dm["blocks"][1]["elements"][0]["action_id"] == "recall:review:U0001"
    assert (await send_rows(store))["U0001"] == ("sent", None)
    assert "77" not in await send_rows(store)  # the Discord learner is the bot's to DM


async def test_a_429_waits_retry_after_and_the_reminder_still_goes_out_once(
    store: Store, clock: FakeClock, web: Web, outbound, daily, fake_time
):
    clock.set(utc(2026, 3, 2, 8))
    await remind_at(store, clock, slack_user(2), "09:00")
    limited = api_error("ratelimited", 429, {"Retry-After": "12"})
    web.fail("U0002", limited, api_error("ratelimited", 429, {"Retry-After": "3"}))
    loop = slack_loop(store, clock, outbound, daily, fake_time)
    clock.set(utc(2026, 3, 2, 9, 1))
    started = fake_time.now
    report = await loop.reminder_tick(drain=True)
    assert report.sent == 1 and report.failed == 0
    assert len(web.to("U0002")) == 1
    assert fake_time.now - started >= 15  # both waits were honoured
    assert (await send_rows(store))["U0002"] == ("sent", None)


@pytest.mark.parametrize("code", ["user_not_found", "account_inactive", "cannot_dm_bot"])
async def test_a_dm_slack_refuses_turns_that_learners_reminders_off_with_the_reason(
    store: Store, clock: FakeClock, web: Web, outbound, daily, fake_time, code: str
):
    clock.set(utc(2026, 3, 2, 8))
    gone, fine = slack_user(3), slack_user(4)
    await remind_at(store, clock, gone, "09:00")
    await remind_at(store, clock, fine, "09:00")
    web.fail(gone.external_id, api_error(code))
    loop = slack_loop(store, clock, outbound, daily, fake_time)
    clock.set(utc(2026, 3, 2, 9, 1))
    report = await loop.reminder_tick(drain=True)
    assert (report.sent, report.dms_closed) == (1, 1)
    recorded = await send_rows(store)
    assert recorded[gone.external_id] == ("dms_closed", f"slack: {code}")
    assert recorded[fine.external_id] == ("sent", None)
    reminders = ReminderService(store, clock)
    settings = await reminders.settings(gone)
    assert settings is not None and settings.time is None
    assert settings.off_reason == OffReason.DMS_CLOSED
    assert (await reminders.settings(fine)).time == "09:00"  # type: ignore[union-attr]
    clock.set(utc(2026, 3, 3, 9, 1))
    await loop.reminder_tick(drain=True)
    assert web.to(gone.external_id) == []  # never tried again


async def test_a_passing_error_fails_one_reminder_and_keeps_reminders_on(
    store: Store, clock: FakeClock, web: Web, outbound, daily, fake_time
):
    clock.set(utc(2026, 3, 2, 8))
    await remind_at(store, clock, slack_user(5), "09:00")
    web.fail("U0005", api_error("internal_error", 500))
    loop = slack_loop(store, clock, outbound, daily, fake_time)
    clock.set(utc(2026, 3, 2, 9, 1))
    report = await loop.reminder_tick(drain=True)
    assert report.failed == 1
    assert (await send_rows(store))["U0005"] == ("failed", "slack: internal_error")
    settings = await ReminderService(store, clock).settings(slack_user(5))
    assert settings is not None and settings.time == "09:00"


# -- the daily question -------------------------------------------------------------------


async def test_the_daily_question_is_posted_once_and_any_member_answers_once(
    store: Store, clock: FakeClock, web: Web, outbound, daily, fake_time
):
    clock.set(utc(2026, 3, 2, 8))
    await daily.configure(WORKSPACE, CHANNEL, "09:00", "UTC", SHIPPED_DECK)
    loop = slack_loop(store, clock, outbound, daily, fake_time)
    clock.set(utc(2026, 3, 2, 9, 0, 30))
    assert await loop.daily_tick() == 1
    assert await loop.daily_tick() == 0
    (post,) = web.to(CHANNEL)
    buttons = post["blocks"][1]["elements"]
    assert all(b["text"]["text"][:4] in {"A · ", "B · ", "C · ", "D · ", "E · "} for b in buttons)
    ts = f"{web._ts}.000100"
    replies: list[dict[str, Any]] = []

    async def respond(**kwargs: Any) -> None:
        replies.append(kwargs)

    def click(user: str, index: int) -> dict[str, Any]:
        return {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user, "team_id": TEAM},
            "channel": {"id": CHANNEL},
            "message": {"ts": ts},
            "container": {"type": "message", "message_ts": ts, "channel_id": CHANNEL},
            "actions": [{"action_id": buttons[index]["action_id"]}],
        }

    await outbound.answer_daily(click("U0100", 0), respond)
    await outbound.answer_daily(click("U0101", 1), respond)
    await outbound.answer_daily(click("U0100", 1), respond)
    assert all(r["response_type"] == "ephemeral" for r in replies)
    assert replies[2]["text"] == "You already answered today's question."
    assert replies[0]["text"][0] in "✓✗" and replies[1]["text"][0] in "✓✗"
    await outbound.close()
    post_id = int(buttons[0]["action_id"].split(":")[2])
    stored = await daily.post(post_id)
    assert stored is not None and stored.answers == 2
    assert stored.message == f"{CHANNEL}:{ts}"
    # The public count: the last update shows both answers, never who chose what.
    last = web.updates[-1]
    assert (last["channel"], last["ts"]) == (CHANNEL, ts)
    assert last["blocks"][2]["elements"][0]["text"].startswith("2 answers")
    assert "U0100" not in str(last) and "U0101" not in str(last)


async def test_an_answer_from_another_workspace_records_nothing(
    store: Store, clock: FakeClock, web: Web, outbound, daily, fake_time
):
    clock.set(utc(2026, 3, 2, 8))
    await daily.configure(WORKSPACE, CHANNEL, "09:00", "UTC", SHIPPED_DECK)
    loop = slack_loop(store, clock, outbound, daily, fake_time)
    clock.set(utc(2026, 3, 2, 9, 1))
    await loop.daily_tick()
    action = web.to(CHANNEL)[0]["blocks"][1]["elements"][0]["action_id"]
    replies: list[dict[str, Any]] = []

    async def respond(**kwargs: Any) -> None:
        replies.append(kwargs)

    body = {
        "team": {"id": "T0OTHER"},
        "user": {"id": "U0200"},
        "channel": {"id": CHANNEL},
        "message": {"ts": "1.0"},
        "actions": [{"action_id": action}],
    }
    await outbound.answer_daily(body, respond)
    assert "another workspace" in replies[0]["text"]
    post = await daily.post(int(action.split(":")[2]))
    assert post is not None and post.answers == 0
    forged = {**body, "team": {"id": TEAM}, "actions": [{"action_id": "recall:daily:x"}]}
    await outbound.answer_daily(forged, respond)
    assert replies[1]["text"].startswith("That button is not one Recall made")


async def test_a_channel_that_is_gone_turns_the_daily_question_off(
    store: Store, clock: FakeClock, web: Web, outbound, daily, fake_time
):
    clock.set(utc(2026, 3, 2, 8))
    await daily.configure(WORKSPACE, CHANNEL, "09:00", "UTC", SHIPPED_DECK)
    web.fail(CHANNEL, api_error("not_in_channel"))
    loop = slack_loop(store, clock, outbound, daily, fake_time)
    clock.set(utc(2026, 3, 2, 9, 1))
    assert await loop.daily_tick() == 0
    assert await daily.schedule(WORKSPACE) is None


async def test_a_rate_limited_daily_post_is_retried_not_lost(
    store: Store, clock: FakeClock, web: Web, outbound, daily, fake_time
):
    clock.set(utc(2026, 3, 2, 8))
    await daily.configure(WORKSPACE, CHANNEL, "09:00", "UTC", SHIPPED_DECK)
    web.fail(CHANNEL, api_error("ratelimited", 429, {"Retry-After": "2"}))
    loop = slack_loop(store, clock, outbound, daily, fake_time)
    clock.set(utc(2026, 3, 2, 9, 1))
    assert await loop.daily_tick() == 1
    assert len(web.to(CHANNEL)) == 1
