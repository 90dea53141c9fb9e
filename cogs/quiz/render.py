"""How a quiz step looks in Discord: the embed and the buttons for a ``StepView``."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.core.custom_ids import StartSpec
from bot.core.errors import SessionOpen
from bot.core.grading import Grade
from bot.core.scheduling import short_interval
from bot.core.session import Phase, StepResult, option_fingerprint
from bot.decks import Card, ExplainCard, FlashCard, McqCard
from bot.phrases import summary_title
from bot.services.reports import card_excerpt
from bot.services.study import SessionSummary, StepView
from cogs.common.fit import FIELD_VALUE_MAX, cut, fit_embed, fitted
from cogs.common.words import CROSS, TICK, plural, relative
from cogs.quiz.buttons import QuizButton, ResumeButton, StartNewButton, SummaryButton

__all__ = [
    "grade_label",
    "open_prompt",
    "option_label",
    "relative",
    "render_step",
    "render_summary",
    "step_title",
    "summary_title",
]

LETTERS = "ABCDE"
BUTTON_LABEL_MAX = 80
GRADE_BUTTONS: tuple[tuple[Grade, str, discord.ButtonStyle], ...] = (
    (Grade.AGAIN, "Again", discord.ButtonStyle.danger),
    (Grade.HARD, "Hard", discord.ButtonStyle.secondary),
    (Grade.GOOD, "Good", discord.ButtonStyle.success),
    (Grade.EASY, "Easy", discord.ButtonStyle.primary),
)
GRADE_NAMES = {int(g): name for g, name, _ in GRADE_BUTTONS}
KIND_LABELS = {"flashcard": "Flashcard", "mcq": "Multiple choice", "explain": "Explain it"}
COLOUR = discord.Colour.blurple()
RIGHT = discord.Colour.green()
WRONG = discord.Colour.red()
MIXED_RESULT = discord.Colour.gold()
MISSED_SHOWN = 10
"""Missed cards listed in a summary (the rest are counted)."""
MISSED_EXCERPT = 90
FIELD_MAX = 1024
STOP_ROW = 2
"""The Stop button's row: below the options (row 0) and Next (row 1)."""


def option_label(index: int, option: str) -> str:
    """``A · WSGI``, cut to Discord's 80 characters."""
    label = f"{LETTERS[index]} · {option}"
    return label if len(label) <= BUTTON_LABEL_MAX else label[: BUTTON_LABEL_MAX - 1] + "…"


def grade_label(name: str, interval: str | None) -> str:
    """A grade button's label: ``Good · 3d``, or ``Good`` without a preview."""
    return name if interval is None else f"{name} · {interval}"


def _until(result: StepResult, at: datetime | None) -> str:
    """``next review in 3d`` for a graded answer (from the view's instant)."""
    if at is None:
        return ""
    return f"next review in {short_interval(result.due - at)}"


def step_title(step: StepView) -> str:
    """``WSGI vs ASGI in Django · card 2 of 10``, the deck's title cut so it fits."""
    return fitted(step.deck_title or "Quiz", f" · card {step.number} of {step.total}")


def render_step(step: StepView) -> tuple[discord.Embed, discord.ui.View]:
    """The message for the session's current state, within Discord's limits."""
    embed, view = _render_step(step)
    return fit_embed(embed), view


def _render_step(step: StepView) -> tuple[discord.Embed, discord.ui.View]:
    if step.finished:
        assert step.summary is not None
        return render_summary(step.summary, step.session.id)
    record = step.session
    view = discord.ui.View(timeout=None)
    card = step.card
    title = step_title(step)
    sid, pos = record.id, record.position

    if card is None:
        embed = discord.Embed(
            title=title,
            description="This card was removed from its deck since the quiz started.",
            colour=COLOUR,
        )
        view.add_item(QuizButton(sid, pos, "next", label="Next", style=discord.ButtonStyle.primary))
        _add_stop(view, sid, pos)
        return embed, view

    answered = record.phase is Phase.ANSWERED and step.result is not None
    if isinstance(card, FlashCard):
        embed = discord.Embed(title=title, description=card.front, colour=COLOUR)
        if record.phase is Phase.QUESTION:
            view.add_item(
                QuizButton(
                    sid, pos, "reveal", label="Reveal answer", style=discord.ButtonStyle.primary
                )
            )
        else:
            embed.add_field(name="Answer", value=card.back, inline=False)
            previews = step.previews or {}
            for grade, label, style in GRADE_BUTTONS:
                interval = short_interval(previews[grade]) if grade in previews else None
                view.add_item(
                    QuizButton(
                        sid, pos, f"g{int(grade)}", label=grade_label(label, interval), style=style
                    )
                )
    elif isinstance(card, McqCard):
        embed = discord.Embed(title=title, description=card.question, colour=COLOUR)
        result = step.result if answered else None
        if result is not None:
            embed.colour = RIGHT if result.correct else WRONG
            right = f"{LETTERS[card.answer_index]} · {card.answer}"
            verdict = f"{TICK} Correct!" if result.correct else f"{CROSS} Not quite."
            # An answer may be 1,024 characters: the sentence around it must still fit.
            right = cut(right, FIELD_VALUE_MAX - len("The answer is ****."))
            embed.add_field(name=verdict, value=f"The answer is **{right}**.", inline=False)
            embed.add_field(name="Why", value=card.explanation, inline=False)
        for index, option in enumerate(card.options):
            style = discord.ButtonStyle.secondary
            if result is not None:
                if index == card.answer_index:
                    style = discord.ButtonStyle.success
                elif index == result.choice:
                    style = discord.ButtonStyle.danger
            view.add_item(
                QuizButton(
                    sid,
                    pos,
                    f"o{index}{option_fingerprint(option)}",
                    label=option_label(index, option),
                    style=style,
                    disabled=result is not None,
                    row=0,
                )
            )
    else:
        assert isinstance(card, ExplainCard)
        embed = discord.Embed(title=title, description=card.prompt, colour=COLOUR)
        if record.hint_shown and card.hint and not answered:
            embed.add_field(name="Hint", value=card.hint, inline=False)
        if answered and step.result is not None:
            _explain_result(embed, card, step.result)
        else:
            view.add_item(
                QuizButton(
                    sid, pos, "hint", label="Show hint", disabled=record.hint_shown or not card.hint
                )
            )
            view.add_item(
                QuizButton(
                    sid, pos, "write", label="Write my answer", style=discord.ButtonStyle.primary
                )
            )

    if answered:
        view.add_item(
            QuizButton(sid, pos, "next", label="Next", style=discord.ButtonStyle.primary, row=1)
        )
    _add_stop(view, sid, pos)
    embed.set_footer(text=_footer(step, card, answered))
    return embed, view


