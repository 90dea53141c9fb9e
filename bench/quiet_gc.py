"""Keep the harness's own garbage collections out of a timed load.

The e2e benches run the fake Discord and every learner in the bench's own process,
which records every payload and keeps each run's results: its heap grows run after
run, and a full collection (generation 2) of it took up to 2.8 s in the middle of a
load. Every interaction in flight then waited for the harness, and was counted late
against the bot (all 57 late acknowledgements of one run's first shard load came in
the 0.1 s after such a pause; the bare bot had a 2.1 s one). The bot processes do the
same for their own heap (``gc.freeze()`` after start-up in ``bot/client.py``).

Before a load, :func:`frozen_heap` collects once, freezes what survives and turns
the collector off for the load (even a collection of only what the load allocates
took 0.25 to 1.8 s in a 10 s load); after it, the collector is on again and the
heap unfrozen, so that whatever the load left behind is freed between loads.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Collect, freeze the surviving heap and pause the collector for the block."""
    gc.collect()
    gc.freeze()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.unfreeze()


__all__ = ["frozen_heap"]
