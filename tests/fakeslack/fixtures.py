"""Pytest fixtures: a started FakeSlack with a small workspace, checked at teardown.

Import them into a test module (or ``tests/conftest.py``) with::

    from tests.fakeslack.fixtures import fake_slack, workspace  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio

from .models import FakeChannel, FakeUser
from .server import FakeSlack


@dataclass
class Workspace:
    """The default test world: #general, an admin, an owner and two learners."""

    slack: FakeSlack
    general: FakeChannel
    #: ``is_admin`` in users.info.
    admin: FakeUser
    #: ``is_owner`` (and admin, as Slack reports owners).
    owner: FakeUser
    learner: FakeUser
    learner2: FakeUser


def build_workspace(slack: FakeSlack) -> Workspace:
    """Populate ``slack`` with the default users and return their handles."""
    admin = slack.add_user("ada", admin=True, tz="Europe/London", tz_offset=0)
    owner = slack.add_user("olga", owner=True, tz="UTC", tz_offset=0)
    learner = slack.add_user("alice", tz="Europe/Paris", tz_offset=3600)
    learner2 = slack.add_user("bob", tz="America/New_York", tz_offset=-18000)
    return Workspace(slack, slack.general, admin, owner, learner, learner2)


@pytest_asyncio.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A started FakeSlack; at teardown it fails the test if the app sent a mention
    (``<!here>``, ``<@U…>``, link_names, parse: full…) or a stray ack."""
    slack = FakeSlack()
    await slack.start()
    try:
        yield slack
    finally:
        await slack.stop()
    slack.check()


@pytest_asyncio.fixture
async def workspace(fake_slack: FakeSlack) -> Workspace:
    """Handles to the default users of ``fake_slack`` (see :func:`build_workspace`)."""
    return build_workspace(fake_slack)
