"""``make bench`` / ``python -m bench [--quick]``: every benchmark, one after another.

In order: the end-to-end load (Recall's process vs a bare discord.py bot, which
also gives the bot's peak memory at 400 concurrent sessions), storage at scale
(answer writes and due-card selection at 1,000,000 reviews vs empty), the
moderator views and leaderboard at scale (``bench.queries_bench``), the reminder
pipeline (``bench.reminders_bench``), hostile deck files (``bench.decks_bench``),
deck imports (``bench.imports_bench``), explain grading of 4,000-character
answers (``bench.grading_bench``) and a channel game's round answered by 200
members within 2 s (``bench.games_bench``).
Each runs as its own process, so one's memory and caches never colour another's
figures, and each prints its own tables with the machine's cores and Python
version. ``--quick`` gives shorter runs for a smoke check. Each removes its
temporary files when it ends, also on failure (``bench.workdir``).
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.workdir import run_child

QUICK_ARGS = {
    "bench.e2e_bench": ["--quick"],
    "bench.storage_bench": ["--quick"],
    "bench.queries_bench": ["--repeats", "5"],
    "bench.reminders_bench": ["--learners", "2000"],
    "bench.decks_bench": ["--repeats", "1"],
    "bench.imports_bench": ["--repeats", "1"],
    "bench.grading_bench": ["--repeats", "20"],
    "bench.games_bench": ["--database", "sqlite"],
}
BENCHES = tuple(QUICK_ARGS)


def main(argv: list[str] | None = None) -> int:
    """Run every bench in sequence; the exit code is the first failure's, else 0."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs of every bench")
    parser.add_argument(
        "--only", choices=BENCHES, action="append", help="run only these (repeatable)"
    )
    args = parser.parse_args(argv)
    failed = 0
    for module in args.only or BENCHES:
        command = [sys.executable, "-m", module, *(QUICK_ARGS[module] if args.quick else [])]
        print(f"\n===== {' '.join(command[1:])}", flush=True)
        began = time.monotonic()
        # Each bench removes its temporary folder when it ends; on Ctrl-C here it is
        # stopped with SIGTERM so that it still does.
        code = run_child(command)
        print(f"===== {module}: exit {code} after {time.monotonic() - began:.0f} s", flush=True)
        failed = failed or code
    return failed


if __name__ == "__main__":
    sys.exit(main())
