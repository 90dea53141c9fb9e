"""How a quiz step looks in Slack: Block Kit blocks (and the fallback text) for a
``StepView``, the explain modal, the end-of-session summary.

Every piece of deck text goes through :mod:`slackapp.escape`; labels are the SPEC's
(Reveal answer; Again, Hard, Good, Easy; ``A · text`` cut to 75 characters; Next;
Show hint; Write my answer; Stop). Slack cannot disable a button, so an answered
multiple-choice card shows the choice in its text and offers Next alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from bot.core.custom_ids import StartSpec
from bot.core.errors import SessionOpen
from bot.core.grading import Grade
from bot.core.scheduling import short_interval
from bot.core.session import Phase, StepResult, option_fingerprint
from bot.decks import ExplainCard, FlashCard, McqCard
from bot.phrases import summary_title
from bot.services.reports import card_excerpt
from bot.services.study import SessionSummary, StepView
from slackapp.escape import chunks, escape, fit
from slackapp.ids import (
    ANSWER_BLOCK,
    ANSWER_INPUT,
    modal_callback,
    quiz_action,
    resume_action,
    start_new_action,
    summary_action,
)
from slackapp.words import plural, relative

Block = dict[str, Any]

LETTERS: Final = "ABCDE"
BUTTON_TEXT_MAX: Final = 75
"""Slack's limit on a button's text."""
SECTION_MAX: Final = 3000
"""Slack's limit on a section's text."""
HEADER_MAX: Final = 150
FALLBACK_MAX: Final = 300
MODAL_TITLE: Final = "Explain it"
PLACEHOLDER_MAX: Final = 150
ANSWER_MAX: Final = 4000
GRADE_BUTTONS: Final[tuple[tuple[Grade, str, str | None], ...]] = (
    (Grade.AGAIN, "Again", "danger"),
    (Grade.HARD, "Hard", None),
    (Grade.GOOD, "Good", "primary"),
    (Grade.EASY, "Easy", None),
)
GRADE_NAMES: Final = {int(g): name for g, name, _ in GRADE_BUTTONS}
MISSED_SHOWN: Final = 10
"""Missed cards listed in a summary (the rest are counted)."""
MISSED_EXCERPT: Final = 90


def grade_label(name: str, interval: timedelta | None) -> str:
    """A grade button's text: ``Good · 3d``, or ``Good`` without a preview."""
    return name if interval is None else f"{name} · {short_interval(interval)}"


def option_label(index: int, option: str) -> str:
    """``A · WSGI``, escaped and cut to Slack's 75 characters."""
    return fit(f"{LETTERS[index]} · {option}", BUTTON_TEXT_MAX)


def button(text: str, action_id: str, style: str | None = None) -> Block:
    """A button with Recall's own ``text`` (escaped already, at most 75 characters)."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": action_id,
    }
    if style is not None:
        element["style"] = style
    return element


def sections(text: str) -> list[Block]:
    """``text`` (raw deck or user text) as escaped mrkdwn sections of 3,000 at most."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in chunks(text, SECTION_MAX)
        if piece
    ]


def labelled(label: str, text: str) -> list[Block]:
    """A bold ``label`` (Recall's words) over ``text`` (raw deck text)."""
    return sections_of(f"*{label}*", text)


def sections_of(prefix: str, text: str) -> list[Block]:
    """Sections of ``prefix`` (markup of Recall's own, unescaped) then ``text`` escaped."""
    pieces = chunks(text, SECTION_MAX - len(prefix) - 1)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"{prefix}\n{pieces[0]}"}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in pieces[1:] if p]
    return blocks


