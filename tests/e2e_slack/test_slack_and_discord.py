"""The Discord bot and the Slack app at the same time on one database: each serves its
own learners (a Slack user and a Discord user are different learners), clicks
interleaved, and neither sees the other's sessions."""

from __future__ import annotations

from pathlib import Path

from bot.core.learner import Identity, Platform
from bot.storage.script import rows
from tests.e2e.harness import Recall, labels, recall_settings
from tests.e2e_slack.harness import SlackRecall
from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import StudyHall


async def test_both_front_ends_on_one_database(
    slack_recall: SlackRecall,
    fake_discord: FakeDiscord,
    study_hall: StudyHall,
    slack_content: Path,
) -> None:
    settings = recall_settings(fake_discord, study_hall, slack_recall.database, slack_content)
    discord = Recall(fake_discord, study_hall, settings, slack_recall.clock)
    await discord.start()
    try:
        d_alice = study_hall.learner
        s_alice = slack_recall.world.learner
        start = await discord.slash(d_alice, "quiz start", {"kind": "flashcard", "count": 1})
        d_card = start.message()
        assert d_card is not None
        _, s_card = await slack_recall.start_session(s_alice, "start kind:flashcard count:1")

        # Interleaved clicks, each front end on its own learner's session.
        await discord.click(d_alice, d_card, "Reveal answer")
        s_card = await slack_recall.click(s_alice, s_card, "Reveal answer")
        await discord.click(d_alice, d_card, "Good")
        s_card = await slack_recall.click(s_alice, s_card, "Easy")
        assert labels(d_card) == ["Start another"]  # Discord's summary
        assert "Session complete" in s_card.all_text()

        learners = await discord.sql("SELECT platform, external_id FROM learners ORDER BY platform")
        assert [(r["platform"], r["external_id"]) for r in learners] == [
            ("discord", str(d_alice.id)),
            ("slack", s_alice.id),
        ]
        for who in (
            Identity(Platform.DISCORD, str(d_alice.id)),
            Identity(Platform.SLACK, s_alice.id),
        ):
            stats = await slack_recall.ctx.reports.learner_stats(who)
            assert stats.reviews == 1
        # The Slack session belongs to the workspace, the Discord one to the server.
        store = slack_recall.engine.store if slack_recall.engine else None
        assert store is not None
        communities = await store.read(
            rows("SELECT platform, external_id FROM communities ORDER BY platform")
        )
        assert [(r["platform"], r["external_id"]) for r in communities] == [
            ("discord", str(study_hall.guild.id)),
            ("slack", slack_recall.fake.team_id),
        ]
    finally:
        await discord.stop()
        fake_discord.assert_no_pings()
