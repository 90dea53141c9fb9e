"""The coalescing edit pacer (bot.edit_pacer), with a fake clock and sleep."""

from __future__ import annotations

import asyncio

from bot.edit_pacer import EditPacer


class FakeTime:
    """A monotonic clock that only moves when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_a_burst_of_pokes_before_the_first_refresh_makes_one() -> None:
    fake = FakeTime()
    seen: list[tuple[float, int]] = []
    state = {"count": 0}

    async def refresh(key: str) -> None:
        seen.append((fake.now, state["count"]))

    pacer: EditPacer[str] = EditPacer(refresh, interval=1.0, sleep=fake.sleep)
    for _ in range(200):
        state["count"] += 1
        pacer.poke("m")
    await pacer.drain()
    # The first poke refreshed at once (seeing the whole burst, which came before it
    # ran); nothing was pending after it, so there is no second refresh.
    assert seen == [(0.0, 200)]
    assert not pacer.busy


async def test_pokes_during_the_interval_coalesce_into_one_refresh_after_it() -> None:
    fake = FakeTime()
    seen: list[tuple[float, int]] = []
    state = {"count": 0}
    started = asyncio.Event()
    release = asyncio.Event()

    async def refresh(key: str) -> None:
        seen.append((fake.now, state["count"]))
        if len(seen) == 1:
            started.set()
            await release.wait()

    pacer: EditPacer[str] = EditPacer(refresh, interval=1.0, sleep=fake.sleep)
    state["count"] = 1
    pacer.poke("m")
    await started.wait()
    for _ in range(50):  # while the first edit is in flight
        state["count"] += 1
        pacer.poke("m")
    release.set()
    await pacer.drain()
    assert seen == [(0.0, 1), (1.0, 51)]
    assert fake.sleeps == [1.0, 1.0]  # after each refresh, however long it took


async def test_keys_are_paced_independently() -> None:
    fake = FakeTime()
    seen: list[str] = []

    async def refresh(key: str) -> None:
        seen.append(key)

    pacer: EditPacer[str] = EditPacer(refresh, interval=1.0, sleep=fake.sleep)
    pacer.poke("a")
    pacer.poke("b")
    await pacer.drain()
    assert sorted(seen) == ["a", "b"]


async def test_a_failed_refresh_is_retried_and_loses_nothing() -> None:
    fake = FakeTime()
    seen: list[int] = []
    state = {"count": 3, "fail": 2}

    async def refresh(key: str) -> None:
        if state["fail"]:
            state["fail"] -= 1
            raise RuntimeError("429 for too long")
        seen.append(state["count"])

    pacer: EditPacer[str] = EditPacer(refresh, interval=1.0, sleep=fake.sleep)
    pacer.poke("m")
    await pacer.drain()
    assert seen == [3]
    assert pacer.failures == 2 and pacer.refreshes == 3


async def test_a_refresh_that_keeps_failing_is_given_up() -> None:
    fake = FakeTime()

    async def refresh(key: str) -> None:
        raise RuntimeError("message deleted")

    pacer: EditPacer[str] = EditPacer(refresh, interval=1.0, max_failures=3, sleep=fake.sleep)
    pacer.poke("m")
    await pacer.drain()
    assert pacer.refreshes == 3
    assert not pacer.busy


async def test_the_interval_counts_from_the_end_of_a_slow_refresh() -> None:
    fake = FakeTime()
    edits: list[float] = []

    async def refresh(key: str) -> None:
        fake.now += 0.8  # a slow read before the edit request
        edits.append(fake.now)
        if len(edits) == 1:
            pacer.poke("m")  # an answer came in meanwhile

    pacer: EditPacer[str] = EditPacer(refresh, interval=1.0, sleep=fake.sleep)
    pacer.poke("m")
    await pacer.drain()
    assert edits == [0.8, 2.6]  # the two edit requests are 1 s + the read apart
