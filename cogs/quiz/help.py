"""``/quiz help``: Recall explained in one screen."""

from __future__ import annotations

import discord

HELP_FIELDS: tuple[tuple[str, str], ...] = (
    (
        "Study",
        "**/quiz start** a session of flashcards, multiple choice and explain-it prompts "
        "(options: deck, kind, count, level). **/quiz review** the cards that are due. "
        "**Stop** ends a session at any time; your answers are kept. Lost the message? "
        "Run /quiz start again and press **Resume**.",
    ),
    (
        "How grading works",
        "Flashcards: reveal the answer, then grade yourself: **Again** (forgot), **Hard**, "
        "**Good**, **Easy**. Each button shows when the card would come back (`Good · 3d`). "
        "Multiple choice and explanations are graded for you; an explanation earns each "
        "concept it states in a sentence.",
    ),
    (
        "Spaced repetition",
        "Recall schedules every card with FSRS: a card you know comes back after days, "
        "then weeks; one you missed comes back within minutes. A card is *due* when its "
        "time has come; /quiz review shows exactly those.",
    ),
    (
        "Your progress",
        "**/quiz stats** streak, accuracy, what is due and your weak spots. "
        "**/quiz decks** the decks and your progress in each. A day of your streak counts "
        "when you answer at least one card that day; every 7 days earns a freeze.",
    ),
    (
        "Settings",
        "**/quiz timezone** sets your day boundary (streaks) and reminder hour. "
        "**/quiz remind set** a daily DM when cards are due; **/quiz remind off** stops it. "
        "**/quiz forget-me** deletes all your data.",
    ),
)


def help_embed() -> discord.Embed:
    """The help screen."""
    embed = discord.Embed(
        title="Recall: study in Discord, remember for good",
        description="Short sessions, a few minutes a day. Everything here is private to you.",
        colour=discord.Colour.blurple(),
    )
    for name, value in HELP_FIELDS:
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text="Moderators: /leaderboard and /quiz-admin (Manage Server)")
    return embed


__all__ = ["HELP_FIELDS", "help_embed"]
