"""``python -m bot practice DECK``: study a deck in the terminal with the real engine.

It uses the same storage, scheduling, grading and streaks as the Discord bot,
so deck authors can try their cards and anyone can try Recall without a token.
Input is read line by line, so a session can be driven from a pipe.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from bot.core.clock import Clock
from bot.core.errors import NothingReason, NothingToStudy, RecallError
from bot.core.grading import Grade
from bot.core.learner import Identity, Platform
from bot.core.session import Phase, SessionKind
from bot.core.streaks import view as streak_view
from bot.core.timezones import local_date, parse_zone
from bot.decks import ExplainCard, FlashCard, McqCard
from bot.services.learners import LearnerService
from bot.services.study import StepView, StudyService, Where

TERMINAL = Identity(Platform.TERMINAL, "1")
"""The one learner the terminal studies as (learner 1 of the first release's database)."""
HERE = Where(community=None, channel=None)

LETTERS = "ABCDE"
GRADE_KEYS = {"1": Grade.AGAIN, "2": Grade.HARD, "3": Grade.GOOD, "4": Grade.EASY}
MIN_WIDTH = 20
"""Narrower terminals are wrapped as if 20 columns wide, to keep words whole."""
GRADE_NAMES = {Grade.AGAIN: "Again", Grade.HARD: "Hard", Grade.GOOD: "Good", Grade.EASY: "Easy"}


class Quit(Exception):
    """The learner typed q or the input ended."""


class Terminal:
    """Line-based input and output over two text streams, wrapped to the terminal's width."""

    def __init__(
        self,
        stdin: TextIO,
        stdout: TextIO,
        *,
        echo: bool | None = None,
        width: int | None = None,
    ) -> None:
        self._in = stdin
        self._out = stdout
        # Piped input is not shown by a terminal: echo it so the transcript reads well.
        self._echo = (not _isatty(stdin)) if echo is None else echo
        # COLUMNS wins, then the terminal's own size, else 80 (shutil's order).
        self._width = max(width or shutil.get_terminal_size((80, 24)).columns, MIN_WIDTH)

    def wrap(self, text: str) -> str:
        """``text`` with each line wider than the terminal folded, keeping its indent.

        Deck text is written as long lines; a terminal would otherwise break
        words at its edge and lose the indent that shows what belongs to a card.
        """
        lines: list[str] = []
        for line in text.split("\n"):
            if len(line) <= self._width:
                lines.append(line)
                continue
            body = line.lstrip(" ")
            indent = " " * min(len(line) - len(body), self._width // 2)
            lines += textwrap.wrap(
                body,
                self._width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_on_hyphens=False,
            ) or [line[: self._width]]
        return "\n".join(lines)

    def _read(self) -> str:
        line = self._in.readline()
        if self._echo and line:
            self._out.write(line if line.endswith("\n") else line + "\n")
        return line

    def say(self, text: str = "") -> None:
        """Print a line (wrapped)."""
        self._out.write(self.wrap(text) + "\n")
        self._out.flush()

    def ask(self, prompt: str) -> str:
        """Print a prompt and read one line; ``q`` or end of input quits."""
        # The input goes after the prompt's last line; keep its trailing space.
        self._out.write(self.wrap(prompt.rstrip(" ")) + (" " if prompt.endswith(" ") else ""))
        self._out.flush()
        line = self._read()
        if not line:
            self._out.write("\n")
            raise Quit()
        answer = line.rstrip("\n")
        if _is_quit(answer):
            raise Quit()
        return answer

    def ask_choice(self, prompt: str, valid: Callable[[str], bool]) -> str:
        """Ask until the answer passes ``valid``."""
        while True:
            answer = self.ask(prompt).strip()
            if valid(answer):
                return answer
            self.say("  Please answer with one of the choices shown (q quits).")

    def ask_paragraph(self, prompt: str) -> str:
        """Read lines until an empty line or the end of input; a line ``q`` quits.

        The banner says q stops, so it does here too rather than being graded
        as an answer.
        """
        self.say(prompt)
        lines: list[str] = []
        while True:
            self._out.write("> ")
            self._out.flush()
            line = self._read()
            if not line or not line.strip():
                if not line:
                    self._out.write("\n")
                return "\n".join(lines)
            if _is_quit(line):
                raise Quit()
            lines.append(line.rstrip("\n"))


def _is_quit(line: str) -> bool:
    return line.strip().lower() in {"q", "quit"}


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def describe_interval(now: datetime, due: datetime) -> str:
    """A short human interval like 'in 10 minutes' or 'in 3 days'."""
    seconds = max(0, int((due - now).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"in {n} {unit}{'s' if n != 1 else ''}"
    return "now" if seconds < 30 else "in 1 minute"


def describe_error(error: RecallError) -> str:
    """The terminal's words for an engine error."""
    if isinstance(error, NothingToStudy):
        if error.reason is NothingReason.NO_MATCH:
            return "No cards match that deck and kind."
        if error.reason is NothingReason.BAD_COUNT:
            return f"The count must be between 1 and {error.limit}."
        if error.reason is NothingReason.NO_SUCH_DECK:
            return f"There is no deck called '{error.deck_id}'."
    return f"That cannot be done now ({error})."


async def run_practice(
    study: StudyService,
    learners: LearnerService,
    deck_id: str,
    *,
    kind: SessionKind,
    count: int,
    term: Terminal,
    clock: Clock,
) -> int:
    """Run one terminal session; return the process exit code."""
    deck = study.decks.get(deck_id)
    if deck is None:
        known = ", ".join(d.id for d in study.decks.all()) or "none"
        term.say(f"No deck '{deck_id}'. Decks: {known}")
        return 2
    await _show_status(learners, term, clock())
    try:
        step = await study.start(TERMINAL, HERE, deck_id=deck_id, kind=kind, count=count)
    except RecallError as exc:
        term.say(describe_error(exc))
        return 1
    term.say(f"{deck.title}: {step.total} cards ({kind}). Type q to stop.\n")
    try:
        while not step.finished:
            step = await _play_step(study, step, term, clock)
    except Quit:
        term.say("Stopped. Your answers so far are saved.")
        step = await study.stop(TERMINAL, step.session.id, step.session.position)
    summary = step.summary
    assert summary is not None  # a finished session has its summary
    term.say("")
    term.say(
        f"Session: {summary.correct}/{summary.answered} right, +{summary.xp} XP. "
        f"Streak: {summary.streak.current} day{'s' if summary.streak.current != 1 else ''}"
        f" (best {summary.streak.best}, freezes {summary.streak.freezes})."
    )
    if summary.next_due:
        term.say(f"Next review {describe_interval(clock(), summary.next_due)}.")
    return 0


async def _show_status(learners: LearnerService, term: Terminal, now: datetime) -> None:
    standing = await learners.standing(TERMINAL)
    learner, due = standing.learner, standing.due_now
    if learner is None:
        term.say("Welcome to Recall! Your progress is saved between runs.")
        return
    today = local_date(now, parse_zone(learner.time_zone))
    streak = streak_view(learner.streak, today)
    term.say(
        f"Streak: {streak.current} day{'s' if streak.current != 1 else ''}"
        f" (best {learner.streak.best}) · {due} card{'s' if due != 1 else ''} due now"
        f" · {learner.xp} XP"
    )


async def _play_step(study: StudyService, step: StepView, term: Terminal, clock: Clock) -> StepView:
    record = step.session
    card = step.card
    sid, uid, pos = record.id, TERMINAL, record.position
    header = f"[{step.number}/{step.total}]"
    if card is None:
        term.say(f"{header} (this card was removed from its deck; skipping)")
        return await study.next(uid, sid, pos)
    if isinstance(card, FlashCard):
        term.say(f"{header} Flashcard · {card.level}\n  {card.front}")
        if record.phase is Phase.QUESTION:
            term.ask("  Press Enter to reveal the answer ")
            step = await study.reveal(uid, sid, pos)
        term.say(f"  {card.back}")
        key = term.ask_choice(
            "  How well did you know it? 1 Again · 2 Hard · 3 Good · 4 Easy > ",
            lambda a: a in GRADE_KEYS,
        )
        grade = GRADE_KEYS[key]
        after = await study.grade_flashcard(uid, sid, pos, grade)
        result = after.result
        if result:
            term.say(
                f"  {GRADE_NAMES[grade]}: +{result.xp} XP, next review "
                f"{describe_interval(clock(), result.due)}.\n"
            )
        return after
    if isinstance(card, McqCard):
        term.say(f"{header} Multiple choice · {card.level}\n  {card.question}")
        for letter, option in zip(LETTERS, card.options, strict=False):
            term.say(f"    {letter}) {option}")
        valid = LETTERS[: len(card.options)]
        key = term.ask_choice(
            f"  Your answer ({valid[0]}-{valid[-1]}) > ",
            lambda a: len(a) == 1 and a.upper() in valid,
        )
        after = await study.answer_mcq(uid, sid, pos, valid.index(key.upper()), None)
        result = after.result
        if result:
            right = f"{LETTERS[card.answer_index]}) {card.answer}"
            mark = "✓ Right!" if result.correct else f"✗ Not quite. The answer is {right}."
            term.say(f"  {mark} +{result.xp} XP\n  {card.explanation}")
        term.ask("  Press Enter for the next card ")
        return await study.next(uid, sid, pos)
    assert isinstance(card, ExplainCard)
    term.say(f"{header} Explain · {card.level}\n  {card.prompt}")
    if card.hint:
        term.say(f"  Hint: {card.hint}")
    text = term.ask_paragraph("  Write your answer; finish with an empty line.")
    after = await study.answer_explain(uid, sid, pos, text)
    result = after.result
    if result:
        covered = sum(1 for _, ok in result.concepts if ok)
        term.say(f"  You got {covered}/{len(result.concepts)} concepts (+{result.xp} XP)")
        for name, ok in result.concepts:
            term.say(f"    {'✓' if ok else '✗'} {name}")
        term.say(f"  Model answer: {card.model_answer}")
    term.ask("  Press Enter for the next card ")
    return await study.next(uid, sid, pos)