def _add_stop(view: discord.ui.View, session_id: int, step: int) -> None:
    view.add_item(QuizButton(session_id, step, "stop", label="Stop", row=STOP_ROW))


def _footer(step: StepView, card: Card, answered: bool) -> str:
    """``Multiple choice · Beginner``, then what the last answer did."""
    parts = [KIND_LABELS.get(str(card.type), str(card.type)), card.level.capitalize()]
    result = step.result
    if answered and result is not None:
        parts.append(f"+{result.xp} XP")
        if until := _until(result, step.at):
            parts.append(until)
    elif step.session.phase is Phase.QUESTION and result is not None and step.session.answered:
        parts.append(_previous(result, step.at))
    return " · ".join(parts)


def _explain_result(embed: discord.Embed, card: ExplainCard, result: StepResult) -> None:
    covered = sum(1 for _, ok in result.concepts if ok)
    embed.colour = RIGHT if result.correct else WRONG
    lines = [f"{TICK if ok else CROSS} {name}" for name, ok in result.concepts]
    embed.add_field(
        name=f"You got {covered}/{len(result.concepts)} concepts",
        value="\n".join(lines)[:FIELD_MAX],
        inline=False,
    )
    embed.add_field(name="Model answer", value=card.model_answer, inline=False)


def _previous(result: StepResult, at: datetime | None) -> str:
    """The feedback on the previous card, shown under the next one."""
    if result.kind == "flashcard":
        said = GRADE_NAMES.get(int(result.grade), "?")
    else:
        said = TICK if result.correct else CROSS
    text = f"Last card: {said}, +{result.xp} XP"
    until = _until(result, at)
    return f"{text}, {until}" if until else text


def render_summary(
    summary: SessionSummary, session_id: int
) -> tuple[discord.Embed, discord.ui.View]:
    """The end-of-session summary: the figures, the cards missed, and what to do next."""
    answered = summary.answered
    if answered and summary.correct == answered:
        colour = RIGHT
    elif answered and summary.correct == 0:
        colour = WRONG
    else:
        colour = MIXED_RESULT
    embed = discord.Embed(title=summary_title(summary), colour=colour)
    if answered and summary.correct == 0:
        embed.description = (
            "Nothing stuck this time, and that is what spaced repetition is for: "
            "these cards come back soon. Review missed goes over them now."
        )
    score = f"{summary.correct}/{answered}" if answered else "No cards answered"
    embed.add_field(name="Score", value=score)
    embed.add_field(name="XP gained", value=f"+{summary.xp}")
    embed.add_field(
        name="Streak",
        value=f"🔥 {plural(summary.streak.current, 'day')} (best {summary.streak.best})",
    )
    if summary.streak.freezes:
        embed.add_field(name="Streak freezes", value=f"🧊 {summary.streak.freezes}")
    embed.add_field(
        name="Next review",
        value=relative(summary.next_due) if summary.next_due else "nothing scheduled",
    )
    if summary.missed:
        lines = [
            f"{CROSS} {card_excerpt(m.card, MISSED_EXCERPT)}" for m in summary.missed[:MISSED_SHOWN]
        ]
        more = len(summary.missed) - MISSED_SHOWN
        if more > 0:
            lines.append(f"…and {plural(more, 'more card')}")
        embed.add_field(
            name=f"Missed ({len(summary.missed)})", value="\n".join(lines)[:FIELD_MAX], inline=False
        )
    view = discord.ui.View(timeout=None)
    if summary.missed:
        view.add_item(SummaryButton(session_id, "missed"))
    view.add_item(SummaryButton(session_id, "another"))
    return embed, view


def open_prompt(
    found: SessionOpen, deck_title: str | None, wanted: StartSpec
) -> tuple[discord.Embed, discord.ui.View]:
    """The private question asked when a session is already open: Resume or Start new."""
    where = deck_title or "all decks"
    done = plural(found.answered, "card")
    embed = discord.Embed(
        title="You have a quiz open",
        description=(
            f"**{where}** · card {min(found.step + 1, found.total)} of {found.total}"
            f" · {done} answered.\n"
            "**Resume** shows it here again. **Start new** ends it (its answers are kept) "
            "and starts the one you asked for."
        ),
        colour=COLOUR,
    )
    view = discord.ui.View(timeout=None)
    view.add_item(ResumeButton(found.session_id))
    view.add_item(StartNewButton(found.session_id, wanted))
    return embed, view
