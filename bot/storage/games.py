"""The channel games' tables: ``games``, ``game_rounds``, ``game_answers`` (migration V7).

Only SQL lives here; :mod:`bot.services.games` decides with :mod:`bot.core.game`.
Every function is a transaction script (see :mod:`bot.storage.script`).

Locks on PostgreSQL (SQLite serialises writers with ``BEGIN IMMEDIATE``):

- an answer reads its round ``FOR SHARE`` (:func:`for_answer`): answers to one
  round run side by side, while closing or stopping it (``FOR UPDATE``, after the
  game's row) waits for the answers in flight and is then seen by every later one.
  No answer can slip in after the round's results were counted.
- the one running game per channel is the partial unique index
  ``games_one_running_per_channel``; :func:`insert_game` inserts ``ON CONFLICT DO
  NOTHING`` on it, so of two starts in one channel exactly one gets a game.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.game import CardKey, Game, GameStatus, PlayerAnswer, Question, Round
from bot.core.learner import Identity, Platform
from bot.storage.codec import from_epoch, maybe_datetime, maybe_epoch, to_epoch
from bot.storage.script import (
    Dialects,
    Row,
    Script,
    Statement,
    execute,
    for_update,
    one,
    rows,
    value,
)


@dataclass(frozen=True, slots=True)
class GameRecord:
    """A game's row: where it runs and its settings (the rules' :class:`Game` is built
    from it and its rounds by :func:`load`)."""

    id: int
    community_id: int
    community: Identity
    channel: str
    starter_learner_id: int | None
    deck_id: str
    seconds: int
    plan: tuple[CardKey, ...]
    status: GameStatus
    board_message: str | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueRound:
    """An open round (whose deadline has come, or that no message shows yet), and where
    its game runs."""

    game_id: int
    number: int
    community: Identity
    channel: str
    started_at: datetime
    deadline: datetime


_GAME_COLUMNS = (
    "g.id, g.community_id, c.platform, c.external_id, g.channel, g.starter_learner_id, g.deck_id,"
    " g.seconds, g.plan, g.status, g.board_message, g.started_at, g.ended_at"
)
_ROUND_COLUMNS = (
    "number, deck_id, card_id, answer_index, options, started_at, deadline, closed_at, message"
)


def _record(row: Row) -> GameRecord:
    return GameRecord(
        id=int(row["id"]),
        community_id=int(row["community_id"]),
        community=Identity(Platform(row["platform"]), str(row["external_id"])),
        channel=str(row["channel"]),
        starter_learner_id=None
        if row["starter_learner_id"] is None
        else int(row["starter_learner_id"]),
        deck_id=str(row["deck_id"]),
        seconds=int(row["seconds"]),
        plan=tuple((str(d), str(c)) for d, c in json.loads(row["plan"])),
        status=GameStatus(row["status"]),
        board_message=row["board_message"],
        started_at=from_epoch(row["started_at"]),
        ended_at=maybe_datetime(row["ended_at"]),
    )


def _round(row: Row, answers: tuple[PlayerAnswer, ...] = ()) -> Round:
    return Round(
        number=int(row["number"]),
        question=Question(
            str(row["deck_id"]),
            str(row["card_id"]),
            answer_index=int(row["answer_index"]),
            options=int(row["options"]),
        ),
        started_at=from_epoch(row["started_at"]),
        deadline=from_epoch(row["deadline"]),
        answers=answers,
        closed_at=maybe_datetime(row["closed_at"]),
    )


def _answer(row: Row) -> PlayerAnswer:
    return PlayerAnswer(
        player=int(row["learner_id"]),
        choice=int(row["choice"]),
        correct=bool(row["correct"]),
        at=from_epoch(row["answered_at"]),
    )


def game_of(record: GameRecord, rounds: Sequence[Round]) -> Game:
    """The rules' view of a stored game."""
    return Game(
        id=record.id,
        starter=record.starter_learner_id,
        seconds=record.seconds,
        plan=record.plan,
        rounds=tuple(rounds),
        status=record.status,
        started_at=record.started_at,
        ended_at=record.ended_at,
    )


