"""SIGKILL the bot process in the middle of concurrent sessions, then restart it.

Nothing the learner was told is lost: every answer Discord saw acknowledged is in
the review log exactly once, every stored session agrees with the review log, and
the buttons on messages sent before the crash keep working.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

from tests.fakediscord import FakeDiscord, FakeMessage, FakeUser
from tests.fakediscord.__main__ import kill_bot_process, start_bot_process, stop_bot_process
from tests.fakediscord.interactions import APPLICATION_COMMAND
from tests.fakediscord.session_driver import continue_session, run_session
from tests.faults.conftest import Classroom, acknowledged_answers, read_rows

SESSION = {"kind": "flashcard", "count": 4}
KILL_AFTER = 24
"""Acknowledged answers (about three per learner) before the kill."""


async def _study(fake: FakeDiscord, user: FakeUser) -> None:
    """Flashcard sessions back to back, as fast as the bot answers, until cancelled."""
    while True:
        await run_session(fake, user, SESSION, timeout=60)


def _last_session_message(fake: FakeDiscord, user: FakeUser) -> FakeMessage | None:
    """The message of the learner's latest /quiz start that the bot answered."""
    starts = [
        inter
        for inter in fake.interactions.values()
        if inter.type == APPLICATION_COMMAND and inter.user.id == user.id and inter.message()
    ]
    return starts[-1].message() if starts else None


def _check_database(db_path: Path, acknowledged: set[tuple[int, int]]) -> None:
    """Exactly-once answers and sessions consistent with the review log."""
    [integrity] = read_rows(db_path, "PRAGMA integrity_check")
    assert integrity[0] == "ok"
    logged = {
        (row["session_id"], row["step"]): row["n"]
        for row in read_rows(
            db_path, "SELECT session_id, step, COUNT(*) AS n FROM reviews GROUP BY 1, 2"
        )
    }
    missing = sorted(key for key in acknowledged if key not in logged)
    assert not missing, f"acknowledged answers missing from the review log: {missing}"
    assert all(n == 1 for n in logged.values()), "an answer was logged twice"

    for row in read_rows(db_path, "SELECT * FROM quiz_sessions"):
        answered = sum(1 for (sid, _step) in logged if sid == row["id"])
        steps = sorted(step for (sid, step) in logged if sid == row["id"])
        # Flashcard sessions grade and advance in one transaction: the position,
        # the answered count and the logged steps move together or not at all.
        assert row["answered"] == answered == row["position"], dict(row)
        assert steps == list(range(answered)), dict(row)
        queue = json.loads(row["queue"])
        finished = row["position"] >= len(queue)
        assert (row["status"] == "finished") == finished, dict(row)
        assert row["phase"] in ("question", "revealed"), dict(row)
    for learner in read_rows(
        db_path,
        "SELECT l.id, l.xp, COALESCE(SUM(r.xp), 0) AS logged_xp FROM learners l"
        " LEFT JOIN reviews r ON r.learner_id = l.id GROUP BY l.id",
    ):
        assert learner["xp"] == learner["logged_xp"], dict(learner)


async def test_sigkill_mid_load_loses_no_acknowledged_answer(
    classroom: Classroom, tmp_path: Path
) -> None:
    fake, guild = classroom.fake, classroom.hall.guild
    db_path = tmp_path / "recall.db"
    process = await start_bot_process(fake, guild.id, db_path)
    tasks: list[asyncio.Task[None]] = []
    try:
        tasks = [asyncio.create_task(_study(fake, user)) for user in classroom.learners]
        await fake.wait_until(
            lambda: len(acknowledged_answers(fake)) >= KILL_AFTER,
            timeout=60,
            what=f"{KILL_AFTER} acknowledged answers",
        )
        kill_bot_process(process)  # mid-load: other clicks are in flight right now
        await process.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        acknowledged = acknowledged_answers(fake)
        assert len(acknowledged) >= KILL_AFTER

        process = await start_bot_process(fake, guild.id, db_path)
        _check_database(db_path, acknowledged)

        resumed = 0
        for user in classroom.learners:
            message = _last_session_message(fake, user)
            assert message is not None
            run = await continue_session(fake, user, message, timeout=30)
            if run.notice is None:
                # The message was current: its buttons carried the session to the end.
                assert run.finished
                resumed += bool(run.timings)
            else:
                # The bot committed this click but died before updating the message,
                # so the message is one step behind: the click is refused cleanly and
                # records nothing. A new session works as usual.
                assert "already answered" in run.notice
                assert (await run_session(fake, user, SESSION, timeout=30)).finished
        assert resumed > 0, "no learner clicked a message sent before the kill"
        # The clicks after the restart were stored exactly once too.
        _check_database(db_path, acknowledged_answers(fake))
        assert await stop_bot_process(process) == 0
    finally:
        for task in tasks:
            task.cancel()
        kill_bot_process(process)
        with contextlib.suppress(ProcessLookupError):
            await process.wait()
