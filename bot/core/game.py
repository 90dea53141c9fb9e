"""Channel games: the rules of a live multiple-choice game in one channel.

Plain Python: no storage, no clock read (every rule takes ``now``), no words. The
service (:mod:`bot.services.games`) loads a :class:`Game` or a :class:`Round`,
asks these rules what happens, and stores the answer in the same transaction.

- **Rounds.** A game plays its planned questions one round each. A round opens
  with a deadline ``seconds`` after it opened; it is closed by the first
  :func:`finish_round` at or after that deadline, and the next round opens then.
  After the last round the game is finished.
- **One answer per member per round.** :func:`judge_answer` accepts the first
  answer a member gives before the deadline. A late answer, a second answer, an
  answer to a round that is not the current one or to a game that is over changes
  nothing and comes back as a :class:`Refusal` (data: the front end words it).
  Anyone may join at any round: a player is whoever has answered.
- **Scoring.** One point per right answer. The board ranks by points; equal points
  share a place, and the next place counts the players above it (1, 1, 3).
- **Stop.** :func:`stop` closes the round in progress (answers given so far count:
  they are already reviews) and ends the game with its board.
- **A restart.** A round closed more than :data:`RESUME_GRACE` after its deadline
  (the bot was down) ends the game after that round: the players have left, so the
  front end posts the results instead of asking a question nobody is watching.
- **Questions** (:func:`choose_questions`): the deck's multiple-choice cards, the
  ones due for the most players first, then the rest in a seeded shuffle, so that
  the same start gives the same game; a deck with fewer cards than asked plays what
  it has, and one with none is refused.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.clock import require_aware
from bot.core.errors import RecallError

MIN_COUNT = 1
MAX_COUNT = 20
DEFAULT_COUNT = 5
MIN_SECONDS = 10
MAX_SECONDS = 120
DEFAULT_SECONDS = 20
RESUME_GRACE = timedelta(seconds=60)
"""How late after its deadline a round may be closed and the game still go on."""

CardKey = tuple[str, str]
"""(deck id, card id)"""


class GameStatus(StrEnum):
    """Where a game stands."""

    RUNNING = "running"
    FINISHED = "finished"
    """Every planned round was played."""
    STOPPED = "stopped"
    """Ended early with Stop game."""
    INTERRUPTED = "interrupted"
    """Ended after a restart that came too long after a round's deadline."""


# -- refusals (data, never words) -----------------------------------------------------


class Refusal(StrEnum):
    """Why an answer changed nothing."""

    LATE = "late"
    """The round's deadline had passed."""
    ALREADY_ANSWERED = "already_answered"
    """The member had answered this round already."""
    ROUND_OVER = "round_over"
    """The round was closed (or is not the game's current round)."""
    GAME_OVER = "game_over"
    NOT_AN_OPTION = "not_an_option"
    CARD_CHANGED = "card_changed"
    """The option's text changed (a deck reload) since the buttons were drawn."""
    WRONG_PLACE = "wrong_place"
    """The click came from another server than the game's (a copied button)."""


class AnswerRefused(RecallError):
    """An answer that changed nothing, and why (``reason``); ``choice`` is the answer
    the member had already given (``ALREADY_ANSWERED``)."""

    def __init__(self, reason: Refusal, *, choice: int | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.choice = choice


class StartReason(StrEnum):
    """Why a game cannot start."""

    NO_SUCH_DECK = "no_such_deck"
    NO_QUESTIONS = "no_questions"
    BAD_COUNT = "bad_count"
    BAD_SECONDS = "bad_seconds"
    ALREADY_RUNNING = "already_running"
    NOT_IN_A_CHANNEL = "not_in_a_channel"


class CannotStartGame(RecallError):
    """A game the rules refuse to start: ``reason``, the ``deck_id`` asked for, and
    the allowed range (``low``, ``high``) for ``BAD_COUNT`` and ``BAD_SECONDS``."""

    def __init__(
        self,
        reason: StartReason,
        *,
        deck_id: str | None = None,
        low: int | None = None,
        high: int | None = None,
    ) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.deck_id = deck_id
        self.low = low
        self.high = high


class GameNotFound(RecallError):
    """No such game (a button from another database, or the game was deleted)."""


class NotYourGame(RecallError):
    """Stop game pressed by someone who neither started the game nor moderates."""


class GameElsewhere(RecallError):
    """Stop game pressed from another server than the game's (a forged button: only the
    game's own server may end it, whoever moderates elsewhere)."""


class GameOver(RecallError):
    """The game already ended (``status``)."""

    def __init__(self, status: GameStatus) -> None:
        super().__init__(status.value)
        self.status = status


# -- records --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    """One round's card, as it was when the round opened."""

    deck_id: str
    card_id: str
    answer_index: int
    options: int
    """How many options the card has."""

    def __post_init__(self) -> None:
        if not 0 <= self.answer_index < self.options:
            raise ValueError(f"answer {self.answer_index} is not one of {self.options} options")

    @property
    def key(self) -> CardKey:
        """(deck id, card id)"""
        return (self.deck_id, self.card_id)


@dataclass(frozen=True, slots=True)
class PlayerAnswer:
    """A member's one answer to one round."""

    player: int
    choice: int
    correct: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class Round:
    """One question of a game, with its deadline and the answers given to it.

    ``answers`` may be all of the round's answers (closing, the board) or only the
    ones a rule needs: :func:`judge_answer` looks at the answering member's own.
    """

    number: int
    """1-based"""
    question: Question
    started_at: datetime
    deadline: datetime
    answers: tuple[PlayerAnswer, ...] = ()
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.started_at, "started_at")
        require_aware(self.deadline, "deadline")
        if self.number < 1:
            raise ValueError("rounds are numbered from 1")
        if self.deadline <= self.started_at:
            raise ValueError("a round's deadline comes after it opened")

    @property
    def closed(self) -> bool:
        """True once the round was closed."""
        return self.closed_at is not None

    def answer_of(self, player: int) -> PlayerAnswer | None:
        """``player``'s answer to this round, if they gave one."""
        for answer in self.answers:
            if answer.player == player:
                return answer
        return None

    @property
    def winners(self) -> tuple[int, ...]:
        """The players who answered right, in the order they answered."""
        ordered = sorted(self.answers, key=lambda a: (a.at, a.player))
        return tuple(a.player for a in ordered if a.correct)

    def due(self, now: datetime) -> bool:
        """True when the round is open and its deadline has come."""
        return not self.closed and now >= self.deadline


