"""The fake Slack itself, driven by a small real slack-bolt app in Socket Mode.

No database: these tests check the fake speaks the protocol slack-bolt and
slack-sdk expect (Web API, response_url, Socket Mode envelopes and acks), so the
Slack front end's end-to-end tests can trust it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakeslack import (
    FakeSlack,
    FakeSlackProblem,
    ForbiddenMention,
    Workspace,
    build_workspace,
    running_app,
    web_client,
)
from tests.fakeslack.fixtures import fake_slack  # noqa: F401

REVEAL: list[dict[str, Any]] = [
    {"type": "section", "block_id": "card", "text": {"type": "mrkdwn", "text": "What is WSGI?"}},
    {
        "type": "actions",
        "block_id": "buttons",
        "elements": [
            {
                "type": "button",
                "action_id": "reveal",
                "text": {"type": "plain_text", "text": "Reveal answer"},
                "value": "card-1",
            },
            {
                "type": "button",
                "action_id": "explain",
                "text": {"type": "plain_text", "text": "Write my answer"},
                "value": "card-1",
            },
        ],
    },
]


def answer_modal(card: str) -> dict[str, Any]:
    """The modal the tiny app opens for "Write my answer"."""
    return {
        "type": "modal",
        "callback_id": "explain",
        "private_metadata": card,
        "title": {"type": "plain_text", "text": "Your answer"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "blocks": [
            {
                "type": "input",
                "block_id": "answer",
                "label": {"type": "plain_text", "text": "In your own words"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 4000,
                },
            }
        ],
    }


def tiny_app(client: AsyncWebClient) -> AsyncApp:
    """A small bolt app using every part of the fake a quiz front end needs."""
    app = AsyncApp(client=client, request_verification_enabled=False)

    @app.command("/quiz")
    async def quiz(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack()
        if command["text"].startswith("start"):
            dm = await client.conversations_open(users=command["user_id"])
            await client.chat_postMessage(
                channel=dm["channel"]["id"], text="What is WSGI?", blocks=REVEAL
            )
            await respond(text="Your session is in your DM with Recall.")
        elif command["text"] == "shout":
            await respond(text="Hello <!here> and <@U0123ABCD>")
        else:
            await respond(text=f"Unknown subcommand {command['text']!r}", response_type="ephemeral")

    @app.action("reveal")
    async def reveal(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text="WSGI: the synchronous interface",
            blocks=[
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "*Answer* WSGI: synchronous"},
                },
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "grade-good",
                            "text": {"type": "plain_text", "text": "Good"},
                            "value": "good",
                        }
                    ],
                },
            ],
        )

    @app.action("explain")
    async def explain(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"], view=answer_modal(body["actions"][0]["value"])
        )

    @app.view("explain")
    async def explained(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = view["state"]["values"]["answer"]["text"]["value"]
        if len(text) < 5:
            await ack(response_action="errors", errors={"answer": "Write a bit more"})
            return
        await ack()
        dm = await client.conversations_open(users=body["user"]["id"])
        await client.chat_postMessage(
            channel=dm["channel"]["id"], text=f"Graded {view['private_metadata']}: {len(text)}"
        )

    @app.event("app_home_opened")
    async def home(event: dict[str, Any]) -> None:
        info = await client.users_info(user=event["user"])
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": f"Stats of {info['user']['name']}"},
                    },
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "home-review",
                                "text": {"type": "plain_text", "text": "Start review"},
                            }
                        ],
                    },
                ],
            },
        )

    @app.action("home-review")
    async def home_review(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await client.chat_postMessage(channel=body["user"]["id"], text="Review started")

    return app


@pytest.fixture
def slack(fake_slack: FakeSlack) -> FakeSlack:  # noqa: F811 (the imported fixture)
    """The shipped fixture: a started fake whose teardown runs ``check()``."""
    return fake_slack


@pytest.fixture
def world(slack: FakeSlack) -> Workspace:
    """The default users."""
    return build_workspace(slack)


@pytest_asyncio.fixture
async def app(slack: FakeSlack) -> AsyncIterator[AsyncApp]:
    """The tiny app, connected over Socket Mode."""
    bolt = tiny_app(web_client(slack))
    async with running_app(slack, bolt):
        yield bolt


async def test_slash_command_is_acked_and_answered_through_response_url(
    slack: FakeSlack, world: Workspace, app: AsyncApp
) -> None:
    action = await slack.command(world.learner, "/quiz", "start deck:x")
    assert action.acked
    assert action.ack is None  # a bare ack()
    reply = await action.wait_reply()
    assert reply.text == "Your session is in your DM with Recall."
    assert reply.ephemeral_to is world.learner
    assert reply.channel is slack.general
    [card] = slack.dm_messages(world.learner)
    assert card.labels == ["Reveal answer", "Write my answer"]
    assert card.channel.id.startswith("D")
    [posted] = action.envelope.responses  # bolt's respond() POSTed to the response_url
    assert posted["text"] == "Your session is in your DM with Recall."
    assert action.ack_seconds is not None  # recorded for reports; never asserted as a time
    slack.check()


async def test_conversations_open_gives_one_stable_dm_per_user(
    slack: FakeSlack, world: Workspace
) -> None:
    client = web_client(slack)
    first = await client.conversations_open(users=world.learner.id)
    again = await client.conversations_open(users=world.learner.id)
    other = await client.conversations_open(users=world.learner2.id)
    assert first["channel"]["id"] == again["channel"]["id"]
    assert first["channel"]["id"].startswith("D")
    assert other["channel"]["id"] != first["channel"]["id"]
    assert again["already_open"] is True
    with pytest.raises(SlackApiError) as bot:
        await client.conversations_open(users=slack.bot_user.id)
    assert bot.value.response["error"] == "cannot_dm_bot"
    with pytest.raises(SlackApiError) as nobody:
        await client.conversations_open(users="U0NOBODY00")
    assert nobody.value.response["error"] == "user_not_found"


async def test_button_click_updates_the_message(
    slack: FakeSlack, world: Workspace, app: AsyncApp
) -> None:
    await slack.command(world.learner, "/quiz", "start")
    card = await slack.wait_dm(world.learner)
    click = await slack.click(world.learner, card, "Reveal answer")
    assert click.acked
    updated = await click.wait_update()
    assert updated is card
    assert card.labels == ["Good"]
    assert "WSGI: synchronous" in card.all_text()
    assert [v.source for v in card.versions] == ["chat.postMessage", "chat.update"]
    payload = click.envelope.payload
    assert payload["container"]["message_ts"] == card.ts
    assert payload["message"]["ts"] == card.ts
    assert payload["actions"][0]["value"] == "card-1"
    assert payload["trigger_id"] and payload["response_url"].startswith(slack.base_url)


async def test_clicking_a_button_the_message_lacks_is_refused_unless_forged(
    slack: FakeSlack, world: Workspace, app: AsyncApp
) -> None:
    await slack.command(world.learner, "/quiz", "start")
    card = await slack.wait_dm(world.learner)
    with pytest.raises(LookupError):
        await slack.click(world.learner, card, "Easy")
    forged = await slack.click(world.learner2, card, "reveal", forged=True, forged_value="x")
    assert forged.envelope.payload["user"]["id"] == world.learner2.id
    assert forged.envelope.payload["actions"][0]["value"] == "x"


async def test_modal_opens_from_the_click_trigger_and_its_submission_is_answered(
    slack: FakeSlack, world: Workspace, app: AsyncApp
) -> None:
    await slack.command(world.learner, "/quiz", "start")
    card = await slack.wait_dm(world.learner)
    click = await slack.click(world.learner, card, "Write my answer")
    modal = await click.wait_view()
    assert modal.callback_id == "explain"
    assert modal.private_metadata == "card-1"
    assert slack.modal(world.learner) is modal

    short = await slack.submit_view(world.learner, modal, {"text": "no"})
    assert short.ack == {"response_action": "errors", "errors": {"answer": "Write a bit more"}}
    assert modal.errors == {"answer": "Write a bit more"}
    assert not modal.closed

    done = await slack.submit_view(world.learner, modal, {"text": "A synchronous interface"})
    assert done.ack is None
    assert modal.closed
    graded = await done.wait_dm()
    assert graded.text == "Graded card-1: 23"
    state = done.envelope.payload["view"]["state"]["values"]
    assert state == {
        "answer": {"text": {"type": "plain_text_input", "value": "A synchronous interface"}}
    }


async def test_a_trigger_id_opens_one_view_only(
    slack: FakeSlack, world: Workspace, app: AsyncApp
) -> None:
    client = web_client(slack)
    with pytest.raises(SlackApiError) as unknown:
        await client.views_open(trigger_id="1.2.made-up", view=answer_modal("c"))
    assert unknown.value.response["error"] == "invalid_trigger_id"
    await slack.command(world.learner, "/quiz", "start")
    card = await slack.wait_dm(world.learner)
    click = await slack.click(world.learner, card, "Write my answer")
    await click.wait_view()
    with pytest.raises(SlackApiError) as reused:
        await client.views_open(trigger_id=click.trigger_id, view=answer_modal("c"))
    assert reused.value.response["error"] == "exchanged_trigger_id"


async def test_app_home_opened_publishes_the_home_tab(
    slack: FakeSlack, world: Workspace, app: AsyncApp
) -> None:
    opened = await slack.open_home(world.learner)
    home = await opened.wait_home()
    assert slack.home(world.learner) is home
    assert "Stats of alice" in home.all_text()
    assert home.labels == ["Start review"]
    click = await slack.click(world.learner, home, "Start review")
    assert click.envelope.payload["container"] == {"type": "view", "view_id": home.id}
    assert "response_url" not in click.envelope.payload
    message = await click.wait_dm()
    assert message.text == "Review started"


async def test_users_info_reports_roles_time_zone_and_deactivation(
    slack: FakeSlack, world: Workspace
) -> None:
    client = web_client(slack)
    admin = (await client.users_info(user=world.admin.id))["user"]
    owner = (await client.users_info(user=world.owner.id))["user"]
    learner = (await client.users_info(user=world.learner.id))["user"]
    assert (admin["is_admin"], admin["is_owner"]) == (True, False)
    assert (owner["is_admin"], owner["is_owner"], owner["is_primary_owner"]) == (True, True, False)
    assert (learner["is_admin"], learner["tz"], learner["deleted"]) == (
        False,
        "Europe/Paris",
        False,
    )
    with pytest.raises(SlackApiError) as missing:
        await client.users_info(user="U0NOBODY00")
    assert missing.value.response["error"] == "user_not_found"

    dm = (await client.conversations_open(users=world.learner.id))["channel"]["id"]
    slack.deactivate(world.learner)
    assert (await client.users_info(user=world.learner.id))["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as disabled:
        await client.conversations_open(users=world.learner.id)
    assert disabled.value.response["error"] == "user_disabled"
    with pytest.raises(SlackApiError) as archived:
        await client.chat_postMessage(channel=dm, text="Time to review")
    assert archived.value.response["error"] == "is_archived"


async def test_tokens_are_checked(slack: FakeSlack, world: Workspace) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_base)
    with pytest.raises(SlackApiError) as bad:
        await wrong.auth_test()
    assert bad.value.response["error"] == "invalid_auth"
    app_token = AsyncWebClient(token=slack.app_token, base_url=slack.api_base)
    with pytest.raises(SlackApiError) as kind:
        await app_token.chat_postMessage(channel=slack.general.id, text="hi")
    assert kind.value.response["error"] == "not_allowed_token_type"
    slack.revoke_tokens()
    with pytest.raises(SlackApiError) as revoked:
        await web_client(slack).auth_test()
    assert revoked.value.response["error"] == "token_revoked"


async def test_unknown_channel_and_bad_blocks_are_refused(
    slack: FakeSlack, world: Workspace
) -> None:
    client = web_client(slack)
    with pytest.raises(SlackApiError) as missing:
        await client.chat_postMessage(channel="C0NOWHERE0", text="hi")
    assert missing.value.response["error"] == "channel_not_found"
    long_label = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "a",
                    "text": {"type": "plain_text", "text": "A · " + "x" * 80},
                }
            ],
        }
    ]
    with pytest.raises(SlackApiError) as invalid:
        await client.chat_postMessage(channel=slack.general.id, text="q", blocks=long_label)
    assert invalid.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as no_text, pytest.warns(UserWarning, match="text"):
        await client.chat_postMessage(channel=slack.general.id)
    assert no_text.value.response["error"] == "no_text"


async def test_a_429_is_retried_by_the_rate_limit_retry_handler(
    slack: FakeSlack, world: Workspace
) -> None:
    plain = web_client(slack)
    slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    with pytest.raises(SlackApiError) as limited:
        await plain.chat_postMessage(channel=slack.general.id, text="first")
    assert limited.value.response.status_code == 429
    assert limited.value.response["error"] == "ratelimited"
    assert limited.value.response.headers["Retry-After"] == "0"

    patient = web_client(slack, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])
    fault = slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    sent = await patient.chat_postMessage(channel=slack.general.id, text="second")
    assert sent["ok"]
    assert fault.hits == 1
    calls = slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 429, 200]
    assert [m.text for m in slack.channel_messages(slack.general)] == ["second"]


async def test_a_forbidden_mention_fails_the_teardown_check(
    slack: FakeSlack, world: Workspace, app: AsyncApp
) -> None:
    action = await slack.command(world.learner, "/quiz", "shout")
    await action.wait_reply()
    with pytest.raises(ForbiddenMention) as caught:
        slack.check()
    assert "<!here>" in str(caught.value)
    assert "<@U0123ABCD>" in str(caught.value)
    slack.sent.clear()  # so that the fixture's own teardown does not fail again


@pytest.mark.parametrize(
    "arguments",
    [
        {"text": "plain", "link_names": True},
        {"text": "plain", "parse": "full"},
        {"text": "hey <!channel>"},
        {"text": "hey <!subteam^S0123|devs>"},
        {
            "text": "x",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "<!everyone>"}}],
        },
    ],
)
async def test_every_kind_of_mention_is_caught(
    slack: FakeSlack, world: Workspace, arguments: dict[str, Any]
) -> None:
    await web_client(slack).chat_postMessage(channel=slack.general.id, **arguments)
    with pytest.raises(ForbiddenMention):
        slack.check()
    slack.sent.clear()


async def test_escaped_deck_text_passes_the_check(slack: FakeSlack, world: Workspace) -> None:
    text = "Deck says &lt;!everyone&gt; and &lt;@U0123&gt; &amp; more"
    await web_client(slack).chat_postMessage(channel=slack.general.id, text=text)
    slack.check()


async def test_socket_mode_reconnects_after_disconnect_and_after_a_dropped_socket(
    slack: FakeSlack, world: Workspace
) -> None:
    bolt = tiny_app(web_client(slack))
    async with running_app(slack, bolt, ping_interval=0.2):
        assert slack.connections == 1
        await slack.disconnect()
        assert slack.connections == 2
        action = await slack.command(world.learner, "/quiz", "start")
        assert action.envelope.connection == 2
        await action.wait_reply()

        await slack.drop_connections()
        await slack.wait_connected(3, timeout=10)
        again = await slack.command(world.learner, "/quiz", "start")
        assert again.envelope.connection == 3
    opens = slack.calls_to("apps.connections.open")
    assert len(opens) == 3 and all(c.ok for c in opens)


async def test_apps_connections_open_wants_the_app_token(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as refused:
        await web_client(slack).apps_connections_open(app_token=slack.bot_token)
    assert refused.value.response["error"] == "not_allowed_token_type"
    opened = await web_client(slack).apps_connections_open(app_token=slack.app_token)
    assert opened["url"].startswith(f"ws://127.0.0.1:{slack.port}/link/?ticket=")


async def test_files_upload_v2_shares_the_file(slack: FakeSlack, world: Workspace) -> None:
    client = web_client(slack)
    dm = (await client.conversations_open(users=world.admin.id))["channel"]["id"]
    await client.files_upload_v2(
        channel=dm, content="learner,xp\nalice,10\n", filename="export.csv", title="Export"
    )
    [shared] = slack.files()
    assert (shared.filename, shared.title) == ("export.csv", "Export")
    assert shared.content == b"learner,xp\nalice,10\n"
    assert shared.channel is slack.dm(world.admin)
    assert slack.dm_messages(world.admin)[-1].files == [shared]
    await client.files_upload_v2(
        channels=[slack.general.id], content=b"x", filename="b.txt", initial_comment="Here"
    )
    [public] = slack.files(slack.general)
    assert public.initial_comment == "Here"
    assert slack.channel_messages(slack.general)[-1].text == "Here"


async def test_response_url_can_replace_and_delete_the_original(
    slack: FakeSlack, world: Workspace, app: AsyncApp
) -> None:
    start = await slack.command(world.learner, "/quiz", "start")
    card = await slack.wait_dm(world.learner)
    click = await slack.click(world.learner, card, "Reveal answer")
    await click.wait_update()
    # Post to the click's response_url as an app would with respond(replace_original=True).
    url = click.response_url
    assert url is not None and start.response_url != url
    async with aiohttp.ClientSession() as session:
        body = {"replace_original": True, "text": "Replaced", "blocks": []}
        async with session.post(url, json=body) as response:
            assert response.status == 200
        assert card.text == "Replaced" and card.versions[-1].source == "response_url"
        async with session.post(url, data=json.dumps({"delete_original": True})) as response:
            assert response.status == 200
    assert card.deleted
    assert slack.dm_messages(world.learner) == []


async def test_ack_text_is_shown_to_the_user_alone(slack: FakeSlack, world: Workspace) -> None:
    bolt = AsyncApp(client=web_client(slack), request_verification_enabled=False)

    @bolt.command("/quiz")
    async def quiz(ack: AsyncAck) -> None:
        await ack(text="Usage: /quiz start")

    async with running_app(slack, bolt):
        action = await slack.command(world.learner, "/quiz", "nonsense")
        assert action.ack == {"text": "Usage: /quiz start"}
        [reply] = action.replies()
        assert reply.text == "Usage: /quiz start" and reply.ephemeral_to is world.learner
    assert slack.stray_acks == []
    slack.check()


class ManualClock:
    """The fake's clock, moved by hand (for the time-based refusals)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_channel_post_limit_answers_429_until_the_interval_passed() -> None:
    clock = ManualClock()
    async with FakeSlack(clock=clock) as slack:
        slack.limit_channel_posts(1.0)
        client = web_client(slack)
        await client.chat_postMessage(channel=slack.general.id, text="daily question")
        with pytest.raises(SlackApiError) as limited:
            await client.chat_postMessage(channel=slack.general.id, text="too soon")
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "1"
        other = slack.create_channel("random")
        await client.chat_postMessage(channel=other.id, text="another channel is free")
        clock.now += 1.0
        await client.chat_postMessage(channel=slack.general.id, text="a second later")
        texts = [m.text for m in slack.channel_messages(slack.general)]
        assert texts == ["daily question", "a second later"]


