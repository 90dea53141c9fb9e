"""``python -m bot slack`` runs the reminder loop by itself: a real process, on a database
where a Slack learner's reminder and the workspace's daily question are due, sends
the DM and posts the question on its own schedule, then stops cleanly on SIGTERM.

The due rows are written before the process starts, through the services on a clock
a few minutes behind the real one (the process reads the real time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import FakeClock
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.decks import DeckLibrary
from bot.services.daily import DailyQuestionService
from bot.services.reminders import ReminderService
from bot.storage import DatabaseURL, Store
from tests.conftest import SHIPPED_DECK
from tests.e2e_slack.test_slack_process import database_setting
from tests.fakeslack import FakeSlack, build_workspace
from tests.fakeslack.process import start_app_process, stop_app_process
from tests.reminder_helpers import add_learner


async def test_the_app_process_sends_due_reminders_and_the_daily_question_itself(
    slack_fake: FakeSlack,
    store: Store,
    database_url: DatabaseURL,
    library: DeckLibrary,
) -> None:
    world = build_workspace(slack_fake)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    earlier = FakeClock(now - timedelta(minutes=3))
    # A zone where it is around noon now, so a local midnight never falls in between.
    offset = 12 - now.hour
    zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-2 is UTC+2
    local = ZoneInfo(zone)
    due_at = (now - timedelta(minutes=1)).astimezone(local).strftime("%H:%M")
    alice = Identity(Platform.SLACK, world.learner.id)
    await add_learner(store, alice, earlier(), zone=zone)
    await ReminderService(store, earlier).set_time(alice, due_at)
    daily = DailyQuestionService(store, library, CardScheduler(), earlier)
    workspace = Identity(Platform.SLACK, slack_fake.team_id)
    await daily.configure(workspace, slack_fake.general.id, due_at, zone, SHIPPED_DECK)

    process = await start_app_process(slack_fake, database=database_setting(database_url))
    try:
        reminder = await slack_fake.wait_dm(world.learner, timeout=30)
        assert "due for review" in reminder.text and reminder.labels == ["Start review"]
        post = await slack_fake.wait_until(
            lambda: next(
                (
                    m
                    for m in slack_fake.channel_messages(slack_fake.general)
                    if "Question of the day" in m.text
                ),
                None,
            ),
            timeout=45,
            what="the daily question",
        )
        assert post.ephemeral_to is None and len(post.labels) >= 2
    finally:
        code = await stop_app_process(process)
    assert code == 0
    settings = await ReminderService(store, FakeClock(now)).settings(alice)
    assert settings is not None and settings.time == due_at  # sent, still on
    assert len(slack_fake.dm_messages(world.learner)) == 1
