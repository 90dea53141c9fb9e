"""Explain grading speed (``python -m bench.grading_bench``): answers of 4,000 characters.

Each row grades one answer, cut to Discord's 4,000-character modal limit, against the
shipped deck's explain card "explain-differences" (with its prompt and hint), as the
session rules do; it prints the median and 95th percentile of ``repeats`` runs. The
target (issue 14) is under 5 ms. This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bench.e2e_bench import machine
from bench.grading_report import explain_cards
from bot.core.grading import MAX_ANSWER_CHARS, grade_explain

SALAD = "async websocket gunicorn event loop concurrency long-lived connection uvicorn "
PROSE = (
    "WSGI is synchronous: each worker handles one request at a time. ASGI is asynchronous, "
    "so an event loop serves many requests concurrently; it keeps WebSockets open. "
)
HEDGED = "Is it about async? Maybe websockets? WSGI does not use an event loop, I guess. "

CASES: dict[str, Callable[[], str]] = {
    "keyword salad": lambda: SALAD * 60,
    "honest prose": lambda: PROSE * 30,
    "hedges and negations": lambda: HEDGED * 60,
    "one word repeated": lambda: "async " * 1000,
    "commas only": lambda: "async, " * 700,
}


def main(argv: list[str] | None = None) -> int:
    """Print one row per case: characters, median and p95 milliseconds."""
    parser = argparse.ArgumentParser(prog="python -m bench.grading_bench")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    card = explain_cards()["explain-differences"]
    print(machine())
    print("| answer (4,000 chars) | chars | median ms | p95 ms |")
    print("| --- | --- | --- | --- |")
    for name, build in CASES.items():
        answer = build()[:MAX_ANSWER_CHARS]
        timings = []
        for _ in range(args.repeats):
            began = time.perf_counter()
            grade_explain(answer, card.concepts, prompt=card.prompt, hint=card.hint or "")
            timings.append((time.perf_counter() - began) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"| {name} | {len(answer)} | {statistics.median(timings):.2f} | {p95:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
