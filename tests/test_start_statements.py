"""The statements a session start is made of, merged on PostgreSQL, the same on both.

``learners.ensure_in`` (the learner and the community) and ``sessions.open_new``
(first-session check, closing the open sessions, the new row) are one statement each
on PostgreSQL and several on SQLite; both backends must give the same results.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.learner import Identity, Platform
from bot.core.session import QueueItem, SessionKind, Status
from bot.storage import Store, communities, learners, sessions
from bot.storage.script import Script
from tests.conftest import START

ALICE = Identity(Platform.DISCORD, "111")
GUILD = Identity(Platform.DISCORD, "4242")
QUEUE = [QueueItem("deck", "c1")]


async def test_ensure_in_gives_the_learner_and_the_community(store: Store) -> None:
    first, place = await store.write(learners.ensure_in(ALICE, START, GUILD))
    assert place is not None  # created on first use
    again, same = await store.write(learners.ensure_in(ALICE, START, GUILD))
    assert (again.id, same) == (first.id, place)
    assert await store.read(communities.find(GUILD)) == place
    alone, none = await store.write(learners.ensure_in(ALICE, START, None))
    assert (alone.id, none) == (first.id, None)


def _open(learner_id: int, channel: str, *, finish: bool = False) -> Script[tuple[int, bool]]:
    at = START + timedelta(minutes=1)
    close = (
        sessions.finish_statement(learner_id, at)
        if finish
        else sessions.abandon_statement(learner_id, channel, at)
    )
    state, had_any = yield from sessions.open_new(
        close=close,
        learner_id=learner_id,
        community_id=None,
        channel=channel,
        deck_id="deck",
        kind=SessionKind.FLASHCARD,
        queue=QUEUE,
        now=at,
    )
    assert state.status is Status.ACTIVE and state.queue == tuple(QUEUE)
    return state.id, had_any


async def test_open_new_closes_the_open_sessions_and_says_if_it_is_the_first(
    store: Store,
) -> None:
    learner = await store.write(learners.ensure(ALICE, START))
    one, had_before_one = await store.write(_open(learner.id, "a"))
    assert not had_before_one  # the welcome for a first session
    two, had_before_two = await store.write(_open(learner.id, "b"))
    three, _ = await store.write(_open(learner.id, "a"))  # replaces one, in its channel
    states = {n: await store.read(sessions.load(n)) for n in (one, two, three)}
    assert had_before_two
    assert {n: s.status for n, s in states.items() if s} == {
        one: Status.ABANDONED,
        two: Status.ACTIVE,
        three: Status.ACTIVE,
    }
    four, _ = await store.write(_open(learner.id, "c", finish=True))  # ends all others
    after = {n: await store.read(sessions.load(n)) for n in (two, three, four)}
    assert {n: s.status for n, s in after.items() if s} == {
        two: Status.FINISHED,
        three: Status.FINISHED,
        four: Status.ACTIVE,
    }
