"""/quiz-admin progress shows what the class will remember; the export has the same
per-learner figures (the real bot against the fake Discord)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fsrs import Card, Scheduler, State

from bot.core.learner import Identity, Platform
from bot.storage.codec import from_epoch
from tests.e2e.harness import Recall, answer_mcqs, field_named, field_names

FIELD = "What the class will remember · WSGI vs ASGI in Django"
FSRS = Scheduler()


async def fsrs_recall_of(recall: Recall, user_id: int | None = None) -> list[float]:
    """fsrs's own retrievability now of each stored card (of one Discord user if given)."""
    sql = (
        "SELECT s.stability, s.last_review FROM card_states s"
        " JOIN learners l ON l.id = s.learner_id"
    )
    found = await (
        recall.sql(sql + " WHERE l.external_id = ?", str(user_id))
        if user_id is not None
        else recall.sql(sql)
    )
    now = recall.clock()
    return [
        float(
            FSRS.get_card_retrievability(
                Card(
                    card_id=0,
                    state=State.Review,
                    stability=r["stability"],
                    last_review=from_epoch(r["last_review"]),
                ),
                now,
            )
        )
        for r in found
    ]


async def test_progress_shows_predicted_recall_due_reviews_and_who_is_overdue(
    recall: Recall,
) -> None:
    hall = recall.hall
    await answer_mcqs(recall, hall.learner, right=3, wrong=2)
    recall.clock.advance(timedelta(days=3))
    await answer_mcqs(recall, hall.learner2, right=2, wrong=0)
    # Another server's learner, the most overdue of all, is in no view of this one.
    stranger = recall.fake.add_member(hall.guild, "stranger").user
    await answer_mcqs(recall, stranger, right=1, wrong=0, guild_id=555)
    recall.clock.advance(timedelta(days=25))

    reply = await recall.fake.slash(hall.moderator, "quiz-admin progress")
    message = await reply.wait_done()
    assert message is not None and message.ephemeral
    assert FIELD in field_names(message)
    text = field_named(message, FIELD)
    print(text)  # the reply, for the report (pytest -s)
    here = await fsrs_recall_of(recall, hall.learner.id) + await fsrs_recall_of(
        recall, hall.learner2.id
    )
    service = (
        await recall.running.reports.class_progress(
            Identity(Platform.DISCORD, str(hall.guild.id)), None
        )
    ).memory[0]
    assert service.recall is not None and abs(service.recall - sum(here) / len(here)) < 0.01
    first, due, *rest = text.splitlines()
    assert first == f"Predicted recall today **{service.recall:.0%}** over 7 studied cards"
    assert due.startswith("Due now **7** · next 7 days **0**")  # all seven are overdue
    assert rest[0] == "Most overdue:"
    # Alice's cards were due first (she studied three days earlier).
    assert rest[1].startswith(f"- <@{hall.learner.id}> · recall ")
    assert rest[2].startswith(f"- <@{hall.learner2.id}> · recall ")
    assert "5 cards due" in rest[1] and "2 cards due" in rest[2]
    assert str(stranger.id) not in text
    assert len(rest) == 3


async def test_progress_of_a_class_that_just_studied(recall: Recall) -> None:
    await answer_mcqs(recall, recall.hall.learner, right=1, wrong=0)
    reply = await recall.fake.slash(
        recall.hall.moderator, "quiz-admin progress", {"deck": "django-wsgi-asgi"}
    )
    message = await reply.wait_done()
    assert message is not None
    lines = field_named(message, FIELD).splitlines()
    assert lines[0] == "Predicted recall today **100%** over 1 studied card"
    assert lines[2] == "Nobody is overdue."


async def test_export_has_each_learners_memory_columns(recall: Recall) -> None:
    hall = recall.hall
    await answer_mcqs(recall, hall.learner, right=2, wrong=1)
    recall.clock.advance(timedelta(days=9))
    reply = await recall.fake.slash(hall.moderator, "quiz-admin export")
    message = await reply.wait_done()
    assert message is not None
    [attachment] = message.attachments
    rows = list(csv.DictReader(io.StringIO(attachment.content.decode("utf-8-sig"))))
    [alice] = rows
    assert list(alice)[-5:] == ["cards", "recall", "due_now", "due_7d", "overdue_days"]
    mine = await fsrs_recall_of(recall, hall.learner.id)
    assert alice["cards"] == "3"
    assert alice["recall"] == f"{sum(mine) / len(mine):.4f}"
    assert alice["due_now"] == "3"  # nine days on, all three are due
    assert alice["due_7d"] == "0"
    assert int(alice["overdue_days"]) >= 1
