"""Where the benches keep their files: a temporary folder removed after every bench.

The storage and query benches each build a database of a million reviews (about
300 MB each). They used to cache those in the system temp folder across runs,
which left 632 MB behind after ``make bench --quick``. Now every bench works in
its own temporary folder, removed when the bench ends: normally, on an error, on
Ctrl-C, and on SIGTERM (which ``python -m bench`` sends a bench it gives up on).

To keep the generated databases between runs (rebuilding them takes minutes),
name a folder in ``RECALL_BENCH_DATA``: it is used as is and never removed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

KEEP_ENV = "RECALL_BENCH_DATA"
"""A folder to keep the benches' generated databases in, across runs."""

CHILD_GRACE_SECONDS = 30.0
"""How long a bench gets to clean up after SIGTERM before it is killed."""


@contextlib.contextmanager
def bench_dir(prefix: str = "recall-bench-") -> Iterator[Path]:
    """A new temporary folder, removed with everything in it when the block ends.

    Also on an exception, Ctrl-C or SIGTERM: SIGTERM is turned into ``SystemExit``
    for the duration of the block so that the removal runs.
    """
    with _sigterm_exits(), tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


@contextlib.contextmanager
def data_dir(prefix: str = "recall-bench-") -> Iterator[Path]:
    """The folder for generated databases: ``RECALL_BENCH_DATA`` if set, else a ``bench_dir``."""
    kept = os.environ.get(KEEP_ENV, "").strip()
    if kept:
        folder = Path(kept)
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with bench_dir(prefix) as folder:
        yield folder


def run_child(command: Sequence[str]) -> int:
    """Run one bench process and return its exit code; never leave it running.

    If waiting is interrupted (Ctrl-C, an error), the child gets SIGTERM and time
    to remove its temporary folder, then SIGKILL.
    """
    with subprocess.Popen(command) as child:
        try:
            return child.wait()
        except BaseException:
            stop_child(child)
            raise


def stop_child(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM, a grace period to clean up, then SIGKILL."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=CHILD_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    try:
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
