"""Keep the harness's own garbage collections out of a timed load.

The e2e benches run the fake Discord and every learner in the bench's own process,
which records every payload and keeps each run's results: its heap grows run after
run, and a full collection (generation 2) of it took up to 2.8 s in the middle of a
load. Every interaction in flight then waited for the harness, and was counted late
against the bot (all 57 late acknowledgements of one run's first shard load came in
the 0.1 s after such a pause; the bare bot had a 2.1 s one). The bot processes do the
same for their own heap (``gc.freeze()`` after start-up in ``bot/client.py``).

Before a load, :func:`frozen_heap` collects once and freezes what survives, so that
the collections during the load scan only what the load itself allocates; after
it, the heap is unfrozen, so that whatever the load left behind can be freed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Collect, then freeze the surviving heap for the block (see the module docstring)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


__all__ = ["frozen_heap"]
