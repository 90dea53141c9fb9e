"""``communities.ensure``: a known community is read, never written or locked.

Every answer's foreign key check holds a share lock on its community's row until the
answer commits. An ``ensure`` that upserted the row would take the row's exclusive
lock, so each session starting in a class would queue behind every answer in
flight there, and the answers behind it (the PostgreSQL bench's slow start: all
learners start at once). Both backends.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.core.learner import Identity, Platform
from bot.storage import Store, communities
from bot.storage.script import value
from bot.storage.sqlite_store import SQLiteStore

GUILD = Identity(Platform.DISCORD, "4242")


@asynccontextmanager
async def refusing_writes(store: Store) -> AsyncIterator[None]:
    """Make the store's reads unable to write (PostgreSQL's reads are READ ONLY already)."""
    if not isinstance(store, SQLiteStore):
        yield
        return

    def query_only(on: bool) -> Callable[[sqlite3.Connection], object]:
        return lambda conn: conn.execute(f"PRAGMA query_only = {int(on)}")

    await store.call(query_only(True))
    try:
        yield
    finally:
        await store.call(query_only(False))


async def test_a_known_community_is_found_without_writing(store: Store) -> None:
    known = await store.write(communities.ensure(GUILD))
    async with refusing_writes(store):
        assert await store.read(communities.ensure(GUILD)) == known


async def test_a_new_community_is_created_once_by_concurrent_first_uses(store: Store) -> None:
    ids = await asyncio.gather(*(store.write(communities.ensure(GUILD)) for _ in range(8)))
    assert len(set(ids)) == 1
    assert await store.read(communities.find(GUILD)) == ids[0]
    count = await store.read(
        value("SELECT COUNT(*) FROM communities WHERE external_id = ?", GUILD.external_id)
    )
    assert count == 1