@dataclass(frozen=True, slots=True)
class Game:
    """A game in one channel: its plan, the rounds played so far and its status."""

    id: int
    starter: int | None
    """The learner who started it (None once they deleted their data)."""
    seconds: int
    plan: tuple[CardKey, ...]
    """Every question the game will ask, in order (round ``n`` asks ``plan[n - 1]``)."""
    rounds: tuple[Round, ...] = ()
    status: GameStatus = GameStatus.RUNNING
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def total(self) -> int:
        """Rounds the game plans to play."""
        return len(self.plan)

    @property
    def running(self) -> bool:
        """True until the game ends."""
        return self.status is GameStatus.RUNNING

    @property
    def current(self) -> Round | None:
        """The open round, if any."""
        if not self.running or not self.rounds or self.rounds[-1].closed:
            return None
        return self.rounds[-1]

    @property
    def next_key(self) -> CardKey | None:
        """The card of the round after the last one played, or None after the last."""
        played = len(self.rounds)
        return self.plan[played] if played < len(self.plan) else None


@dataclass(frozen=True, slots=True)
class Placing:
    """One line of the board."""

    place: int
    player: int
    points: int
    answered: int


@dataclass(frozen=True, slots=True)
class Accepted:
    """An answer :func:`judge_answer` took: the round with it, and the answer."""

    round: Round
    answer: PlayerAnswer


@dataclass(frozen=True, slots=True)
class Plan:
    """The questions :func:`choose_questions` picked, and how many of them were due."""

    keys: tuple[CardKey, ...]
    due: int = field(default=0)


# -- rules ----------------------------------------------------------------------------


def check_settings(count: int, seconds: int) -> None:
    """Refuse a count or a round length outside the allowed ranges."""
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise CannotStartGame(StartReason.BAD_COUNT, low=MIN_COUNT, high=MAX_COUNT)
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise CannotStartGame(StartReason.BAD_SECONDS, low=MIN_SECONDS, high=MAX_SECONDS)


def choose_questions(
    candidates: Sequence[CardKey],
    due_for: Mapping[CardKey, int],
    count: int,
    seed: int,
    *,
    deck_id: str | None = None,
) -> Plan:
    """Up to ``count`` of the deck's multiple-choice cards ``candidates``.

    ``due_for`` counts, for each card, the players it is due for. Cards due for the
    most players come first (the game is their review), then the others; within each
    group the order is a shuffle seeded by ``seed``, so the same start gives the same
    game in every process. Raises :class:`CannotStartGame` (``NO_QUESTIONS``, with
    ``deck_id``) when there is no candidate.
    """
    unique = sorted(set(candidates))
    if not unique:
        raise CannotStartGame(StartReason.NO_QUESTIONS, deck_id=deck_id)
    random.Random(seed).shuffle(unique)
    # sorted() is stable: the shuffle orders the cards within each due count.
    ordered = sorted(unique, key=lambda key: -due_for.get(key, 0))
    keys = tuple(ordered[:count])
    return Plan(keys, due=sum(1 for key in keys if due_for.get(key, 0) > 0))


def open_round(number: int, question: Question, now: datetime, seconds: int) -> Round:
    """Round ``number``, asking ``question`` from ``now`` for ``seconds``."""
    return Round(number, question, now, now + timedelta(seconds=seconds))


