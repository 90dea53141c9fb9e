"""One learner's flashcard session through the fake Slack, step by step, with timings.

Used by the Slack bench and usable by end-to-end tests: ``/quiz start ...``, then
on the session's DM message **Reveal answer** and a grade until the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import FakeMessage, FakeUser
from .server import FakeSlack

GRADES = ("Again", "Hard", "Good", "Easy")


@dataclass
class Step:
    """One interaction: what was done, envelope → ack and envelope → visible result
    (seconds on the fake's clock; for reports and benches, never for assertions)."""

    action: str
    ack_seconds: float
    done_seconds: float


@dataclass
class SessionRun:
    """A whole session as a learner lived it."""

    steps: list[Step] = field(default_factory=list)
    message: FakeMessage | None = None
    finished: bool = False

    @property
    def answers(self) -> int:
        """How many grade clicks."""
        return sum(1 for s in self.steps if s.action in GRADES)


def has_button(message: FakeMessage, label: str) -> bool:
    """True if ``message`` shows a button ``label`` (or ``label · …``)."""
    return any(text == label or text.startswith(label + " · ") for text in message.labels)


async def run_session(
    slack: FakeSlack,
    user: FakeUser,
    text: str = "start kind:flashcard count:5",
    *,
    grade: str = "Good",
    command: str = "/quiz",
    timeout: float = 30.0,
) -> SessionRun:
    """Run ``/quiz text`` as ``user`` and click through to the summary.

    The session's message is the first DM message the app posts after the
    command; each click waits for that message to change (``chat.update``).
    """
    run = SessionRun()
    start = await slack.command(user, command, text, timeout=timeout)
    message = await start.wait_dm(timeout=timeout)
    assert start.envelope.sent_at is not None
    run.steps.append(
        Step("start", start.ack_seconds or 0.0, slack.clock() - start.envelope.sent_at)
    )
    run.message = message
    while True:
        if has_button(message, "Reveal answer"):
            label = "Reveal answer"
        elif has_button(message, grade):
            label = grade
        else:
            run.finished = True
            return run
        click = await slack.click(user, message, label, timeout=timeout)
        await click.wait_update(timeout=timeout)
        assert click.envelope.sent_at is not None
        run.steps.append(
            Step(label, click.ack_seconds or 0.0, slack.clock() - click.envelope.sent_at)
        )
