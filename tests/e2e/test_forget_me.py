"""After /quiz forget-me no table holds anything of the learner: a walk of the whole schema.

The walk reads the tables from the catalogue (``sqlite_master``,
``information_schema``), so a table added later is covered without touching this
test: every table with a learner column must have held rows of the learner
before (extend the setup below if a new table is not reached), and none after,
while the other learner's rows all stay.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import cast

from bot.core.learner import Identity, Platform
from bot.services.study import Where
from bot.storage.script import Dialect
from cogs.reminders import Reminders
from tests.e2e.harness import Recall, embed, labels
from tests.fakediscord.models import FakeUser

USER_COLUMN = re.compile(r"(^|_)(user|owner|learner|member|author)s?_id$")


async def _tables(recall: Recall) -> list[str]:
    """Every table of the bot's database (either backend)."""
    if recall.running.store.dialect is Dialect.SQLITE:
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = (
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    return sorted(str(row["name"]) for row in await recall.sql(query))


async def _columns(recall: Recall, table: str) -> list[str]:
    if recall.running.store.dialect is Dialect.SQLITE:
        found = await recall.sql(f"SELECT name FROM pragma_table_info('{table}')")
    else:
        found = await recall.sql(
            "SELECT column_name AS name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = ?",
            table,
        )
    return [str(row["name"]) for row in found]


async def _user_columns(recall: Recall) -> dict[str, list[str]]:
    """Every table with a learner column (learners' own ``id`` included), and those columns."""
    found: dict[str, list[str]] = {}
    for table in await _tables(recall):
        columns = await _columns(recall, table)
        users = [c for c in columns if USER_COLUMN.search(c)]
        if table == "learners":
            users.append("id")
        if users:
            found[table] = users
    return found


async def _rows_of(recall: Recall, table: str, columns: list[str], learner_id: int) -> int:
    where = " OR ".join(f"{c} = ?" for c in columns)
    [row] = await recall.sql(
        f"SELECT COUNT(*) FROM {table} WHERE {where}", *([learner_id] * len(columns))
    )
    return int(row[0])


async def _anywhere(recall: Recall, discord_id: int) -> list[str]:
    """Every table.column holding the Discord id, whatever the column's name: as the
    whole value, or inside a text (an identity such as ``discord:<id>``)."""
    hits = []
    for table in await _tables(recall):
        for column in await _columns(recall, table):
            [row] = await recall.sql(
                f"SELECT COUNT(*) FROM {table} WHERE CAST({column} AS TEXT) LIKE ?",
                f"%{discord_id}%",
            )
            if row[0]:
                hits.append(f"{table}.{column}")
    return hits


async def _use_everything(recall: Recall, user: FakeUser) -> None:
    """Sessions in the server and in a DM, a zone, a reminder sent, a daily answer, a
    channel game started, answered and stopped."""
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
    study = recall.running.study
    who = Identity(Platform.DISCORD, str(user.id))
    dm = await study.start(who, Where(community=None, channel=None), count=1)
    await study.view(dm.session.id)
    await recall.slash(user, "quiz remind set", {"time": "13:05"})
    game = (await recall.slash(user, "quiz game", {"deck": "django-wsgi-asgi"})).message()
    assert game is not None
    await recall.click(user, game, labels(game)[0])
    await recall.click(user, game, "Stop game")


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
    [post] = [
        m
        for m in recall.fake.messages_in(hall.channel)
        if m.embeds and not m.ephemeral and embed(m).get("title") == "Question of the day"
    ]
    for user in (alice, bob):
        await recall.click(user, post, labels(post)[0])
    recall.clock.advance(timedelta(hours=1))  # past 13:05 in Paris: the reminder is sent
    await cog.loop.reminder_tick(drain=True)

    tables = await _user_columns(recall)
    assert {"learners", "reviews", "daily_answers", "reminder_sends"} <= set(tables)
    alice_id, bob_id = await recall.learner_id(alice), await recall.learner_id(bob)
    assert alice_id is not None and bob_id is not None
    before = {t: await _rows_of(recall, t, c, alice_id) for t, c in tables.items()}
    missing = sorted(t for t, n in before.items() if n == 0)
    assert missing == [], f"extend _use_everything so that Alice has rows in {missing}"
    bobs = {t: await _rows_of(recall, t, c, bob_id) for t, c in tables.items()}

    ask = await recall.slash(alice, "quiz forget-me")
    confirm = ask.message()
    assert confirm is not None
    await recall.click(alice, confirm, "Delete all my data")
    assert "deleted" in confirm.content

    after = {t: await _rows_of(recall, t, c, alice_id) for t, c in tables.items()}
    assert after == dict.fromkeys(tables, 0)
    assert await _anywhere(recall, alice.id) == []
    assert {t: await _rows_of(recall, t, c, bob_id) for t, c in tables.items()} == bobs
    row = await recall.sql_one("SELECT answers FROM daily_posts")
    assert row is not None and row[0] == 1  # Bob's answer is the one left
    assert embed(post)["title"] == "Question of the day"


async def test_forget_me_clears_a_moderators_uploads_without_a_learner_row(
    recall: Recall,
) -> None:
    """A moderator who uploaded a deck but never studied: forget-me finds data (their id
    as the deck's uploader), clears it, and the deck stays for the server."""
    hall = recall.hall
    upload = recall.fake.upload("vocab.csv", b"front,back\nhola,hello\n")
    sent = await recall.fake.slash(hall.moderator, "quiz-admin deck upload", {"file": upload})
    assert await sent.wait_done(timeout=30) is not None
    assert await recall.learner_id(hall.moderator) is None
    assert "server_decks.uploaded_by" in await _anywhere(recall, hall.moderator.id)

    ask = await recall.slash(hall.moderator, "quiz forget-me")
    confirm = ask.message()
    assert confirm is not None
    await recall.click(hall.moderator, confirm, "Delete all my data")
    assert "deleted" in confirm.content and "no data" not in confirm.content
    assert await _anywhere(recall, hall.moderator.id) == []
    row = await recall.sql_one("SELECT deck_id, source IS NOT NULL FROM server_decks")
    assert row is not None and row[0] == "vocab" and row[1]