def context(text: str) -> Block:
    """A small grey line of Recall's own words (escaped already)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_MAX]}]}


def actions(elements: list[Block], block_id: str | None = None) -> Block:
    """A row of buttons."""
    block: Block = {"type": "actions", "elements": elements}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def render_step(step: StepView, now: datetime) -> tuple[str, list[Block]]:
    """The fallback text and the blocks for the session as it stands."""
    if step.finished:
        assert step.summary is not None
        title = summary_title(step.summary)
        return title, render_summary(step.summary, step.session.id, now)
    record = step.session
    sid, pos = record.id, record.position
    suffix = f" · card {step.number} of {step.total}"
    title = f"{step.deck_title or 'Quiz'}{suffix}"
    # The deck's title is what gets cut, so a long one never hides where you are.
    header = fit(step.deck_title or "Quiz", HEADER_MAX - len(suffix)) + suffix
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": header}}]
    fallback = fit(title, FALLBACK_MAX)
    stop = button("Stop", quiz_action(sid, pos, "stop"))
    card = step.card
    if card is None:
        blocks += sections("This card was removed from its deck since the quiz started.")
        blocks.append(actions([button("Next", quiz_action(sid, pos, "next"), "primary"), stop]))
        return fallback, blocks

    answered = record.phase is Phase.ANSWERED and step.result is not None
    row: list[Block] = []
    if isinstance(card, FlashCard):
        blocks += sections(card.front)
        if record.phase is Phase.QUESTION:
            row.append(button("Reveal answer", quiz_action(sid, pos, "reveal"), "primary"))
        else:
            blocks += labelled("Answer", card.back)
            previews = step.previews or {}
            for grade, label, style in GRADE_BUTTONS:
                text = grade_label(label, previews.get(grade))
                row.append(button(text, quiz_action(sid, pos, f"g{int(grade)}"), style))
    elif isinstance(card, McqCard):
        blocks += sections(card.question)
        result = step.result if answered else None
        labels = [option_label(i, option) for i, option in enumerate(card.options)]
        if any(label.endswith("…") for label in labels):
            # A label was cut: the options in full in the text, so every word is seen.
            listed = "\n".join(f"{LETTERS[i]} · {o}" for i, o in enumerate(card.options))
            blocks += sections(listed)
        if result is not None:
            right = f"{LETTERS[card.answer_index]} · {card.answer}"
            verdict = "✓ Correct!" if result.correct else "✗ Not quite."
            if result.choice is not None and not result.correct:
                chosen = f"{LETTERS[result.choice]} · {card.options[result.choice]}"
                blocks += sections_of(f"*{verdict}* You chose:", chosen)
            else:
                blocks += sections_of(f"*{verdict}*", "")
            blocks += sections_of("The answer is:", right)
            blocks += labelled("Why", card.explanation)
        else:
            for index, option in enumerate(card.options):
                action = f"o{index}{option_fingerprint(option)}"
                row.append(button(labels[index], quiz_action(sid, pos, action)))
    else:
        assert isinstance(card, ExplainCard)
        blocks += sections(card.prompt)
        if record.hint_shown and card.hint and not answered:
            blocks += labelled("Hint", card.hint)
        if answered and step.result is not None:
            blocks += _explain_result(card, step.result)
        else:
            if card.hint and not record.hint_shown:
                row.append(button("Show hint", quiz_action(sid, pos, "hint")))
            row.append(button("Write my answer", quiz_action(sid, pos, "write"), "primary"))
    if answered:
        row = [button("Next", quiz_action(sid, pos, "next"), "primary")]
    row.append(stop)
    blocks.append(actions(row))
    footer = f"{card.type} · {card.level}"
    if answered and step.result is not None:
        footer += f" · +{step.result.xp} XP"
        if until := _until(step.result, step.at):
            footer += f" · {until}"
    elif record.phase is Phase.QUESTION and step.result is not None and record.answered:
        footer += " · " + _previous(step.result, step.at)
    blocks.append(context(footer))
    return fallback, blocks


def _until(result: StepResult, at: datetime | None) -> str:
    """``next review in 3d`` for a graded answer (from the view's instant)."""
    return "" if at is None else f"next review in {short_interval(result.due - at)}"


def _explain_result(card: ExplainCard, result: StepResult) -> list[Block]:
    covered = sum(1 for _, ok in result.concepts if ok)
    lines = "\n".join(f"{'✅' if ok else '❌'} {name}" for name, ok in result.concepts)
    verdict = f"*You got {covered}/{len(result.concepts)} concepts*"
    return sections_of(verdict, lines) + labelled("Model answer", card.model_answer)


def _previous(result: StepResult, at: datetime | None) -> str:
    if result.kind == "flashcard":
        said = GRADE_NAMES.get(int(result.grade), "?")
    else:
        said = "✓" if result.correct else "✗"
    text = f"last card: {said}, +{result.xp} XP"
    until = _until(result, at)
    return f"{text}, {until}" if until else text


def render_summary(summary: SessionSummary, session_id: int, now: datetime) -> list[Block]:
    """The end-of-session summary: score, XP gained, streak, next due review, the cards
    missed, and Review missed (when some were) and Start another."""
    days = summary.streak.current
    score = f"{summary.correct}/{summary.answered}" if summary.answered else "no cards answered"
    lines = [
        f"*Score:* {score}",
        f"*XP gained:* +{summary.xp}",
        f"*Streak:* 🔥 {plural(days, 'day')} (best {summary.streak.best})",
    ]
    if summary.streak.freezes:
        lines.append(f"*Streak freezes:* 🧊 {summary.streak.freezes}")
    due = relative(summary.next_due, now) if summary.next_due else "nothing scheduled"
    lines.append(f"*Next review:* {due}")
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": summary_title(summary)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
    ]
    if summary.missed:
        missed = "\n".join(
            f"✗ {card_excerpt(m.card, MISSED_EXCERPT)}" for m in summary.missed[:MISSED_SHOWN]
        )
        more = len(summary.missed) - MISSED_SHOWN
        if more > 0:
            missed += f"\n…and {plural(more, 'more card')}"
        blocks += sections_of(f"*Missed ({len(summary.missed)})*", missed)
    row = []
    if summary.missed:
        row.append(button("Review missed", summary_action(session_id, "missed"), "primary"))
    row.append(button("Start another", summary_action(session_id, "another")))
    blocks.append(actions(row))
    return blocks


