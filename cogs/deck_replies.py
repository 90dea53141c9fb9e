"""The words of ``/quiz-admin deck``: an upload's reply, its problems, the list."""

from __future__ import annotations

import discord

from bot.decks.importers import ImportResult
from bot.decks.models import CardType
from bot.decks.problems import count_problems
from bot.services.decks import DeckListing, UploadResult

MESSAGE_MAX = 2000
"""Discord's limit on a message's content."""
PROBLEMS_FILE = "problems.txt"

KIND_WORDS = {
    CardType.FLASHCARD: ("flashcard", "flashcards"),
    CardType.MCQ: ("multiple-choice question", "multiple-choice questions"),
    CardType.EXPLAIN: ("explain card", "explain cards"),
}


def counts_text(counts: dict[CardType, int] | dict[str, int]) -> str:
    """``12 flashcards, 3 multiple-choice questions`` (kinds with no card left out)."""
    parts = []
    for kind in CardType:
        n = counts.get(kind, counts.get(str(kind), 0))  # type: ignore[call-overload]
        if n:
            one, many = KIND_WORDS[kind]
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts) or "no cards"


def _code(text: str) -> str:
    # A backtick in the text would end the code span early.
    return text.replace("`", "'")


def uploaded_text(saved: UploadResult) -> str:
    """The reply to a saved upload: the deck id, its cards by type, media dropped."""
    deck = saved.deck
    total = sum(saved.counts.values())
    lines = [
        f"{'Replaced' if saved.replaced else 'Added'} deck `{_code(deck.id)}` "
        f"({deck.title[:200]}) for this server: {total} card{'s' if total != 1 else ''}, "
        f"{counts_text(dict(saved.counts))}."
    ]
    if saved.media_dropped:
        plural = "s" if saved.media_dropped != 1 else ""
        lines.append(
            f"{saved.media_dropped} image or sound reference{plural} dropped "
            "(Recall shows text only)."
        )
    if saved.replaced:
        lines.append("Progress on every card whose id is unchanged is kept.")
    lines.append(f"Learners can study it now: `/quiz start deck:{_code(deck.id)}`.")
    return "\n".join(lines)


def problems_reply(result: ImportResult) -> tuple[str, tuple[str, bytes] | None]:
    """The reply to a file with problems: every problem that fits in one message as
    ``file:line: card id: what is wrong``, then "N more problems"; when some did not
    fit, every problem also as a text file (name, bytes)."""
    problems = result.problems
    total = count_problems(problems)
    head = (
        f"`{_code(result.filename[:100])}` was not saved: "
        f"{total} problem{'s' if total != 1 else ''}."
    )
    lines = [head]
    size = len(head)
    shown = 0
    for problem in problems:
        line = f"- `{_code(str(problem))}`"
        # Room for the closing "N more problems" line, whatever N.
        if size + 1 + len(line) > MESSAGE_MAX - 80:
            break
        lines.append(line)
        size += 1 + len(line)
        shown += 1
    rest = total - sum(p.stands_for for p in problems[:shown])
    attachment = None
    if shown < len(problems):
        plural = "s" if rest != 1 else ""
        lines.append(f"…and {rest} more problem{plural} (all of them in {PROBLEMS_FILE}).")
        body = "\n".join(str(p) for p in problems) + "\n"
        attachment = (PROBLEMS_FILE, body.encode("utf-8"))
    return "\n".join(lines), attachment


def deck_list_embed(listing: DeckListing) -> discord.Embed:
    """``/quiz-admin deck list``: this server's uploads, then the bundled decks."""
    embed = discord.Embed(title="Decks", colour=discord.Colour.blurple())
    uploaded = "\n".join(
        f"`{_code(d.deck_id)}` · {d.title[:80]} · {counts_text(dict(d.counts))} · "
        f"<t:{int(d.uploaded_at.timestamp())}:d>"
        for d in listing.uploaded
    )
    embed.add_field(
        name=f"Uploaded in this server ({len(listing.uploaded)})",
        value=uploaded[:1024] or "None yet: add one with /quiz-admin deck upload.",
        inline=False,
    )
    bundled = "\n".join(
        f"`{_code(d.id)}` · {d.title[:80]} · {len(d.cards)} cards" for d in listing.bundled
    )
    embed.add_field(
        name=f"Bundled, in every server ({len(listing.bundled)})",
        value=bundled[:1024] or "None.",
        inline=False,
    )
    return embed


__all__ = ["counts_text", "deck_list_embed", "problems_reply", "uploaded_text"]
