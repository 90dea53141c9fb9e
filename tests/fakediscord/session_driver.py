"""Drive full quiz sessions as a learner would, against a bot connected to the fake.

Used by ``python -m tests.fakediscord demo`` (a by-hand check of a real ``python -m bot``
process) and by the benchmarks. It reads the buttons on the message and clicks
what a learner would: Reveal answer, Good, the first option, Write my answer, Next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .interactions import CHANNEL_MESSAGE, Interaction
from .models import FakeGuild, FakeMessage, FakeUser
from .server import FakeDiscord

GRADES = ("Again", "Hard", "Good", "Easy")
EXPLANATION = (
    "ASGI is asynchronous with an event loop and handles websocket and long-lived "
    "connections; WSGI is synchronous, one request per worker, HTTP only."
)


@dataclass
class StepTiming:
    """One interaction of a session and how long the bot took to acknowledge it."""

    action: str
    seconds: float


@dataclass
class SessionRun:
    """The interactions of one session, in order."""

    timings: list[StepTiming] = field(default_factory=list)
    finished: bool = False
    #: Set when a click was answered with an ephemeral notice instead of an update
    #: (e.g. "That card was already answered." on a message that fell behind).
    notice: str | None = None


SUMMARY_BUTTONS = frozenset({"Review missed", "Start another"})
"""The summary's buttons: a session that shows only these is over."""


def _name(label: str) -> str:
    # A grade button carries its interval ("Good · 10m"): a learner reads "Good".
    name, _, _interval = label.partition(" · ")
    return name if name in GRADES else label


def _buttons(message: FakeMessage) -> dict[str, str]:
    """The buttons a learner would press, by name (Stop left out: a learner going
    through a whole session does not press it)."""
    return {
        _name(str(c.get("label"))): str(c["custom_id"])
        for c in message.iter_components()
        if c.get("type") == 2 and not c.get("disabled") and c.get("label") != "Stop"
    }


async def _timed(run: SessionRun, action: str, interaction: Interaction, timeout: float) -> int:
    callback = await interaction.response(timeout=timeout)
    run.timings.append(StepTiming(action, callback.elapsed))
    return callback.type


async def run_session(
    fake: FakeDiscord,
    user: FakeUser,
    options: dict[str, object] | None = None,
    *,
    grade: str = "Good",
    max_steps: int = 200,
    timeout: float = 10.0,
    guild: FakeGuild | None = None,
) -> SessionRun:
    """Run ``/quiz start`` with ``options`` (in ``guild``, default the first) to the summary."""
    run = SessionRun()
    start = await fake.slash(user, "quiz start", options or {}, guild=guild)
    await _timed(run, "/quiz start", start, timeout)
    # A start that took a while is deferred ("thinking") and completed by an edit: the
    # learner reads the message once it is, as Discord shows it.
    message = await start.wait_done(timeout=timeout)
    if message is None or not message.embeds:
        # Refused or answered without a session: what the learner read, for the bench.
        run.notice = message.content if message is not None else None
        return run
    return await continue_session(
        fake, user, message, run, grade=grade, max_steps=max_steps, timeout=timeout
    )


async def continue_session(
    fake: FakeDiscord,
    user: FakeUser,
    message: FakeMessage,
    run: SessionRun | None = None,
    *,
    grade: str = "Good",
    max_steps: int = 200,
    timeout: float = 10.0,
) -> SessionRun:
    """Click through the session shown on ``message`` (e.g. one sent before a restart).

    Stops at the summary, or at the first click answered with an ephemeral notice
    (kept in ``run.notice``) rather than an update of the message.
    """
    run = run or SessionRun()
    for _ in range(max_steps):
        buttons = _buttons(message)
        if not buttons or set(buttons) <= SUMMARY_BUTTONS:
            run.finished = str(message.embeds[0].get("title", "")).startswith("Session complete")
            return run
        if "Reveal answer" in buttons:
            label = "Reveal answer"
        elif grade in buttons:
            label = grade
        elif "Next" in buttons:
            label = "Next"
        elif "Write my answer" in buttons:
            opened = await fake.click(user, message, buttons["Write my answer"])
            await _timed(run, "Write my answer", opened, timeout)
            assert opened.modal is not None, "Write my answer did not open a modal"
            [input_id] = opened.modal.text_inputs
            sent = await fake.submit_modal(
                user, opened.modal.custom_id, {input_id: EXPLANATION}, message=message
            )
            await _timed(run, "modal answer", sent, timeout)
            continue
        else:
            label = next(iter(buttons))  # an option button of a multiple-choice card
        clicked = await fake.click(user, message, buttons[label])
        action = "option" if label not in (*GRADES, "Reveal answer", "Next") else label
        if await _timed(run, action, clicked, timeout) == CHANNEL_MESSAGE:
            reply = await clicked.wait_done(timeout=timeout)
            run.notice = reply.content if reply is not None else ""
            return run
        # A deferred update is completed by an edit: wait for it before reading buttons.
        await clicked.wait_done(timeout=timeout)
    return run
