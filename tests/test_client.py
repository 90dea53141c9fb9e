"""``bot.client``: the logging a host sees."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.client import configure_logging
from bot.settings import load_settings


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger and APScheduler's logger back as they were."""
    root = logging.getLogger()
    scheduler = logging.getLogger("apscheduler")
    saved = (root.level, list(root.handlers), scheduler.level)
    try:
        yield
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        scheduler.setLevel(saved[2])


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(
    ("log_level", "expected"),
    [("INFO", logging.WARNING), ("WARNING", logging.WARNING), ("ERROR", logging.ERROR)],
)
def test_scheduler_runs_are_not_logged_at_info(log_level: str, expected: int) -> None:
    # An idle bot logged ~5,700 "Running job" / "executed successfully" lines a day.
    configure_logging(load_settings({"LOG_LEVEL": log_level}, env_file=None))
    assert logging.getLogger("apscheduler").getEffectiveLevel() == expected
    executor = logging.getLogger("apscheduler.executors.default")
    assert not executor.isEnabledFor(logging.INFO)
    assert logging.getLogger("bot.reminder_loop").isEnabledFor(expected)


@pytest.mark.usefixtures("restore_logging")
def test_debug_shows_the_scheduler_too() -> None:
    configure_logging(load_settings({"LOG_LEVEL": "DEBUG"}, env_file=None))
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.DEBUG)
