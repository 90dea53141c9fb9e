"""``python -m bot``: check, the no-token help, and configuration errors."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import NO_TOKEN_HELP, main
from tests.conftest import CONTENT_DIR, REPO_ROOT

BROKEN_DECKS = REPO_ROOT / "tests" / "data" / "decks" / "broken"


def _bot(cwd: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` with a clean environment (no DISCORD_TOKEN inherited)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONIOENCODING": "utf-8",
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_check_shipped_content_passes(tmp_path: Path) -> None:
    result = _bot(tmp_path, "check", str(CONTENT_DIR))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("OK")


def test_check_uses_content_dir(tmp_path: Path) -> None:
    result = _bot(tmp_path, "check", CONTENT_DIR=str(CONTENT_DIR))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 deck OK" in result.stdout


def test_check_from_the_repo_root_defaults_to_content() -> None:
    result = _bot(REPO_ROOT, "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_reports_broken_decks_one_line_each(tmp_path: Path) -> None:
    folder = tmp_path / "decks"
    shutil.copytree(BROKEN_DECKS, folder)
    result = _bot(tmp_path, "check", str(folder))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    problems, summary = lines[:-1], lines[-1]
    assert problems
    for line in problems:
        path, line_number, card_id, _message = line.split(":", 3)
        assert Path(path).parent == folder
        assert line_number.isdigit()
        assert card_id.strip()
    assert "problem" in summary


def test_no_token_prints_help_and_exits_1(tmp_path: Path) -> None:
    result = _bot(tmp_path)
    assert result.returncode == 1
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "practice" in result.stderr
    assert result.stderr.strip() == NO_TOKEN_HELP
    assert "Traceback" not in result.stderr
    run = _bot(tmp_path, "run")
    assert run.returncode == 1
    assert "practice" in run.stderr


def test_no_token_never_reaches_the_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.client

    def refuse(*args: object, **kwargs: object) -> int:
        raise AssertionError("tried to connect without a token")

    monkeypatch.setattr(bot.client, "run_bot", refuse)
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main([]) == 1
    assert "practice" in capsys.readouterr().err


def test_no_token_does_not_import_discord(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from bot.__main__ import main\n"
        "code = main([])\n"
        "print('discord loaded' if 'discord' in sys.modules else 'discord not loaded')\n"
        "sys.exit(code)\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.strip() == "discord not loaded"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOG_LEVEL", "LOUD"),
        ("DATABASE_URL", "mysql://localhost/recall"),
        ("DEV_GUILD_ID", "general"),
        ("DESIRED_RETENTION", "2"),
    ],
)
def test_bad_setting_exits_2_with_one_line(tmp_path: Path, name: str, value: str) -> None:
    result = _bot(tmp_path, **{name: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert lines[0].startswith("Configuration error:")


def test_bad_setting_in_env_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=LOUD\n", encoding="utf-8")
    result = _bot(tmp_path)
    assert result.returncode == 2
    assert "LOG_LEVEL" in result.stderr


def test_bad_token_is_not_echoed(tmp_path: Path) -> None:
    token = "MTIzNDU2Nzg5MDEy NDU2Nzg.secret-part-of-the-token"
    result = _bot(tmp_path, DISCORD_TOKEN=token)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert "secret-part-of-the-token" not in result.stderr + result.stdout


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = _bot(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("run", "check", "practice"):
        assert command in result.stdout


# Start-up failures: each is one clear line and a non-zero exit, never a traceback.

VALID_LOOKING_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.not-a-real-token-0123456789"


@pytest.fixture
def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": VALID_LOOKING_TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'recall.db'}",
        "CONTENT_DIR": str(CONTENT_DIR),
        "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/",
        **extra,
    }


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one ERROR line of a failed start; at most one INFO line may precede it."""
    assert result.returncode == 1, result.stderr
    output = (result.stdout + result.stderr).strip().splitlines()
    assert "Traceback" not in result.stderr
    errors = [line for line in output if "ERROR" in line]
    assert len(errors) == 1, output
    assert len(output) <= 2, output  # discord.py's "logging in" line at most
    return errors[0]


def test_unreachable_discord_is_one_line(tmp_path: Path, closed_port: int) -> None:
    result = _bot(tmp_path, **_start_env(tmp_path, closed_port))
    line = _one_error_line(result)
    assert f"Cannot reach Discord at http://127.0.0.1:{closed_port}/api/v10" in line
    assert VALID_LOOKING_TOKEN not in result.stdout + result.stderr


def test_database_that_cannot_be_created_is_one_line(tmp_path: Path, closed_port: int) -> None:
    env = _start_env(tmp_path, closed_port, DATABASE_URL="sqlite:////proc/recall/recall.db")
    result = _bot(tmp_path, **env)
    line = _one_error_line(result)
    assert "Database error (DATABASE_URL): cannot create the folder /proc/recall" in line
    assert "logging in" not in result.stderr  # checked before connecting


def test_read_only_database_is_one_line(tmp_path: Path, closed_port: int) -> None:
    db = tmp_path / "data" / "recall.db"
    db.parent.mkdir()
    sqlite3.connect(db).close()
    # Root ignores file modes, so make the file immutable instead where that is allowed.
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(db)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip("cannot make a file read-only here (root without chattr)")
    else:
        db.chmod(0o444)
    try:
        line = _one_error_line(_bot(tmp_path, **_start_env(tmp_path, closed_port)))
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(db)], check=False)
    assert "Database error (DATABASE_URL):" in line
    assert "readonly database" in line


def test_missing_content_dir_stops_start_up(tmp_path: Path, closed_port: int) -> None:
    env = _start_env(tmp_path, closed_port, CONTENT_DIR=str(tmp_path / "no-such-folder"))
    result = _bot(tmp_path, **env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Configuration error: CONTENT_DIR {tmp_path / 'no-such-folder'} is not a folder of decks"
    ]
    assert not (tmp_path / "data").exists()  # stopped before anything else


def test_malformed_token_does_not_block_check_or_practice(tmp_path: Path) -> None:
    bad = {"DISCORD_TOKEN": "not a token", "CONTENT_DIR": str(CONTENT_DIR)}
    check = _bot(tmp_path, "check", **bad)
    assert check.returncode == 0, check.stderr
    assert "1 deck OK" in check.stdout
    db = {"DATABASE_URL": f"sqlite:///{tmp_path / 'recall.db'}"}
    practice = subprocess.run(
        [sys.executable, "-m", "bot", "practice", "django-wsgi-asgi", "--kind", "mcq"],
        input="q\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO_ROOT), **bad, **db},
        timeout=120,
        check=False,
    )
    assert practice.returncode == 0, practice.stderr
    assert "Stopped." in practice.stdout
    # The bot itself still refuses it, in one line.
    run = _bot(tmp_path, **bad)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "Configuration error: DISCORD_TOKEN does not look like a bot token (check for a typo)"
    ]
