"""Slack's settings: SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_BASE; one-line errors
that name the variable and never show the token; ``python -m bot slack`` refuses to
start without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.settings import SettingsError, load_settings

BOT = "xoxb-1234567890-0987654321-abcdefghijklmnop"
APP = "xapp-1-A0123456789-1234567890-abcdef0123456789"


def test_defaults_need_no_slack_token() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.slack_api_base == "https://slack.com/api/"
    assert settings.slack_bot_token is None
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN is not set"):
        settings.require_slack_tokens()


def test_both_tokens_and_a_base_without_slash() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT,
            "SLACK_APP_TOKEN": APP,
            "SLACK_API_BASE": "http://127.0.0.1:9/api",
        },
        env_file=None,
    )
    bot, app = settings.require_slack_tokens()
    assert (bot.get_secret_value(), app.get_secret_value()) == (BOT, APP)
    assert settings.slack_api_base == "http://127.0.0.1:9/api/"
    assert BOT not in repr(settings) and APP not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_BOT_TOKEN": BOT}, "SLACK_APP_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": APP, "SLACK_APP_TOKEN": BOT}, "SLACK_BOT_TOKEN must be a bot token"),
        ({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": BOT}, "SLACK_APP_TOKEN must be an app-level"),
        ({"SLACK_BOT_TOKEN": "xoxb-short", "SLACK_APP_TOKEN": APP}, "does not look like a bot"),
        ({"SLACK_BOT_TOKEN": BOT + " x", "SLACK_APP_TOKEN": APP}, "does not look like a bot"),
    ],
)
def test_bad_tokens_are_one_line_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings(env, env_file=None).require_slack_tokens()
    text = str(caught.value)
    assert "\n" not in text
    assert BOT not in text and APP not in text and "xoxb-short" not in text


def test_bad_api_base() -> None:
    with pytest.raises(SettingsError, match="SLACK_API_BASE must start with http"):
        load_settings({"SLACK_API_BASE": "slack.com/api"}, env_file=None)


def test_slack_command_without_tokens_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    with caplog.at_level("ERROR"):
        assert main(["slack"]) == 2
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "Configuration error: SLACK_APP_TOKEN is not set (an app-level token (Socket Mode), "
        "xapp-…; see slack-manifest.yml)"
    ]
    assert BOT not in caplog.text
