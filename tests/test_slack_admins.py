"""Tests for slackapp.admins: who counts as an admin, the one-minute cache, failing closed.

The Web API client here is a small stand-in answering ``users.info`` from a dict (no
network); time is a number the tests move by hand.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from slackapp.admins import ADMIN_TTL, Directory, LookupFailed, user_from


def response(data: dict[str, Any], status: int = 200) -> AsyncSlackResponse:
    return AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.invalid/api/users.info",
        req_args={},
        data=data,
        headers={},
        status_code=status,
    )


def api_error(error: str, status: int = 200) -> SlackApiError:
    data = {"ok": False, "error": error}
    return SlackApiError(error, response(data, status))  # type: ignore[no-untyped-call]


class UsersInfo:
    """Answers users.info from ``users``; an id in ``failing`` gets that Slack error."""

    def __init__(self, users: dict[str, dict[str, Any]]) -> None:
        self.users = users
        self.failing: dict[str, str] = {}
        self.hang: set[str] = set()
        self.calls: list[str] = []

    async def users_info(self, *, user: str) -> Any:
        self.calls.append(user)
        if user in self.hang:
            await asyncio.Event().wait()
        if user in self.failing:
            error = self.failing[user]
            raise api_error(error, 429)
        if user not in self.users:
            raise api_error("user_not_found")
        return response({"ok": True, "user": self.users[user]})


class Ticks:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def person(user_id: str, **flags: Any) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": f"{user_id.lower()}-handle",
        "tz": "Europe/Paris",
        "profile": {"display_name": f"Name {user_id}", "real_name": f"Real {user_id}"},
        **flags,
    }


@pytest.fixture
def slack() -> UsersInfo:
    return UsersInfo(
        {
            "UADMIN": person("UADMIN", is_admin=True),
            "UOWNER": person("UOWNER", is_owner=True),
            "UPRIME": person("UPRIME", is_primary_owner=True),
            "UMEMBER": person("UMEMBER", is_admin=False, is_owner=False),
            "UGONE": person("UGONE", is_admin=True, deleted=True),
            "UODD": person("UODD", is_admin="true", is_owner=1),
        }
    )


@pytest.mark.parametrize("user", ["UADMIN", "UOWNER", "UPRIME"])
async def test_admins_and_owners_are_admins(slack: UsersInfo, user: str):
    assert await Directory(slack).is_admin(user)


@pytest.mark.parametrize("user", ["UMEMBER", "UGONE", "UODD", "UNOBODY"])
async def test_members_deactivated_odd_flags_and_unknown_users_are_not(slack: UsersInfo, user: str):
    assert not await Directory(slack).is_admin(user)


async def test_an_answer_is_trusted_for_at_most_a_minute(slack: UsersInfo):
    ticks = Ticks()
    directory = Directory(slack, clock=ticks)
    assert await directory.is_admin("UADMIN")
    slack.users["UADMIN"]["is_admin"] = False  # demoted in Slack
    ticks.now += ADMIN_TTL - 0.001
    assert await directory.is_admin("UADMIN")  # still cached
    assert slack.calls == ["UADMIN"]
    ticks.now += 0.001
    assert not await directory.is_admin("UADMIN")  # asked again: demoted
    assert slack.calls == ["UADMIN", "UADMIN"]


async def test_a_longer_ttl_is_capped_at_a_minute(slack: UsersInfo):
    ticks = Ticks()
    directory = Directory(slack, clock=ticks, ttl=3600)
    assert directory.ttl == ADMIN_TTL
    await directory.is_admin("UADMIN")
    ticks.now += ADMIN_TTL
    await directory.is_admin("UADMIN")
    assert len(slack.calls) == 2


async def test_a_failed_lookup_refuses_and_is_not_cached(slack: UsersInfo):
    ticks = Ticks()
    directory = Directory(slack, clock=ticks)
    slack.failing["UADMIN"] = "ratelimited"
    assert not await directory.is_admin("UADMIN")
    assert await directory.name("UADMIN") is None
    del slack.failing["UADMIN"]
    # No time passed, yet Slack is asked again: a failure is never remembered.
    assert await directory.is_admin("UADMIN")
    assert slack.calls == ["UADMIN", "UADMIN", "UADMIN"]


async def test_a_lookup_that_hangs_refuses_in_time(slack: UsersInfo):
    slack.hang.add("UADMIN")
    directory = Directory(slack, timeout=0.01)
    assert not await directory.is_admin("UADMIN")
    with pytest.raises(LookupFailed):
        await directory.lookup("UADMIN")


async def test_an_answer_for_someone_else_is_refused():
    class Confused(UsersInfo):
        async def users_info(self, *, user: str) -> Any:
            return response({"ok": True, "user": person("UADMIN", is_admin=True)})

    directory = Directory(Confused({}))
    assert not await directory.is_admin("UMEMBER")


async def test_an_answer_without_a_user_refuses():
    class Empty(UsersInfo):
        async def users_info(self, *, user: str) -> Any:
            return response({"ok": True, "user": None})

    assert not await Directory(Empty({})).is_admin("UADMIN")


def test_the_name_shown_is_the_display_name_then_real_name_then_handle():
    assert user_from(person("U1")).name == "Name U1"
    blank = person("U1")
    blank["profile"]["display_name"] = "  "
    assert user_from(blank).name == "Real U1"
    blank["profile"] = {}
    assert user_from(blank).name == "u1-handle"
    assert user_from({"id": "U1"}).name == "U1"
    assert user_from(person("U1")).tz == "Europe/Paris"


def test_a_user_object_without_id_is_a_failed_lookup():
    with pytest.raises(LookupFailed):
        user_from({"name": "x"})


async def test_names_come_from_the_same_cache(slack: UsersInfo):
    directory = Directory(slack, clock=Ticks())
    assert await directory.is_admin("UMEMBER") is False
    assert await directory.name("UMEMBER") == "Name UMEMBER"
    assert slack.calls == ["UMEMBER"]
    directory.forget("UMEMBER")
    assert await directory.name("UMEMBER") == "Name UMEMBER"
    assert slack.calls == ["UMEMBER", "UMEMBER"]


async def test_an_admin_of_another_workspace_is_not_an_admin_here(slack: UsersInfo):
    slack.users["UADMIN"]["team_id"] = "T1"
    directory = Directory(slack)
    assert await directory.is_admin("UADMIN", "T1")
    assert not await directory.is_admin("UADMIN", "T2")
