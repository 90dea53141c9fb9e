"""slack-manifest.yml creates the app SPEC describes: the scopes, /quiz with
should_escape, Socket Mode, interactivity, the App Home tab and its event."""

from __future__ import annotations

from typing import Any

import yaml

from tests.conftest import REPO_ROOT


def manifest() -> dict[str, Any]:
    data = yaml.safe_load((REPO_ROOT / "slack-manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_scopes() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes >= {
        "chat:write",
        "chat:write.public",
        "commands",
        "im:write",
        "users:read",
        "files:write",
    }


def test_the_quiz_command_escapes() -> None:
    (command,) = manifest()["features"]["slash_commands"]
    assert command["command"] == "/quiz"
    assert command["should_escape"] is True


def test_socket_mode_interactivity_and_home() -> None:
    data = manifest()
    settings = data["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert data["features"]["app_home"]["home_tab_enabled"] is True