def open_prompt(found: SessionOpen, deck_title: str | None, wanted: StartSpec) -> list[Block]:
    """The private question when a session is already open: Resume or Start new."""
    where = escape(deck_title) if deck_title else "all decks"
    position = min(found.step + 1, found.total)
    text = (
        f"*You have a quiz open:* {where} · card {position} of {found.total} · "
        f"{plural(found.answered, 'card')} answered.\n"
        "*Resume* shows it again in your direct messages with Recall. *Start new* ends it "
        "(its answers are kept) and starts the one you asked for."
    )
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        actions(
            [
                button("Resume", resume_action(found.session_id), "primary"),
                button("Start new", start_new_action(found.session_id, wanted)),
            ]
        ),
    ]


def answer_modal(session_id: int, step: int, prompt: str, message: str | None) -> Block:
    """The explain card's modal: one multi-line input. ``message`` (``channel:ts``) is
    where the session is shown, carried in ``private_metadata`` for the submission."""
    return {
        "type": "modal",
        "callback_id": modal_callback(session_id, step),
        "private_metadata": message or "",
        "title": {"type": "plain_text", "text": MODAL_TITLE},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            *sections(prompt)[:3],
            {
                "type": "input",
                "block_id": ANSWER_BLOCK,
                "label": {"type": "plain_text", "text": "Your explanation"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ANSWER_INPUT,
                    "multiline": True,
                    "max_length": ANSWER_MAX,
                    "placeholder": {
                        "type": "plain_text",
                        "text": "In your own words",
                    },
                },
            },
        ],
    }


__all__ = [
    "Block",
    "answer_modal",
    "button",
    "grade_label",
    "open_prompt",
    "option_label",
    "render_step",
    "render_summary",
    "sections",
    "summary_title",
]
