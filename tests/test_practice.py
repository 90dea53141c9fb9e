"""``python -m bot practice DECK`` driven as a real process through a pipe.

The processes run on SQLite; the main flows run on PostgreSQL too (``DATABASE_URL``
naming a new, empty database that the first run migrates).
"""

from __future__ import annotations

import asyncio
import io
import os
import select
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.errors import NothingReason, NothingToStudy
from bot.practice import Terminal, describe_error, describe_interval
from bot.storage import DatabaseURL, PostgresURL, SQLiteURL, open_store
from bot.storage.script import execute, rows
from tests.conftest import CONTENT_DIR, REPO_ROOT, SHIPPED_DECK, START

# --count 3 in a mixed session: a flashcard, an MCQ, an explain card (interleaved).
THREE_CARDS = "\n".join(
    [
        "",  # Enter: reveal the flashcard
        "3",  # Good
        "b",  # ASGI: right (lower case is accepted)
        "",  # Enter: next card
        "WSGI is synchronous, ASGI is async and supports websockets",
        "",  # an empty line ends the explanation
        "",  # Enter: next card
    ]
)


def _env(tmp_path: Path, database_url: str | None = None) -> dict[str, str]:
    """A clean environment: no token, a database (in tmp_path by default), the repo's decks."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'recall.db'}",
        "CONTENT_DIR": str(CONTENT_DIR),
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONIOENCODING": "utf-8",
    }
    assert env["DATABASE_URL"].startswith(("sqlite:////", "postgresql://"))
    return env


def _practice(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "practice", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=env or _env(tmp_path),
        timeout=120,
        check=False,
    )


def _db_rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "recall.db") as conn:
        return conn.execute(sql).fetchall()


@dataclass(frozen=True)
class PracticeDatabase:
    """The database a practice process is given, and the test's own way into it."""

    url: str
    """``DATABASE_URL`` for the process."""
    database: DatabaseURL

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Every row of ``sql``, as tuples."""
        found = self._run(lambda: rows(sql))
        return [tuple(row) for row in found]

    def execute(self, sql: str) -> None:
        """Run one statement in a transaction of its own."""
        self._run(lambda: execute(sql), write=True)

    def _run(self, script: Callable[[], Any], *, write: bool = False) -> Any:
        async def run() -> Any:
            # migrate=False: the practice process made (or migrated) the schema.
            store = await open_store(self.database, migrate=False)
            try:
                return await (store.write if write else store.read)(script())
            finally:
                await store.close()

        return asyncio.run(run())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def practice_db(request: pytest.FixtureRequest, tmp_path: Path) -> PracticeDatabase:
    """A SQLite file in tmp_path, or a new, empty PostgreSQL database (never migrated:
    the practice process does it, as on a first run)."""
    if request.param == "sqlite":
        path = tmp_path / "recall.db"
        return PracticeDatabase(f"sqlite:///{path}", SQLiteURL(path))
    dsn = request.getfixturevalue("pg_databases")()
    return PracticeDatabase(dsn, PostgresURL(dsn))


def test_practice_session_then_a_second_run(tmp_path: Path, practice_db: PracticeDatabase) -> None:
    env = _env(tmp_path, practice_db.url)
    first = _practice(tmp_path, SHIPPED_DECK, "--count", "3", stdin=THREE_CARDS, env=env)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "Welcome to Recall!" in out
    assert "WSGI vs ASGI in Django: 3 cards (mixed)" in out
    assert "[1/3] Flashcard" in out
    assert "Good: +10 XP, next review in 10 minutes." in out
    assert "[2/3] Multiple choice" in out
    assert "✓ Right! +10 XP" in out
    assert "[3/3] Explain" in out
    assert "You got 2/5 concepts (+7 XP)" in out
    assert "Session: 2/3 right, +27 XP. Streak: 1 day (best 1, freezes 0)." in out
    assert "Next review in" in out
    assert "Traceback" not in first.stderr
    assert practice_db.rows("SELECT COUNT(*) FROM reviews") == [(3,)]
    # One learner, the terminal's, with one review per step of its one session.
    assert practice_db.rows("SELECT platform, external_id, xp FROM learners") == [
        ("terminal", "1", 27)
    ]
    assert practice_db.rows("SELECT session_id, step FROM reviews ORDER BY step") == [
        (session_id, step)
        for (session_id,) in practice_db.rows("SELECT id FROM quiz_sessions")
        for step in range(3)
    ]

    # A day passes for the cards: move every due date back, as time would.
    practice_db.execute("UPDATE card_states SET due = due - 86400")

    second = _practice(
        tmp_path, SHIPPED_DECK, "--kind", "mcq", "--count", "1", stdin="b\n\n", env=env
    )
    assert second.returncode == 0, second.stderr
    status = second.stdout.splitlines()[0]
    assert status.startswith("Streak: 1 day (best 1)")
    assert "3 cards due now" in status
    assert "27 XP" in status
    # The one due MCQ comes first, as a due review (Good 10 + 5 due bonus).
    assert "Which interface supports asynchronous communication in Django?" in second.stdout
    assert "✓ Right! +15 XP" in second.stdout
    assert "Session: 1/1 right, +15 XP." in second.stdout
    assert "Welcome" not in second.stdout


def test_unknown_deck(tmp_path: Path) -> None:
    result = _practice(tmp_path, "no-such-deck")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "No deck 'no-such-deck'" in output
    assert SHIPPED_DECK in output  # names the decks there are
    assert "Traceback" not in result.stderr


def test_q_quits_and_keeps_answers(tmp_path: Path, practice_db: PracticeDatabase) -> None:
    result = _practice(
        tmp_path,
        SHIPPED_DECK,
        "--kind",
        "mcq",
        "--count",
        "3",
        stdin="b\n\nq\n",
        env=_env(tmp_path, practice_db.url),
    )
    assert result.returncode == 0, result.stderr
    assert "Stopped. Your answers so far are saved." in result.stdout
    assert "Session: 1/1 right, +10 XP." in result.stdout
    assert practice_db.rows("SELECT card_id, correct FROM reviews") == [("async-interface", 1)]
    assert practice_db.rows("SELECT status, answered FROM quiz_sessions") == [("finished", 1)]


def test_end_of_input_stops_like_q(tmp_path: Path) -> None:
    result = _practice(tmp_path, SHIPPED_DECK, "--kind", "flashcard", stdin="\n4\n")
    assert result.returncode == 0, result.stderr
    assert "Stopped." in result.stdout
    assert "Session: 1/1 right, +12 XP." in result.stdout


def test_invalid_choice_is_asked_again(tmp_path: Path) -> None:
    result = _practice(tmp_path, SHIPPED_DECK, "--kind", "mcq", "--count", "1", stdin="Z\n7\nb\n\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Please answer with one of the choices shown") == 2
    assert "Session: 1/1 right" in result.stdout


@pytest.mark.parametrize("count", ["0", "51"])
def test_count_out_of_range(tmp_path: Path, count: str) -> None:
    result = _practice(tmp_path, SHIPPED_DECK, "--count", count)
    assert result.returncode == 2
    assert "--count must be between 1 and 50" in result.stderr
    assert not (tmp_path / "recall.db").exists()


def test_q_at_an_explain_prompt_stops_without_a_review(tmp_path: Path) -> None:
    result = _practice(tmp_path, SHIPPED_DECK, "--kind", "explain", "--count", "1", stdin="q\n")
    assert result.returncode == 0, result.stderr
    assert "Stopped. Your answers so far are saved." in result.stdout
    assert "You got" not in result.stdout  # not graded as an answer
    assert _db_rows(tmp_path, "SELECT COUNT(*) FROM reviews") == [(0,)]


def test_ctrl_c_while_waiting_for_input_exits_at_once(tmp_path: Path) -> None:
    # Ctrl-C used to wait for Enter, then print ~50 lines of traceback.
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "practice", SHIPPED_DECK, "--kind", "flashcard"],
        stdin=subprocess.PIPE,  # held open and never written: the read blocks
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        shown = b""
        while b"Press Enter to reveal the answer" not in shown:
            ready, _, _ = select.select([process.stdout], [], [], 60)
            assert ready, f"no prompt; output so far: {shown!r}"
            chunk = os.read(process.stdout.fileno(), 4096)
            assert chunk, f"output ended before the prompt: {shown!r}"
            shown += chunk
        process.send_signal(signal.SIGINT)
        # A generous guard against a hang, not a timing verdict.
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    lines = err.decode().strip().splitlines()
    assert lines == ["Interrupted. Your answers so far are saved."]


def test_long_text_is_wrapped_to_the_terminal(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "COLUMNS": "40"}
    result = _practice(
        tmp_path, SHIPPED_DECK, "--kind", "mcq", "--count", "1", stdin="b\n\n", env=env
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 40, [line for line in lines if len(line) > 40]
    # The question is folded and keeps its indent; words stay whole.
    question = "Which interface supports asynchronous communication in Django?"
    start = next(i for i, line in enumerate(lines) if line.startswith("  Which"))
    folded = [line for line in lines[start : start + 3] if line.startswith("  ")]
    assert " ".join(line.strip() for line in folded).startswith(question)


def test_wrap_keeps_indent_and_short_lines() -> None:
    term = Terminal(io.StringIO(), io.StringIO(), echo=False, width=20)
    assert term.wrap("short\n  also short") == "short\n  also short"
    assert term.wrap("    A) one two three four five") == "    A) one two three\n    four five"


def test_describe_interval() -> None:
    assert describe_interval(START, START) == "now"
    assert describe_interval(START, START - timedelta(days=1)) == "now"
    assert describe_interval(START, START + timedelta(minutes=1)) == "in 1 minute"
    assert describe_interval(START, START + timedelta(minutes=10)) == "in 10 minutes"
    assert describe_interval(START, START + timedelta(hours=5)) == "in 5 hours"
    assert describe_interval(START, START + timedelta(days=8)) == "in 8 days"


def test_terminal_words_for_the_engines_errors() -> None:
    assert describe_error(NothingToStudy(NothingReason.NO_MATCH)) == (
        "No cards match that deck and kind."
    )
    assert describe_error(NothingToStudy(NothingReason.BAD_COUNT, limit=50)) == (
        "The count must be between 1 and 50."
    )
    assert describe_error(NothingToStudy(NothingReason.NO_SUCH_DECK, deck_id="nope")) == (
        "There is no deck called 'nope'."
    )
    assert "/quiz" not in describe_error(NothingToStudy(NothingReason.NOTHING_DUE))
