"""``python -m tests.fakeslack demo``: a real ``python -m bot slack`` process against the fake.

Starts the fake Slack on 127.0.0.1, starts the Slack app as its own process with
the settings a user would put in ``.env`` (pointing at the fake), runs one
flashcard session as a learner (``/quiz start``, then Reveal answer and Good on
the DM message until the summary), and prints every interaction with the time
the app took to acknowledge it (Slack's limit is 3 seconds) and to show its result.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from .fixtures import build_workspace
from .process import APP_TOKEN, BOT_TOKEN, start_app_process, stop_app_process
from .server import FakeSlack
from .session_driver import run_session


async def demo(cards: int = 5) -> int:
    """Run the by-hand check and print the table."""
    fake = FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    world = build_workspace(fake)
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            process = await start_app_process(fake, database=Path(tmp) / "recall.db")
            try:
                run = await run_session(fake, world.learner, f"start kind:flashcard count:{cards}")
            finally:
                code = await stop_app_process(process)
    finally:
        await fake.stop()
    print(f"{'#':>3}  {'interaction':<14} {'acknowledged after':>18} {'shown after':>12}")
    for number, step in enumerate(run.steps, 1):
        print(
            f"{number:>3}  {step.action:<14} {step.ack_seconds * 1000:>15.1f} ms"
            f" {step.done_seconds * 1000:>9.1f} ms"
        )
    slowest = max((s.ack_seconds for s in run.steps), default=0.0)
    problems = fake.problems()
    print(
        f"\n{len(run.steps)} interactions, slowest ack {slowest * 1000:.1f} ms (Slack's limit:"
        f" 3000 ms); session finished: {run.finished}; mentions or stray acks: {len(problems)};"
        f" app exit code {code}"
    )
    for problem in problems:
        print(f"  {problem}")
    return 0 if run.finished and slowest < 3.0 and not problems and code == 0 else 1


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakeslack")
    parser.add_argument("command", choices=["demo"])
    parser.add_argument("--cards", type=int, default=5)
    args = parser.parse_args()
    return asyncio.run(demo(args.cards))


if __name__ == "__main__":
    sys.exit(main())
