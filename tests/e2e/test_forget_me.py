"""After /quiz forget-me no table holds anything of the learner: a walk of the whole schema.

The walk reads the tables from ``sqlite_master``, so a table added later is covered
without touching this test: every table with a user column must have held rows of
the learner before (extend the setup below if a new table is not reached), and none
after, while the other learner's rows all stay.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import cast

from bot.storage import Database
from cogs.reminders import Reminders
from tests.e2e.harness import Recall, embed, labels
from tests.fakediscord.models import FakeUser

USER_COLUMN = re.compile(r"(^|_)(user|owner|learner|member|author)s?_id$")


async def _user_columns(db: Database) -> dict[str, list[str]]:
    """Every table with a user-id-like column, and those columns."""
    tables = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: dict[str, list[str]] = {}
    for table in tables:
        name = str(table["name"])
        columns = await db.fetchall(f"PRAGMA table_info({name})")
        users = [str(c["name"]) for c in columns if USER_COLUMN.search(str(c["name"]))]
        if users:
            found[name] = users
    return found


async def _rows_of(db: Database, table: str, columns: list[str], user_id: int) -> int:
    where = " OR ".join(f"{c} = ?" for c in columns)
    row = await db.fetchone(
        f"SELECT COUNT(*) FROM {table} WHERE {where}", (user_id,) * len(columns)
    )
    assert row is not None
    return int(row[0])


async def _anywhere(db: Database, user_id: int) -> list[str]:
    """Every table.column holding ``user_id`` as a value, whatever the column's name."""
    hits = []
    tables = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for table in tables:
        name = str(table["name"])
        for column in await db.fetchall(f"PRAGMA table_info({name})"):
            col = str(column["name"])
            row = await db.fetchone(
                f"SELECT COUNT(*) FROM {name} WHERE {col} = ? OR {col} = ?",
                (user_id, str(user_id)),
            )
            if row is not None and row[0]:
                hits.append(f"{name}.{col}")
    return hits


async def _use_everything(recall: Recall, user: FakeUser) -> None:
    """Sessions in the server and in a DM, a zone, a reminder sent, a daily answer."""
    await recall.slash(user, "quiz timezone", {"zone": "Europe/Paris"})
    start = await recall.slash(user, "quiz start", {"kind": "flashcard", "count": 1})
    message = start.message()
    assert message is not None
    await recall.click(user, message, "Reveal answer")
    await recall.click(user, message, "Again")  # due again in a minute: a reminder is owed
    concept = await recall.slash(user, "quiz start", {"kind": "explain", "count": 1})
    explain = concept.message()
    assert explain is not None
    opened = await recall.click(user, explain, "Write my answer")
    assert opened.modal is not None
    [input_id] = opened.modal.text_inputs
    sent = await recall.fake.submit_modal(
        user, opened.modal.custom_id, {input_id: "nothing useful"}, message=explain
    )
    await sent.response()
    engine = recall.running.engine
    dm = await engine.start(user_id=user.id, guild_id=None, channel_id=None, count=1)
    await engine.view(dm.session.id)
    await recall.slash(user, "quiz remind set", {"time": "13:05"})


async def test_forget_me_leaves_nothing_of_the_learner(recall: Recall) -> None:
    hall = recall.hall
    alice, bob = hall.learner, hall.learner2
    await recall.slash(
        hall.moderator,
        "quiz-admin daily set",
        {"channel": hall.channel, "time": "12:10", "zone": "UTC"},
    )
    for user in (alice, bob):
        await _use_everything(recall, user)
    cog = cast(Reminders, recall.running.get_cog("Reminders"))
    recall.clock.advance(timedelta(minutes=11))
    await cog.loop.daily_tick()
    [post] = [m for m in recall.fake.messages_in(hall.channel) if m.embeds and not m.ephemeral]
    for user in (alice, bob):
        await recall.click(user, post, labels(post)[0])
    recall.clock.advance(timedelta(hours=1))  # past 13:05 in Paris: the reminder is sent
    await cog.loop.reminder_tick(drain=True)

    db = recall.running.db
    tables = await _user_columns(db)
    assert {"learners", "reviews", "daily_answers", "reminder_sends"} <= set(tables)
    before = {t: await _rows_of(db, t, c, alice.id) for t, c in tables.items()}
    missing = sorted(t for t, n in before.items() if n == 0)
    assert missing == [], f"extend _use_everything so that Alice has rows in {missing}"
    bobs = {t: await _rows_of(db, t, c, bob.id) for t, c in tables.items()}

    ask = await recall.slash(alice, "quiz forget-me")
    confirm = ask.message()
    assert confirm is not None
    await recall.click(alice, confirm, "Delete all my data")
    assert "deleted" in confirm.content

    after = {t: await _rows_of(db, t, c, alice.id) for t, c in tables.items()}
    assert after == dict.fromkeys(tables, 0)
    assert await _anywhere(db, alice.id) == []
    assert {t: await _rows_of(db, t, c, bob.id) for t, c in tables.items()} == bobs
    row = await db.fetchone("SELECT answers FROM daily_posts")
    assert row is not None and row[0] == 1  # Bob's answer is the one left
    assert embed(post)["title"] == "Question of the day"