def start(
    game_id: int,
    starter: int,
    plan: Sequence[CardKey],
    first: Question,
    seconds: int,
    now: datetime,
) -> Game:
    """A new game, its first round (asking ``first``, which is ``plan[0]``) open."""
    if not plan or first.key != plan[0]:
        raise ValueError("the first question is the plan's first")
    return Game(
        id=game_id,
        starter=starter,
        seconds=seconds,
        plan=tuple(plan),
        rounds=(open_round(1, first, now, seconds),),
        started_at=now,
    )


def judge_answer(
    game: Game | GameStatus, round_: Round, player: int, choice: int, now: datetime
) -> Accepted | Refusal:
    """Whether ``player``'s ``choice`` (0-based) counts in ``round_``.

    ``game`` is the game (or only its status); ``round_`` must hold the player's own
    earlier answer if there is one. The first answer before the deadline is accepted;
    anything else is a :class:`Refusal` and changes nothing.
    """
    status = game if isinstance(game, GameStatus) else game.status
    if status is not GameStatus.RUNNING:
        return Refusal.GAME_OVER
    if round_.closed:
        return Refusal.ROUND_OVER
    if not 0 <= choice < round_.question.options:
        return Refusal.NOT_AN_OPTION
    if round_.answer_of(player) is not None:
        return Refusal.ALREADY_ANSWERED
    if now >= round_.deadline:
        return Refusal.LATE
    answer = PlayerAnswer(player, choice, choice == round_.question.answer_index, now)
    return Accepted(replace(round_, answers=(*round_.answers, answer)), answer)


def finish_round(game: Game, now: datetime, next_question: Question | None) -> Game:
    """Close the open round at ``now`` (its deadline has come) and go on.

    ``next_question`` is the card of :attr:`Game.next_key` as it is now, or None when
    there is no next round (the last was played, or the deck lost its next cards).
    The game ends after this round when there is none, or when the round is closed
    more than :data:`RESUME_GRACE` after its deadline (see the module docstring).
    Raises ``ValueError`` when no round is open or its deadline has not come.
    """
    current = game.current
    if current is None or now < current.deadline:
        raise ValueError("no round of this game is due")
    rounds = (*game.rounds[:-1], replace(current, closed_at=now))
    if now - current.deadline > RESUME_GRACE:
        return replace(game, rounds=rounds, status=GameStatus.INTERRUPTED, ended_at=now)
    if next_question is None:
        return replace(game, rounds=rounds, status=GameStatus.FINISHED, ended_at=now)
    if next_question.key != game.next_key:
        raise ValueError("the next question is not the plan's next")
    opened = open_round(current.number + 1, next_question, now, game.seconds)
    return replace(game, rounds=(*rounds, opened))


def may_stop(game: Game, player: int | None, *, moderator: bool) -> bool:
    """Whether ``player`` may stop ``game``: its starter, or a moderator."""
    return moderator or (player is not None and player == game.starter)


def stop(game: Game, player: int | None, now: datetime, *, moderator: bool) -> Game:
    """End the game now, closing the round in progress with the answers given so far.

    Raises :class:`NotYourGame` for anyone but the starter or a moderator, and
    :class:`GameOver` when the game already ended.
    """
    if not may_stop(game, player, moderator=moderator):
        raise NotYourGame()
    if not game.running:
        raise GameOver(game.status)
    rounds = game.rounds
    current = game.current
    if current is not None:
        rounds = (*rounds[:-1], replace(current, closed_at=now))
    return replace(game, rounds=rounds, status=GameStatus.STOPPED, ended_at=now)


def scoreboard(rounds: Sequence[Round]) -> tuple[Placing, ...]:
    """Everyone who answered at least once, by points (one per right answer).

    Equal points share a place and the next place skips (1, 1, 3); within a place,
    the player who answered more rounds comes first, then by id (stable).
    """
    points: dict[int, int] = {}
    answered: dict[int, int] = {}
    for round_ in rounds:
        for answer in round_.answers:
            answered[answer.player] = answered.get(answer.player, 0) + 1
            points[answer.player] = points.get(answer.player, 0) + int(answer.correct)
    order = sorted(answered, key=lambda p: (-points[p], -answered[p], p))
    board: list[Placing] = []
    for index, player in enumerate(order):
        tied = bool(board) and board[-1].points == points[player]
        place = board[-1].place if tied else index + 1
        board.append(Placing(place, player, points[player], answered[player]))
    return tuple(board)


__all__ = [
    "DEFAULT_COUNT",
    "DEFAULT_SECONDS",
    "MAX_COUNT",
    "MAX_SECONDS",
    "MIN_COUNT",
    "MIN_SECONDS",
    "RESUME_GRACE",
    "Accepted",
    "AnswerRefused",
    "CannotStartGame",
    "CardKey",
    "Game",
    "GameElsewhere",
    "GameNotFound",
    "GameOver",
    "GameStatus",
    "NotYourGame",
    "Placing",
    "Plan",
    "PlayerAnswer",
    "Question",
    "Refusal",
    "Round",
    "StartReason",
    "check_settings",
    "choose_questions",
    "finish_round",
    "judge_answer",
    "may_stop",
    "open_round",
    "scoreboard",
    "start",
    "stop",
]
