"""Settings: defaults, .env, the environment's priority, one-line errors, a secret token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULTS, SettingsError, load_settings, log_level_number
from bot.storage import PostgresURL, SQLiteURL

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret-token-value-0123456789"


def _env_file(folder: Path, text: str) -> Path:
    path = folder / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({}, env_file=None)
    assert settings.discord_token is None
    assert settings.database == SQLiteURL(tmp_path / "data" / "recall.db")
    assert settings.content_dir == Path("content")
    assert settings.discord_api_base == "https://discord.com/api/v10"
    assert settings.discord_gateway_url == "wss://gateway.discord.gg/"
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"
    assert settings.desired_retention == 0.9
    assert set(DEFAULTS) >= {"DATABASE_URL", "CONTENT_DIR", "LOG_LEVEL"}
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        settings.require_token()


def test_env_file_is_read(tmp_path: Path) -> None:
    env_file = _env_file(
        tmp_path,
        "# comment\n"
        f"DISCORD_TOKEN={TOKEN}\n"
        "DATABASE_URL=sqlite:////srv/recall/db.sqlite\n"
        "CONTENT_DIR=/srv/decks\n"
        "DEV_GUILD_ID=123456789012345678\n"
        "LOG_LEVEL=debug\n"
        "DESIRED_RETENTION=0.85\n"
        "DISCORD_API_BASE=http://127.0.0.1:8080/api/v10/\n"
        "DISCORD_GATEWAY_URL=ws://127.0.0.1:8081\n",
    )
    settings = load_settings({}, env_file=env_file)
    assert settings.require_token().get_secret_value() == TOKEN
    assert settings.database == SQLiteURL(Path("/srv/recall/db.sqlite"))
    assert settings.content_dir == Path("/srv/decks")
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG"
    assert log_level_number(settings) == 10
    assert settings.desired_retention == 0.85
    assert settings.discord_api_base == "http://127.0.0.1:8080/api/v10"  # no trailing slash
    assert settings.discord_gateway_url == "ws://127.0.0.1:8081/"  # with one


def test_default_env_file_is_the_working_directorys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _env_file(tmp_path, "LOG_LEVEL=ERROR\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).log_level == "ERROR"


def test_environment_wins_over_env_file(tmp_path: Path) -> None:
    env_file = _env_file(tmp_path, "LOG_LEVEL=DEBUG\nCONTENT_DIR=from-file\n")
    settings = load_settings({"LOG_LEVEL": "warning"}, env_file=env_file)
    assert settings.log_level == "WARNING"
    assert settings.content_dir == Path("from-file")


def test_process_environment_is_used_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "critical")
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert load_settings(env_file=None).log_level == "CRITICAL"


def test_empty_values_mean_unset(tmp_path: Path) -> None:
    env_file = _env_file(tmp_path, "DISCORD_TOKEN=\nDEV_GUILD_ID=\nLOG_LEVEL=\nCONTENT_DIR=\n")
    settings = load_settings({}, env_file=env_file)
    assert settings.discord_token is None
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"
    assert settings.content_dir == Path("content")


BAD = [
    ("DISCORD_TOKEN", "short"),
    ("DISCORD_TOKEN", "a token with spaces in the middle of it"),
    ("DATABASE_URL", "postgresql://localhost"),
    ("DATABASE_URL", "postgresql://localhost:notaport/recall"),
    ("DATABASE_URL", "sqlite:///"),
    ("DISCORD_API_BASE", "ftp://discord.com/api"),
    ("DISCORD_GATEWAY_URL", "https://gateway.discord.gg/"),
    ("DEV_GUILD_ID", "my-server"),
    ("DEV_GUILD_ID", "0"),
    ("DEV_GUILD_ID", "-5"),
    ("DEV_GUILD_ID", str(2**64)),
    ("LOG_LEVEL", "LOUD"),
    ("DESIRED_RETENTION", "high"),
    ("DESIRED_RETENTION", "0.5"),
    ("DESIRED_RETENTION", "1"),
    ("DESIRED_RETENTION", "nan"),
]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_each_bad_setting_is_one_line_naming_it(name: str, value: str) -> None:
    environ = {"DISCORD_TOKEN": TOKEN, name: value}
    with pytest.raises(SettingsError) as caught:
        load_settings(environ, env_file=None)
    message = str(caught.value)
    assert name in message
    assert "\n" not in message
    assert TOKEN not in message


@pytest.mark.parametrize(("name", "value"), BAD)
def test_bad_setting_in_env_file_is_reported_too(tmp_path: Path, name: str, value: str) -> None:
    env_file = _env_file(tmp_path, f'{name}="{value}"\n')
    with pytest.raises(SettingsError, match=name):
        load_settings({}, env_file=env_file)


def test_token_never_shown() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN}, env_file=None)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert TOKEN not in repr(settings.discord_token)
    assert TOKEN not in f"{settings.discord_token}"
    # A token with a typo (a space) is refused without echoing it.
    mangled = TOKEN[:20] + " " + TOKEN[20:]
    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN": mangled}, env_file=None)
    assert TOKEN[:20] not in str(caught.value)
    assert TOKEN[20:] not in str(caught.value)


def test_shards_unset_by_default() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.shard_count is None
    assert settings.shard_ids is None


def test_shard_count_alone_runs_every_shard() -> None:
    settings = load_settings({"SHARD_COUNT": "3"}, env_file=None)
    assert settings.shard_count == 3
    assert settings.shard_ids == (0, 1, 2)


def test_shard_ids_pick_this_processs_shards(tmp_path: Path) -> None:
    env_file = _env_file(tmp_path, "SHARD_COUNT=4\nSHARD_IDS= 3, 1\n")
    settings = load_settings({}, env_file=env_file)
    assert settings.shard_count == 4
    assert settings.shard_ids == (3, 1)


def test_empty_shard_settings_mean_unset(tmp_path: Path) -> None:
    settings = load_settings({}, env_file=_env_file(tmp_path, "SHARD_COUNT=\nSHARD_IDS=\n"))
    assert (settings.shard_count, settings.shard_ids) == (None, None)


BAD_SHARDS = [
    ({"SHARD_IDS": "0"}, "SHARD_IDS is set but SHARD_COUNT is not"),
    ({"SHARD_COUNT": "two"}, "SHARD_COUNT must be a whole number"),
    ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be a whole number"),
    ({"SHARD_COUNT": "-1"}, "SHARD_COUNT must be a whole number"),
    ({"SHARD_COUNT": "²"}, "SHARD_COUNT must be a whole number"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "shard 2, out of range for SHARD_COUNT=2"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "0,1,0"}, "SHARD_IDS lists shard 0 twice"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "0;1"}, "SHARD_IDS must be shard numbers"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "0,,1"}, "SHARD_IDS must be shard numbers"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "-1"}, "SHARD_IDS must be shard numbers"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "one"}, "SHARD_IDS must be shard numbers"),
]


@pytest.mark.parametrize(("environ", "expected"), BAD_SHARDS)
def test_bad_shard_settings_are_one_line_naming_the_variable(
    environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ, env_file=None)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_postgresql_url_is_accepted_and_never_shows_its_password(tmp_path: Path) -> None:
    url = "postgresql://recall:s3cret-pass@db.example.org:5432/recall"
    settings = load_settings(environ={"DATABASE_URL": url}, env_file=None)
    assert settings.database == PostgresURL(url)
    assert "s3cret" not in repr(settings.database)
    assert settings.database.describe() == "PostgreSQL db.example.org:5432/recall"