async def test_an_old_trigger_id_is_expired_when_the_ttl_is_on() -> None:
    clock = ManualClock()
    async with FakeSlack(clock=clock) as slack:
        world = build_workspace(slack)
        slack.trigger_ttl = 3.0
        bolt = AsyncApp(client=web_client(slack), request_verification_enabled=False)
        triggers: list[str] = []

        @bolt.command("/quiz")
        async def quiz(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            triggers.append(body["trigger_id"])

        async with running_app(slack, bolt):
            await slack.command(world.learner, "/quiz", "a")
            await slack.command(world.learner, "/quiz", "b")
        client = web_client(slack)
        await client.views_open(trigger_id=triggers[0], view=answer_modal("c"))
        clock.now += 3.5
        with pytest.raises(SlackApiError) as expired:
            await client.views_open(trigger_id=triggers[1], view=answer_modal("c"))
        assert expired.value.response["error"] == "expired_trigger_id"


async def test_the_bench_flow_runs_through_the_bare_app(slack: FakeSlack, world: Workspace) -> None:
    from bench.bare_slack import create_bare_app
    from tests.fakeslack.session_driver import run_session

    async with running_app(slack, create_bare_app(web_client(slack))):
        run = await run_session(slack, world.learner, "start kind:flashcard count:3")
    assert run.finished
    assert [s.action for s in run.steps] == ["start"] + ["Reveal answer", "Good"] * 3
    assert run.message is not None and run.message.text == "Session complete"
    assert run.message.edits == 6


async def test_a_click_on_an_ephemeral_message_is_answered_through_response_url(
    slack: FakeSlack, world: Workspace
) -> None:
    bolt = AsyncApp(client=web_client(slack), request_verification_enabled=False)
    choice = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "resume",
                    "text": {"type": "plain_text", "text": "Resume"},
                },
                {
                    "type": "button",
                    "action_id": "new",
                    "text": {"type": "plain_text", "text": "Start new"},
                },
            ],
        }
    ]

    @bolt.command("/quiz")
    async def quiz(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="A session is open", blocks=choice)

    @bolt.action("resume")
    async def resume(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(replace_original=True, text="Resumed")

    @bolt.action("new")
    async def new(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(response_type="in_channel", text="Alice started a new session")

    async with running_app(slack, bolt):
        start = await slack.command(world.learner, "/quiz", "start")
        prompt = await start.wait_reply()
        assert prompt.ephemeral_to is world.learner and prompt.labels == ["Resume", "Start new"]
        with pytest.raises(LookupError):
            await slack.click(world.learner2, prompt, "Resume")  # bob cannot see it
        with pytest.raises(SlackApiError):
            await web_client(slack).chat_update(channel=prompt.channel.id, ts=prompt.ts, text="x")
        click = await slack.click(world.learner, prompt, "Resume")
        assert click.envelope.payload["container"]["is_ephemeral"] is True
        assert "message" not in click.envelope.payload
        await click.wait_update()
        assert prompt.text == "Resumed" and prompt.ephemeral_to is world.learner
        other = await slack.click(world.learner, prompt, "Resume", as_of=0)
        assert other.acked  # a stale client still shows the buttons
        public = await (await slack.click(world.learner, prompt, "Start new", as_of=0)).wait_reply()
        assert public.ephemeral_to is None and public.response_type == "in_channel"


async def test_views_update_refuses_a_stale_hash(slack: FakeSlack, world: Workspace) -> None:
    client = web_client(slack)
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "1"}}],
    }
    first = await client.views_publish(user_id=world.learner.id, view=home)
    view_id, old_hash = first["view"]["id"], first["view"]["hash"]
    await client.views_publish(user_id=world.learner.id, view=home, hash=old_hash)
    with pytest.raises(SlackApiError) as conflict:
        await client.views_update(view_id=view_id, view=home, hash=old_hash)
    assert conflict.value.response["error"] == "hash_conflict"
    assert len(slack.home(world.learner).versions) == 2  # type: ignore[union-attr]
    with pytest.raises(SlackApiError) as modal_without_title:
        await client.views_update(view_id=view_id, view={"type": "modal", "blocks": []})
    assert modal_without_title.value.response["error"] == "invalid_arguments"