# -- games ----------------------------------------------------------------------------


def running_in(community_id: int, channel: str) -> Script[int | None]:
    """The id of the game running in the channel, if any."""
    found = yield from value(
        "SELECT id FROM games WHERE community_id = ? AND channel = ? AND status = 'running'",
        community_id,
        channel,
    )
    return None if found is None else int(found)


def insert_game(
    community_id: int,
    channel: str,
    starter_learner_id: int,
    deck_id: str,
    seconds: int,
    plan: Sequence[CardKey],
    now: datetime,
) -> Script[int | None]:
    """A new running game's id, or None when one already runs in the channel."""
    row = yield from one(
        "INSERT INTO games (community_id, channel, starter_learner_id, deck_id, seconds, plan,"
        " started_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (community_id, channel) WHERE status = 'running' DO NOTHING RETURNING id",
        community_id,
        channel,
        starter_learner_id,
        deck_id,
        seconds,
        json.dumps([list(key) for key in plan]),
        to_epoch(now),
    )
    return None if row is None else int(row["id"])


def get(game_id: int, *, lock: bool = False) -> Script[GameRecord | None]:
    """A game's row (``lock``: held until the transaction ends, on PostgreSQL)."""
    sql = (
        f"SELECT {_GAME_COLUMNS} FROM games g JOIN communities c ON c.id = g.community_id"
        " WHERE g.id = ?"
    )
    row = yield from one(
        Dialects(sqlite=sql, postgres=sql + " FOR UPDATE OF g") if lock else sql, game_id
    )
    return _record(row) if row else None


def load(game_id: int, *, lock: bool = False) -> Script[tuple[GameRecord, Game] | None]:
    """A game with every round and answer (``lock``: the game's row and its rounds', for
    closing or stopping it)."""
    record = yield from get(game_id, lock=lock)
    if record is None:
        return None
    sql = f"SELECT {_ROUND_COLUMNS} FROM game_rounds WHERE game_id = ? ORDER BY number"
    round_rows = yield from rows(for_update(sql) if lock else sql, game_id)
    answer_rows = yield from rows(
        "SELECT round, learner_id, choice, correct, answered_at FROM game_answers"
        " WHERE game_id = ? ORDER BY round, answered_at, learner_id",
        game_id,
    )
    by_round: dict[int, list[PlayerAnswer]] = {}
    for row in answer_rows:
        by_round.setdefault(int(row["round"]), []).append(_answer(row))
    rounds = [_round(row, tuple(by_round.get(int(row["number"]), ()))) for row in round_rows]
    return record, game_of(record, rounds)


def end(game_id: int, status: GameStatus, ended_at: datetime) -> Script[None]:
    """Record that the game ended."""
    yield from execute(
        "UPDATE games SET status = ?, ended_at = ? WHERE id = ?",
        str(status),
        to_epoch(ended_at),
        game_id,
    )


def set_plan(game_id: int, plan: Sequence[CardKey]) -> Script[None]:
    """Store the game's remaining plan (a card the deck lost is taken out of it)."""
    yield from execute(
        "UPDATE games SET plan = ? WHERE id = ?", json.dumps([list(k) for k in plan]), game_id
    )


def set_board_message(game_id: int, message: str) -> Script[None]:
    """Remember the message showing the final board."""
    yield from execute("UPDATE games SET board_message = ? WHERE id = ?", message, game_id)


def previous_players(community_id: int, channel: str, limit: int) -> Script[list[int]]:
    """Who played the channel's latest ended game (the likely players of the next)."""
    found = yield from rows(
        "SELECT DISTINCT learner_id FROM game_answers WHERE game_id = ("
        " SELECT id FROM games WHERE community_id = ? AND channel = ? AND status <> 'running'"
        " ORDER BY started_at DESC, id DESC LIMIT 1) ORDER BY learner_id LIMIT ?",
        community_id,
        channel,
        limit,
    )
    return [int(row["learner_id"]) for row in found]


