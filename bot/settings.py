"""Settings from the environment and ``.env``: validated once, at start-up, in ``main()``.

Every problem is reported as one line naming the variable. The token is a
``SecretStr``: it never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values
from pydantic import SecretStr

from bot.storage.url import DatabaseURL, parse_database_url

DEFAULTS: dict[str, str] = {
    "DATABASE_URL": "sqlite:///data/recall.db",
    "CONTENT_DIR": "content",
    "DISCORD_API_BASE": "https://discord.com/api/v10",
    "DISCORD_GATEWAY_URL": "wss://gateway.discord.gg/",
    "LOG_LEVEL": "INFO",
    "DESIRED_RETENTION": "0.9",
    "SLACK_API_BASE": "https://slack.com/api/",
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_SHARDS = 65536
"""A bound on ``SHARD_COUNT`` that no real bot reaches: beyond it, a typo."""


class SettingsError(ValueError):
    """A setting is missing or wrong. The message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    """Recall's validated configuration."""

    discord_token: SecretStr | None
    database: DatabaseURL
    """Where the data lives: a SQLite file or a PostgreSQL database."""
    content_dir: Path
    discord_api_base: str
    discord_gateway_url: str
    dev_guild_id: int | None
    log_level: str
    desired_retention: float
    shard_count: int | None = None
    """Total shards across every process (``SHARD_COUNT``); ``None``: no sharding."""
    shard_ids: tuple[int, ...] | None = None
    """The shards this process runs (``SHARD_IDS``, else all); ``None`` iff no ``shard_count``."""
    slack_bot_token: SecretStr | None = None
    """``SLACK_BOT_TOKEN`` (``xoxb-…``) as given; checked by :meth:`require_slack_tokens`."""
    slack_app_token: SecretStr | None = None
    """``SLACK_APP_TOKEN`` (``xapp-…``, Socket Mode) as given; checked likewise."""
    slack_api_base: str = DEFAULTS["SLACK_API_BASE"]
    """The Web API base URL, ending in ``/`` (slack_sdk appends the method name)."""

    def require_token(self) -> SecretStr:
        """The token, or a SettingsError explaining that ``run`` needs one."""
        if self.discord_token is None:
            raise SettingsError("DISCORD_TOKEN is not set")
        return self.discord_token

    def require_slack_tokens(self) -> tuple[SecretStr, SecretStr]:
        """The bot and app tokens for ``python -m bot slack``, or a SettingsError naming
        the variable that is missing or malformed (never its value)."""
        bot = _slack_token(self.slack_bot_token, "SLACK_BOT_TOKEN", "xoxb-", "a bot token")
        app = _slack_token(
            self.slack_app_token, "SLACK_APP_TOKEN", "xapp-", "an app-level token (Socket Mode)"
        )
        return bot, app


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = Path(".env"),
    *,
    check_token: bool = True,
) -> Settings:
    """Read settings: the environment wins over ``env_file``, which wins over defaults.

    With ``check_token=False`` (commands that never connect) a malformed
    ``DISCORD_TOKEN`` is ignored rather than an error.
    """
    values: dict[str, str] = dict(DEFAULTS)
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    # An empty value (``DEV_GUILD_ID=`` in .env) means "not set".

    def get(name: str) -> str | None:
        return (values.get(name) or "").strip() or None

    token = get("DISCORD_TOKEN")
    if token is not None and (any(c.isspace() for c in token) or len(token) < 20):
        if check_token:
            raise SettingsError("DISCORD_TOKEN does not look like a bot token (check for a typo)")
        token = None

    db_url = get("DATABASE_URL") or DEFAULTS["DATABASE_URL"]
    try:
        database = parse_database_url(db_url)
    except ValueError as exc:
        raise SettingsError(f"DATABASE_URL {exc}") from None

    api_base = (get("DISCORD_API_BASE") or DEFAULTS["DISCORD_API_BASE"]).rstrip("/")
    if not api_base.startswith(("http://", "https://")):
        raise SettingsError("DISCORD_API_BASE must start with http:// or https://")
    gateway = get("DISCORD_GATEWAY_URL") or DEFAULTS["DISCORD_GATEWAY_URL"]
    if not gateway.startswith(("ws://", "wss://")):
        raise SettingsError("DISCORD_GATEWAY_URL must start with ws:// or wss://")
    if not gateway.endswith("/"):
        gateway += "/"  # discord.py appends the query string to it

    guild_text = get("DEV_GUILD_ID")
    guild_id: int | None = None
    if guild_text is not None:
        if not guild_text.isdigit() or not 0 < int(guild_text) < 2**64:
            raise SettingsError(
                f"DEV_GUILD_ID must be a server id (a number), got {guild_text[:30]!r}"
            )
        guild_id = int(guild_text)

    level = (get("LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level[:20]!r}")

    retention_text = get("DESIRED_RETENTION") or DEFAULTS["DESIRED_RETENTION"]
    try:
        retention = float(retention_text)
    except ValueError:
        retention = -1.0
    if not 0.7 <= retention <= 0.99:
        raise SettingsError(
            f"DESIRED_RETENTION must be a number from 0.70 to 0.99, got {retention_text[:20]!r}"
        )

    shard_count, shard_ids = _shards(get("SHARD_COUNT"), get("SHARD_IDS"))

    slack_base = get("SLACK_API_BASE") or DEFAULTS["SLACK_API_BASE"]
    if not slack_base.startswith(("http://", "https://")):
        raise SettingsError("SLACK_API_BASE must start with http:// or https://")
    if not slack_base.endswith("/"):
        slack_base += "/"  # slack_sdk appends the method name to it
    slack_bot, slack_app = get("SLACK_BOT_TOKEN"), get("SLACK_APP_TOKEN")

    return Settings(
        discord_token=SecretStr(token) if token else None,
        database=database,
        content_dir=Path(get("CONTENT_DIR") or DEFAULTS["CONTENT_DIR"]),
        discord_api_base=api_base,
        discord_gateway_url=gateway,
        dev_guild_id=guild_id,
        log_level=level,
        desired_retention=retention,
        shard_count=shard_count,
        shard_ids=shard_ids,
        slack_bot_token=SecretStr(slack_bot) if slack_bot else None,
        slack_app_token=SecretStr(slack_app) if slack_app else None,
        slack_api_base=slack_base,
    )


SLACK_TOKEN_MIN = 20
"""Shorter than any token Slack issues: a truncated paste."""


def _slack_token(token: SecretStr | None, name: str, prefix: str, what: str) -> SecretStr:
    """``token`` if it looks like ``what`` (starts with ``prefix``), else a one-line error."""
    if token is None:
        raise SettingsError(f"{name} is not set ({what}, {prefix}…; see slack-manifest.yml)")
    value = token.get_secret_value()
    if not value.startswith(prefix):
        raise SettingsError(f"{name} must be {what}, starting with {prefix} (check for a swap)")
    if any(c.isspace() for c in value) or len(value) < SLACK_TOKEN_MIN:
        raise SettingsError(f"{name} does not look like {what} (check for a typo)")
    return token


def _shards(
    count_text: str | None, ids_text: str | None
) -> tuple[int | None, tuple[int, ...] | None]:
    """``SHARD_COUNT`` and ``SHARD_IDS`` checked together: (count, this process's ids)."""
    if count_text is None:
        if ids_text is not None:
            raise SettingsError(
                "SHARD_IDS is set but SHARD_COUNT is not: set SHARD_COUNT to the total"
                " number of shards across all processes"
            )
        return None, None
    if not _is_number(count_text) or not 1 <= int(count_text) <= MAX_SHARDS:
        raise SettingsError(
            f"SHARD_COUNT must be a whole number from 1 to {MAX_SHARDS}, got {count_text[:20]!r}"
        )
    count = int(count_text)
    if ids_text is None:
        return count, tuple(range(count))
    ids: list[int] = []
    for item in ids_text.split(","):
        item = item.strip()
        if not _is_number(item):
            raise SettingsError(
                f"SHARD_IDS must be shard numbers separated by commas (e.g. 0,1),"
                f" got {ids_text[:40]!r}"
            )
        shard = int(item)
        if shard >= count:
            raise SettingsError(
                f"SHARD_IDS lists shard {shard}, out of range for SHARD_COUNT={count}"
                f" (shards are 0 to {count - 1})"
            )
        if shard in ids:
            raise SettingsError(f"SHARD_IDS lists shard {shard} twice")
        ids.append(shard)
    return count, tuple(ids)


def log_level_number(settings: Settings) -> int:
    """The ``logging`` level for ``LOG_LEVEL``."""
    return int(logging.getLevelName(settings.log_level))


def _is_number(text: str) -> bool:
    """Plain ASCII digits only (``str.isdigit`` also accepts "²", which ``int`` refuses)."""
    return text.isascii() and text.isdigit()