async def test_a_click_after_a_restart_reaches_the_new_process(
    slack: FakeSlack, world: Workspace
) -> None:
    async with running_app(slack, tiny_app(web_client(slack))):
        await slack.command(world.learner, "/quiz", "start")
        card = await slack.wait_dm(world.learner)
    assert not slack.connected
    # Sent while no app is connected: Slack keeps it for the next connection here.
    pending = await slack.click(world.learner, card, "Reveal answer", wait_ack=False)
    assert not pending.acked
    async with running_app(slack, tiny_app(web_client(slack))):
        await pending.wait_ack()
        await pending.wait_update()
    assert card.labels == ["Good"]
    assert pending.envelope.connection == 2


async def test_a_fault_can_pick_its_calls(slack: FakeSlack, world: Workspace) -> None:
    client = web_client(slack)
    alice_dm = slack.dm(world.learner)
    fault = slack.fail(
        "chat.postMessage", "channel_not_found", when=lambda p: p.get("channel") == alice_dm.id
    )
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=alice_dm.id, text="reminder")
    assert refused.value.response["error"] == "channel_not_found"
    await client.chat_postMessage(channel=slack.dm(world.learner2).id, text="reminder")
    assert fault.hits == 1
    assert [m.text for m in slack.dm_messages(world.learner2)] == ["reminder"]
    slack.clear_faults()
    await client.chat_postMessage(channel=alice_dm.id, text="reminder")
    assert len(slack.dm_messages(world.learner)) == 1


