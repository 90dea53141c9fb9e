"""A fake Slack (Web API + Socket Mode) for driving a real slack-bolt app in tests.

Typical use::

    async with running_fake() as slack:          # or the ``fake_slack`` fixture
        world = build_workspace(slack)            # #general, ada (admin), olga (owner),
                                                  # alice and bob (learners)
        app = AsyncApp(client=web_client(slack), request_verification_enabled=False)
        ...                                       # register listeners, or build the real app
        async with running_app(slack, app):       # AsyncSocketModeHandler, connected
            action = await slack.command(world.learner, "/quiz", "start deck:x")
            reply = await action.wait_reply()     # the private answer
            card = await action.wait_dm()         # the session's DM message
            click = await slack.click(world.learner, card, "Reveal answer")
            await click.wait_update()             # chat.update of that message
        slack.check()                             # nothing sent can mention anyone

The app connects with ``AsyncWebClient(token=slack.bot_token, base_url=slack.api_base)``
(``SLACK_API_BASE``) and ``slack.app_token``; apps.connections.open hands out a
``ws://127.0.0.1`` URL. Everything is in memory and sleep-free: every wait wakes
on the next state change.

World: ``add_user(name, admin=, owner=, primary_owner=, tz=, tz_offset=)``,
``create_channel(name)``, ``general``, ``dm(user)`` (the app's stable ``D…`` DM),
``team_id``, ``bot_user``.

Driver (each sends one envelope and waits for the ack unless ``wait_ack=False``;
each returns an :class:`Action`):

- ``command(user, "/quiz", text, channel=None, typed=False)``: a slash command
  (default #general). ``text`` goes as given, i.e. as Slack delivers it; with
  ``typed=True`` it is what the user typed and is escaped as Slack does for
  ``should_escape: true`` (``#general`` → ``<#C…|general>``, ``@bob`` →
  ``<@U…|bob>``, ``<`` → ``&lt;``); ``driver.as_typed(text)`` shows the result.
- ``click(user, message_or_view, button, as_of=None, forged=False, forged_value=None)``:
  ``button`` is an action_id or a label (``"Good"`` also finds ``"Good · 3d"``);
  works on messages (ephemeral ones only for their user), modals and Home tabs;
  ``as_of=n`` clicks version ``n`` of the message (a stale client); ``forged``
  sends an action the message does not show. LookupError if the button is absent.
- ``submit_view(user, view=None, values={action_id or block_id: text})``: the
  modal's submission; the ack is applied (``response_action`` errors → ``view.errors``,
  update, push, clear; none → closed). ValueError for a missing required input.
- ``close_view(user, view=None)``, ``open_home(user)`` (app_home_opened),
  ``event(user, inner_event)``.

:class:`Action`: ``acked``, ``ack`` (the ack's payload), ``ack_seconds`` (fake's
clock, for reports only), ``trigger_id``, ``response_url``, ``envelope`` (payload,
responses POSTed to its response_url), ``replies()`` / ``await wait_reply(i)``
(ack text, response_url posts, ephemerals to the user), ``new_dm_messages()`` /
``await wait_dm(i)``, ``await wait_update()`` (the clicked message changed),
``await wait_view()`` (a modal opened with its trigger), ``await wait_view_change()``,
``await wait_home()``.

State to assert on: ``dm_messages(user)``, ``channel_messages(channel)``,
``ephemerals(user)``, ``home(user)``, ``modal(user)`` / ``open_modals(user)``,
``files(channel=None)`` (uploads via files_upload_v2, with ``content``),
``calls`` / ``calls_to("chat.update")`` (every request, response_url POSTs as
``"response_url"``), ``sent`` (every payload users could see), ``envelopes``,
``ack_times()``, ``users``. :class:`FakeMessage` has ``text``, ``blocks``,
``labels``, ``action_ids``, ``buttons()``, ``all_text()``, ``versions`` (each with
its ``source``), ``edits``, ``ephemeral_to``, ``files``; :class:`FakeView` has
``callback_id``, ``private_metadata``, ``labels``, ``inputs()``, ``errors``,
``closed``, ``versions``.

Faults: ``rate_limit(method, times=1, retry_after=1, when=None)`` (HTTP 429
``ratelimited`` + ``Retry-After``), ``fail(method, error, times=None, when=None)``
(``ok: false``), ``limit_channel_posts(interval=1.0)`` (one post per channel per
interval on the fake's clock), ``deactivate(user)`` (users.info ``deleted``,
conversations.open ``user_disabled``, posts in their DM ``is_archived``),
``revoke_tokens()`` (the app was removed: ``token_revoked``), ``trigger_ttl``,
``clear_faults()``. Socket Mode: ``disconnect()`` (Slack's ``disconnect``; waits
for the new connection), ``drop_connections()``, ``wait_connected(n)``,
``connections``, ``connected``, ``socket.round_robin = True`` (envelopes spread
over the open connections in turn, for several app instances); an envelope sent
with no app connected waits for the next connection (a click across a restart).

Teardown check (``check()``, run by the ``fake_slack`` fixture): fails with
:class:`ForbiddenMention` if anything shown contains ``<!everyone>``,
``<!channel>``, ``<!here>``, ``<!subteam^…>`` or ``<@U…>``, or used ``link_names``
or ``parse: full``; with :class:`FakeSlackProblem` for stray or duplicate acks.
Invalid content is refused as Slack does (``invalid_blocks`` for button labels
over 75 characters, more than 50 blocks, duplicate action ids…; ``no_text``,
``msg_too_long``, ``invalid_arguments`` for views).
"""

from .checks import FakeSlackProblem, ForbiddenMention
from .driver import Action
from .fixtures import Workspace, build_workspace
from .harness import running_app, web_client
from .models import FakeChannel, FakeFile, FakeMessage, FakeUser, FakeView, RecordedCall
from .server import FakeSlack, running_fake
from .socketmode import Envelope
from .state import APP_TOKEN, BOT_TOKEN, FakeSlackTimeout
from .webapi import Fault

__all__ = [
    "APP_TOKEN",
    "BOT_TOKEN",
    "Action",
    "Envelope",
    "FakeChannel",
    "FakeFile",
    "FakeMessage",
    "FakeSlack",
    "FakeSlackProblem",
    "FakeSlackTimeout",
    "FakeUser",
    "FakeView",
    "Fault",
    "ForbiddenMention",
    "RecordedCall",
    "Workspace",
    "build_workspace",
    "running_app",
    "running_fake",
    "web_client",
]
