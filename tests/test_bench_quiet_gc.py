"""bench.quiet_gc: no collection of the harness's heap during a timed load, and only then."""

from __future__ import annotations

import gc

from bench.quiet_gc import frozen_heap


def test_the_heap_is_frozen_during_the_block_and_unfrozen_after() -> None:
    survivor = [object() for _ in range(10)]
    with frozen_heap():
        assert gc.get_freeze_count() >= len(survivor)
        assert not gc.isenabled()
        # a full collection inside scans only what the block allocated
        assert gc.collect() >= 0
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    assert len(survivor) == 10