def due_counts(
    learner_ids: Iterable[int], deck_id: str, cutoff: datetime
) -> Script[dict[CardKey, int]]:
    """For each card of the deck, how many of the learners have it due at ``cutoff``
    (:func:`bot.core.due.due_cutoff`)."""
    ids = sorted(set(learner_ids))
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    found = yield from rows(
        "SELECT card_id, COUNT(*) AS n FROM card_states"
        f" WHERE learner_id IN ({marks}) AND deck_id = ? AND due <= ? GROUP BY card_id",
        *ids,
        deck_id,
        to_epoch(cutoff),
    )
    return {(deck_id, str(row["card_id"])): int(row["n"]) for row in found}


# -- rounds ---------------------------------------------------------------------------


def insert_round(game_id: int, round_: Round) -> Script[None]:
    """Store a round that just opened."""
    question = round_.question
    yield from execute(
        "INSERT INTO game_rounds (game_id, number, deck_id, card_id, answer_index, options,"
        " started_at, deadline, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        game_id,
        round_.number,
        question.deck_id,
        question.card_id,
        question.answer_index,
        question.options,
        to_epoch(round_.started_at),
        to_epoch(round_.deadline),
        maybe_epoch(round_.closed_at),
    )


def close_round(game_id: int, number: int, closed_at: datetime) -> Script[None]:
    """Record that the round closed."""
    yield from execute(
        "UPDATE game_rounds SET closed_at = ? WHERE game_id = ? AND number = ?",
        to_epoch(closed_at),
        game_id,
        number,
    )


def get_round(game_id: int, number: int) -> Script[tuple[Round, str | None] | None]:
    """A round without its answers, and the message showing it."""
    row = yield from one(
        f"SELECT {_ROUND_COLUMNS} FROM game_rounds WHERE game_id = ? AND number = ?",
        game_id,
        number,
    )
    return None if row is None else (_round(row), row["message"])


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """What an answer is judged on, read in one statement: the round (without its
    answers), its game's status, community, and the member's earlier answer to it."""

    round: Round
    status: GameStatus
    community_id: int
    community: Identity
    earlier: PlayerAnswer | None


_FOR_ANSWER = (
    "SELECT r.number, r.deck_id, r.card_id, r.answer_index, r.options, r.started_at,"
    " r.deadline, r.closed_at, r.message, g.status, g.community_id, c.platform,"
    " c.external_id, a.learner_id, a.choice, a.correct, a.answered_at"
    " FROM game_rounds r JOIN games g ON g.id = r.game_id"
    " JOIN communities c ON c.id = g.community_id"
    " LEFT JOIN learners l ON l.platform = ? AND l.external_id = ?"
    " LEFT JOIN game_answers a ON a.game_id = r.game_id AND a.round = r.number"
    " AND a.learner_id = l.id"
    " WHERE r.game_id = ? AND r.number = ?"
)


def for_answer(game_id: int, number: int, who: Identity) -> Script[AnswerContext | None]:
    """The round ``who`` answers, with its game and their earlier answer; the round's
    row held ``FOR SHARE`` on PostgreSQL (see the module docstring)."""
    row = yield from one(
        Dialects(sqlite=_FOR_ANSWER, postgres=_FOR_ANSWER + " FOR SHARE OF r"),
        str(who.platform),
        who.external_id,
        game_id,
        number,
    )
    if row is None:
        return None
    return AnswerContext(
        round=_round(row),
        status=GameStatus(row["status"]),
        community_id=int(row["community_id"]),
        community=Identity(Platform(row["platform"]), str(row["external_id"])),
        earlier=None if row["learner_id"] is None else _answer(row),
    )


def set_round_message(game_id: int, number: int, message: str) -> Script[None]:
    """Remember the message showing the round."""
    yield from execute(
        "UPDATE game_rounds SET message = ? WHERE game_id = ? AND number = ?",
        message,
        game_id,
        number,
    )