async def test_typed_command_text_is_escaped_as_slack_does(
    slack: FakeSlack, world: Workspace
) -> None:
    bolt = AsyncApp(client=web_client(slack), request_verification_enabled=False)

    @bolt.command("/quiz")
    async def quiz(ack: AsyncAck) -> None:
        await ack()

    async with running_app(slack, bolt):
        action = await slack.command(
            world.admin,
            "/quiz",
            "daily channel:#general time:09:00 deck:a<b&c @bob @here",
            typed=True,
        )
        raw = await slack.command(world.admin, "/quiz", "channel:#general")
    general = slack.general.id
    assert action.envelope.payload["text"] == (
        f"daily channel:<#{general}|general> time:09:00 deck:a&lt;b&amp;c"
        f" <@{world.learner2.id}|bob> <!here>"
    )
    assert raw.envelope.payload["text"] == "channel:#general"


async def test_conversations_info_and_permalinks(slack: FakeSlack, world: Workspace) -> None:
    client = web_client(slack)
    info = await client.conversations_info(channel=slack.general.id)
    assert (info["channel"]["name"], info["channel"]["is_im"]) == ("general", False)
    posted = await client.chat_postMessage(channel=world.learner.id, text="card")
    assert posted["channel"] == slack.dm(world.learner).id  # a user id posts in the DM
    link = await client.chat_getPermalink(channel=posted["channel"], message_ts=posted["ts"])
    assert link["permalink"].endswith(posted["ts"].replace(".", ""))
    with pytest.raises(SlackApiError) as missing:
        await client.conversations_info(channel="C0MISSING0")
    assert missing.value.response["error"] == "channel_not_found"


