"""A fake Slack (Web API + Socket Mode) for driving a real slack-bolt app in tests.

Typical use::

    async with running_fake() as slack:
        world = build_workspace(slack)
        app = AsyncApp(client=web_client(slack))
        ...  # register listeners, or build the real app
        async with running_app(slack, app):
            action = await slack.command(world.learner, "/quiz", "start deck:x")
            reply = await action.wait_reply()
        slack.check()  # nothing sent can mention anyone
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
