"""Plain sentences both front ends say alike: no markup, no command syntax, no timestamps.

The engine's errors and results carry data, and each front end words them its own
way (``cogs/common/words.py``, ``slackapp/words.py``); the two never import each other.
What reads the same on Discord and Slack to the letter, and decides something on the
way (which streak line a reminder gets, when a summary earns its 🎉), lives here once,
so the two cannot drift apart. Nothing here contains ``&``, ``<``, ``>``, ``*`` or
``_``: Slack's mrkdwn shows it as it is.
"""

from __future__ import annotations

from bot.core.leaderboard import LeaderboardPage, LeaderboardRow, Metric, Period
from bot.core.reminders import ReminderJob
from bot.core.session import Ending
from bot.services.study import SessionSummary

PERIOD_TITLES = {Period.WEEK: "this week", Period.MONTH: "this month", Period.ALL: "all time"}
METRIC_TITLES = {Metric.XP: "XP", Metric.STREAK: "Streak", Metric.ACCURACY: "Accuracy"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 card``, ``2 cards``; ``many`` for irregular plurals."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def reminder_text(job: ReminderJob) -> str:
    """The reminder DM's words (the Start review button goes with them)."""
    parts: list[str] = []
    if job.due_count:
        plural = "card is" if job.due_count == 1 else "cards are"
        parts.append(f"{job.due_count} {plural} due for review.")
    else:
        parts.append("No cards are due, but a few new ones will keep your streak going.")
    if job.at_risk and job.freezes:
        parts.append(f"Study today to keep your {job.streak}-day streak without spending a freeze.")
    elif job.at_risk:
        parts.append(f"Your {job.streak}-day streak ends at midnight unless you study today.")
    elif job.streak:
        days = "day" if job.streak == 1 else "days"
        parts.append(f"Current streak: {job.streak} {days}.")
    return " ".join(parts)


def summary_title(summary: SessionSummary) -> str:
    """An honest title: what happened, and a 🎉 only when it was earned (80% right)."""
    if summary.ending is Ending.REPLACED:
        return "Session replaced by a newer one"
    if summary.ending is Ending.EXPIRED:
        return "Session expired after a day unused"
    if summary.ending is Ending.STOPPED:
        if summary.answered == 0:
            return "Session stopped · no cards answered"
        return f"Session stopped · {summary.answered} of {plural(summary.total, 'card')} answered"
    if summary.answered == 0:
        return "Session complete · no cards answered"
    if summary.correct == 0:
        return "Session complete · none right this time"
    if summary.correct * 10 >= summary.answered * 8:
        return "Session complete 🎉"
    return "Session complete"


def board_title(board: LeaderboardPage) -> str:
    """``Leaderboard · XP · this week`` (and the deck)."""
    return query_title(board.period, board.metric, board.deck_id)


def query_title(period: Period, metric: Metric, deck_id: str | None) -> str:
    """The title of the board for this query (what a page button's id names)."""
    title = f"Leaderboard · {METRIC_TITLES[metric]} · {PERIOD_TITLES[period]}"
    return title + (f" · {deck_id}" if deck_id else "")


def board_value(metric: Metric, row: LeaderboardRow) -> str:
    """A leaderboard row's value as shown: '120 XP', '7 days', '85% (20 answers)'."""
    if metric is Metric.ACCURACY:
        return f"{float(row.value):.0%} ({row.reviews} answers)"
    if metric is Metric.STREAK:
        days = int(row.value)
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{int(row.value)} XP"