async def test_two_app_instances_share_the_envelopes_in_turn(
    slack: FakeSlack, world: Workspace
) -> None:
    handled: list[str] = []

    def instance(name: str) -> AsyncApp:
        bolt = AsyncApp(client=web_client(slack), request_verification_enabled=False)

        @bolt.command("/quiz")
        async def quiz(ack: AsyncAck) -> None:
            handled.append(name)
            await ack(text=f"from {name}")

        return bolt

    slack.socket.round_robin = True
    async with running_app(slack, instance("one")), running_app(slack, instance("two")):
        actions = [await slack.command(world.learner, "/quiz", "stats") for _ in range(4)]
    assert [a.envelope.connection for a in actions] == [1, 2, 1, 2]
    assert handled == ["one", "two", "one", "two"]
    assert [a.ack for a in actions][:2] == [{"text": "from one"}, {"text": "from two"}]


async def test_a_submission_ack_is_applied_or_reported(slack: FakeSlack, world: Workspace) -> None:
    bolt = AsyncApp(client=web_client(slack), request_verification_enabled=False)
    replies: list[dict[str, Any]] = [
        {"response_action": "errors", "errors": {"nowhere": "x"}},
        {"response_action": "update", "view": {**answer_modal("next"), "callback_id": "two"}},
    ]

    @bolt.command("/quiz")
    async def quiz(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await bolt.client.views_open(trigger_id=body["trigger_id"], view=answer_modal("c"))

    @bolt.view("explain")
    async def submitted(ack: AsyncAck) -> None:
        await ack(**replies.pop(0))

    async with running_app(slack, bolt):
        opened = await slack.command(world.learner, "/quiz", "start")
        modal = await opened.wait_view()
        await slack.submit_view(world.learner, modal, {"text": "first"})
        assert modal.errors == {} and not modal.closed
        with pytest.raises(FakeSlackProblem, match="must name input block_ids"):
            slack.check()
        slack.ack_problems.clear()
        await slack.submit_view(world.learner, modal, {"text": "second"})
        assert modal.callback_id == "two" and modal.private_metadata == "next"
        assert not modal.closed
        with pytest.raises(ValueError, match="required"):
            await slack.submit_view(world.learner, modal, {})