def answer_count(game_id: int, number: int) -> Script[int]:
    """How many members answered the round."""
    found = yield from value(
        "SELECT COUNT(*) FROM game_answers WHERE game_id = ? AND round = ?", game_id, number
    )
    return int(found or 0)


def insert_answer_statement(game_id: int, number: int, answer: PlayerAnswer) -> Statement:
    """The INSERT of one answer, for :func:`bot.storage.reviews.record`'s ``and_then``
    (one round trip with its review on PostgreSQL). A second answer of the member to
    the round violates the primary key: :class:`~bot.storage.errors.Conflict`, and the
    transaction, review included, is rolled back."""
    return (
        "INSERT INTO game_answers (game_id, round, learner_id, choice, correct, answered_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (game_id, number, answer.player, answer.choice, int(answer.correct), to_epoch(answer.at)),
    )


_OPEN_ROUNDS = (
    "SELECT r.game_id, r.number, r.started_at, r.deadline, g.channel, c.platform, c.external_id"
    " FROM game_rounds r JOIN games g ON g.id = r.game_id"
    " JOIN communities c ON c.id = g.community_id"
    " WHERE r.closed_at IS NULL AND g.status = 'running' AND c.platform = ?"
)


def _due(row: Row) -> DueRound:
    return DueRound(
        game_id=int(row["game_id"]),
        number=int(row["number"]),
        community=Identity(Platform(row["platform"]), str(row["external_id"])),
        channel=str(row["channel"]),
        started_at=from_epoch(row["started_at"]),
        deadline=from_epoch(row["deadline"]),
    )


def due_rounds(platform: Platform, now: datetime, limit: int) -> Script[list[DueRound]]:
    """Open rounds of ``platform``'s games whose deadline has come, earliest first."""
    found = yield from rows(
        _OPEN_ROUNDS + " AND r.deadline <= ? ORDER BY r.deadline, r.game_id LIMIT ?",
        str(platform),
        to_epoch(now),
        limit,
    )
    return [_due(row) for row in found]


def unshown_rounds(platform: Platform, limit: int) -> Script[list[DueRound]]:
    """Open rounds of ``platform``'s games that no message shows yet (the process that
    opened them stopped before posting)."""
    found = yield from rows(
        _OPEN_ROUNDS + " AND r.message IS NULL ORDER BY r.deadline, r.game_id LIMIT ?",
        str(platform),
        limit,
    )
    return [_due(row) for row in found]


def next_deadline(platform: Platform) -> Script[datetime | None]:
    """The earliest deadline of ``platform``'s open rounds."""
    found = yield from value(
        "SELECT MIN(r.deadline) FROM game_rounds r JOIN games g ON g.id = r.game_id"
        " JOIN communities c ON c.id = g.community_id"
        " WHERE r.closed_at IS NULL AND g.status = 'running' AND c.platform = ?",
        str(platform),
    )
    return maybe_datetime(found)


def identities(learner_ids: Iterable[int]) -> Script[dict[int, Identity]]:
    """The platform identity of each learner (for the front end to name them)."""
    ids = sorted(set(learner_ids))
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    found = yield from rows(
        f"SELECT id, platform, external_id FROM learners WHERE id IN ({marks})", *ids
    )
    return {
        int(row["id"]): Identity(Platform(row["platform"]), str(row["external_id"]))
        for row in found
    }


__all__ = [
    "AnswerContext",
    "DueRound",
    "GameRecord",
    "answer_count",
    "close_round",
    "due_counts",
    "due_rounds",
    "end",
    "for_answer",
    "game_of",
    "get",
    "get_round",
    "identities",
    "insert_answer_statement",
    "insert_game",
    "insert_round",
    "load",
    "next_deadline",
    "previous_players",
    "running_in",
    "set_board_message",
    "set_plan",
    "set_round_message",
    "unshown_rounds",
]
