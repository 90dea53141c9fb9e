"""How a quiz step looks in Discord: the embed and the buttons for a ``StepView``."""

from __future__ import annotations

import discord

from bot.core.grading import Grade
from bot.core.session import Phase, StepResult, option_fingerprint
from bot.decks import ExplainCard, FlashCard, McqCard
from bot.services.study import SessionSummary, StepView
from cogs.common.words import relative
from cogs.quiz.buttons import QuizButton

__all__ = ["option_label", "relative", "render_step", "render_summary"]

LETTERS = "ABCDE"
BUTTON_LABEL_MAX = 80
GRADE_BUTTONS: tuple[tuple[Grade, str, discord.ButtonStyle], ...] = (
    (Grade.AGAIN, "Again", discord.ButtonStyle.danger),
    (Grade.HARD, "Hard", discord.ButtonStyle.secondary),
    (Grade.GOOD, "Good", discord.ButtonStyle.success),
    (Grade.EASY, "Easy", discord.ButtonStyle.primary),
)
GRADE_NAMES = {int(g): name for g, name, _ in GRADE_BUTTONS}
COLOUR = discord.Colour.blurple()
RIGHT = discord.Colour.green()
WRONG = discord.Colour.red()


def option_label(index: int, option: str) -> str:
    """``A · WSGI``, cut to Discord's 80 characters."""
    label = f"{LETTERS[index]} · {option}"
    return label if len(label) <= BUTTON_LABEL_MAX else label[: BUTTON_LABEL_MAX - 1] + "…"


def render_step(step: StepView) -> tuple[discord.Embed, discord.ui.View]:
    """The message for the session's current state."""
    if step.finished:
        assert step.summary is not None
        return render_summary(step.summary), discord.ui.View(timeout=None)
    record = step.session
    view = discord.ui.View(timeout=None)
    card = step.card
    title = f"{step.deck_title or 'Quiz'} · card {step.number} of {step.total}"
    sid, pos = record.id, record.position

    if card is None:
        embed = discord.Embed(
            title=title,
            description="This card was removed from its deck since the quiz started.",
            colour=COLOUR,
        )
        view.add_item(QuizButton(sid, pos, "next", label="Next", style=discord.ButtonStyle.primary))
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
            for grade, label, style in GRADE_BUTTONS:
                view.add_item(QuizButton(sid, pos, f"g{int(grade)}", label=label, style=style))
    elif isinstance(card, McqCard):
        embed = discord.Embed(title=title, description=card.question, colour=COLOUR)
        result = step.result if answered else None
        if result is not None:
            embed.colour = RIGHT if result.correct else WRONG
            right = f"{LETTERS[card.answer_index]} · {card.answer}"
            verdict = "✓ Correct!" if result.correct else "✗ Not quite."
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
                    row=index // 5,
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
    footer = f"{card.type} · {card.level}"
    if answered and step.result is not None:
        footer += f" · +{step.result.xp} XP"
    elif record.phase is Phase.QUESTION and step.result is not None and record.answered:
        footer += " · " + _previous(step.result)
    embed.set_footer(text=footer)
    return embed, view


def _explain_result(embed: discord.Embed, card: ExplainCard, result: StepResult) -> None:
    covered = sum(1 for _, ok in result.concepts if ok)
    embed.colour = RIGHT if result.correct else WRONG
    lines = [f"{'✅' if ok else '❌'} {name}" for name, ok in result.concepts]
    embed.add_field(
        name=f"You got {covered}/{len(result.concepts)} concepts",
        value="\n".join(lines)[:1024],
        inline=False,
    )
    embed.add_field(name="Model answer", value=card.model_answer, inline=False)


def _previous(result: StepResult) -> str:
    if result.kind == "flashcard":
        return f"last card: {GRADE_NAMES.get(int(result.grade), '?')}, +{result.xp} XP"
    return f"last card: {'✓' if result.correct else '✗'}, +{result.xp} XP"


def render_summary(summary: SessionSummary) -> discord.Embed:
    """The end-of-session summary."""
    embed = discord.Embed(title="Session complete 🎉", colour=RIGHT)
    embed.add_field(name="Score", value=f"{summary.correct}/{summary.answered}")
    embed.add_field(name="XP gained", value=f"+{summary.xp}")
    days = summary.streak.current
    embed.add_field(
        name="Streak",
        value=f"🔥 {days} day{'s' if days != 1 else ''} (best {summary.streak.best})",
    )
    if summary.streak.freezes:
        embed.add_field(name="Streak freezes", value=f"🧊 {summary.streak.freezes}")
    embed.add_field(
        name="Next review",
        value=relative(summary.next_due) if summary.next_due else "nothing scheduled",
    )
    return embed
