"""The channel game's rules (bot.core.game), with a fake clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.game import (
    RESUME_GRACE,
    Accepted,
    CannotStartGame,
    Game,
    GameOver,
    GameStatus,
    NotYourGame,
    Question,
    Refusal,
    StartReason,
    check_settings,
    choose_questions,
    finish_round,
    judge_answer,
    scoreboard,
    start,
    stop,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PLAN = [("d", "q1"), ("d", "q2"), ("d", "q3")]
ALICE, BOB, CAROL, DAVE = 1, 2, 3, 4


def question(key: tuple[str, str], answer: int = 1) -> Question:
    return Question(key[0], key[1], answer_index=answer, options=4)


def new_game(clock: FakeClock, plan: list[tuple[str, str]] = PLAN, seconds: int = 20) -> Game:
    return start(7, ALICE, plan, question(plan[0]), seconds, clock())


def answer(game: Game, player: int, choice: int, clock: FakeClock) -> Game:
    current = game.current
    assert current is not None
    verdict = judge_answer(game, current, player, choice, clock())
    assert isinstance(verdict, Accepted), verdict
    return replace(game, rounds=(*game.rounds[:-1], verdict.round))


def next_round(game: Game, clock: FakeClock) -> Game:
    key = game.next_key
    return finish_round(game, clock(), None if key is None else question(key))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def test_a_round_has_a_deadline_seconds_after_it_opened(clock: FakeClock) -> None:
    game = new_game(clock, seconds=30)
    assert game.current is not None
    assert game.current.number == 1
    assert game.current.deadline == T0 + timedelta(seconds=30)
    assert not game.current.due(clock.advance(timedelta(seconds=29)))
    assert game.current.due(clock.advance(timedelta(seconds=1)))


def test_an_answer_before_the_deadline_counts_and_is_graded(clock: FakeClock) -> None:
    game = new_game(clock)
    clock.advance(timedelta(seconds=5))
    current = game.current
    assert current is not None
    right = judge_answer(game, current, ALICE, 1, clock())
    wrong = judge_answer(game, current, BOB, 2, clock())
    assert isinstance(right, Accepted) and right.answer.correct
    assert isinstance(wrong, Accepted) and not wrong.answer.correct
    assert right.answer.at == T0 + timedelta(seconds=5)


def test_a_late_answer_changes_nothing_and_says_why(clock: FakeClock) -> None:
    game = new_game(clock)
    clock.advance(timedelta(seconds=20))  # exactly at the deadline: too late
    current = game.current
    assert current is not None
    assert judge_answer(game, current, ALICE, 1, clock()) is Refusal.LATE


def test_a_second_answer_changes_nothing(clock: FakeClock) -> None:
    game = answer(new_game(clock), ALICE, 2, clock)
    current = game.current
    assert current is not None
    assert judge_answer(game, current, ALICE, 1, clock()) is Refusal.ALREADY_ANSWERED
    assert current.answer_of(ALICE) is not None
    assert current.answer_of(ALICE).choice == 2  # type: ignore[union-attr]


def test_an_option_the_card_does_not_have_is_refused(clock: FakeClock) -> None:
    game = new_game(clock)
    current = game.current
    assert current is not None
    assert judge_answer(game, current, ALICE, 4, clock()) is Refusal.NOT_AN_OPTION


def test_closing_opens_the_next_round_and_the_last_finishes_the_game(clock: FakeClock) -> None:
    game = new_game(clock)
    first = game.current
    assert first is not None
    with pytest.raises(ValueError, match="no round"):
        next_round(game, clock)  # before the deadline
    clock.advance(timedelta(seconds=20))
    game = next_round(game, clock)
    assert game.rounds[0].closed
    assert game.current is not None and game.current.number == 2
    assert game.current.question.key == PLAN[1]
    assert game.current.deadline == clock() + timedelta(seconds=20)
    # An answer to the closed round is refused.
    assert judge_answer(game, game.rounds[0], BOB, 1, clock()) is Refusal.ROUND_OVER
    for _ in range(2):
        clock.advance(timedelta(seconds=20))
        game = next_round(game, clock)
    assert game.status is GameStatus.FINISHED
    assert game.ended_at == clock()
    assert game.current is None
    assert len(game.rounds) == 3


def test_a_player_joining_in_round_two_is_scored_from_there(clock: FakeClock) -> None:
    game = answer(new_game(clock), ALICE, 1, clock)
    clock.advance(timedelta(seconds=20))
    game = next_round(game, clock)
    game = answer(game, ALICE, 1, clock)
    game = answer(game, BOB, 1, clock)  # joins now
    clock.advance(timedelta(seconds=20))
    game = next_round(game, clock)
    board = scoreboard(game.rounds)
    assert [(p.player, p.points, p.answered, p.place) for p in board] == [
        (ALICE, 2, 2, 1),
        (BOB, 1, 1, 2),
    ]


def test_ties_share_a_place_and_the_next_place_skips(clock: FakeClock) -> None:
    game = new_game(clock)
    for player, choice in ((ALICE, 1), (BOB, 1), (CAROL, 0), (DAVE, 0)):
        game = answer(game, player, choice, clock)
    clock.advance(timedelta(seconds=20))
    game = next_round(game, clock)
    for player, choice in ((ALICE, 1), (BOB, 1), (CAROL, 1), (DAVE, 0)):
        game = answer(game, player, choice, clock)
    clock.advance(timedelta(seconds=20))
    game = next_round(game, clock)
    board = scoreboard(game.rounds)
    assert [(p.place, p.player, p.points) for p in board] == [
        (1, ALICE, 2),
        (1, BOB, 2),
        (3, CAROL, 1),
        (4, DAVE, 0),
    ]


def test_winners_are_listed_in_the_order_they_answered(clock: FakeClock) -> None:
    game = new_game(clock)
    clock.advance(timedelta(seconds=3))
    game = answer(game, BOB, 1, clock)
    clock.advance(timedelta(seconds=3))
    game = answer(game, CAROL, 0, clock)
    game = answer(game, ALICE, 1, clock)
    assert game.current is not None
    assert game.current.winners == (BOB, ALICE)


def test_stop_mid_round_keeps_the_answers_and_ends_the_game(clock: FakeClock) -> None:
    game = answer(new_game(clock), BOB, 1, clock)
    clock.advance(timedelta(seconds=5))
    with pytest.raises(NotYourGame):
        stop(game, BOB, clock(), moderator=False)
    stopped = stop(game, ALICE, clock(), moderator=False)
    assert stopped.status is GameStatus.STOPPED
    assert stopped.rounds[0].closed_at == clock()
    assert [p.player for p in scoreboard(stopped.rounds)] == [BOB]
    assert judge_answer(stopped, stopped.rounds[0], CAROL, 1, clock()) is Refusal.GAME_OVER
    with pytest.raises(GameOver):
        stop(stopped, ALICE, clock(), moderator=False)


def test_a_moderator_may_stop_anyones_game(clock: FakeClock) -> None:
    game = new_game(clock)
    assert stop(game, DAVE, clock(), moderator=True).status is GameStatus.STOPPED


def test_a_round_closed_long_after_its_deadline_ends_the_game(clock: FakeClock) -> None:
    game = answer(new_game(clock), ALICE, 1, clock)
    clock.advance(timedelta(seconds=20) + RESUME_GRACE)
    going_on = next_round(game, clock)  # exactly the grace: the game goes on
    assert going_on.running and going_on.current is not None
    clock.advance(timedelta(seconds=1))
    ended = next_round(game, clock)
    assert ended.status is GameStatus.INTERRUPTED
    assert ended.rounds[0].closed and len(ended.rounds) == 1
    assert [p.points for p in scoreboard(ended.rounds)] == [1]


def test_questions_due_for_players_come_first(clock: FakeClock) -> None:
    cards = [("d", f"q{n}") for n in range(10)]
    due = {("d", "q7"): 1, ("d", "q3"): 2}
    plan = choose_questions(cards, due, 5, seed=42)
    assert plan.keys[:2] == (("d", "q3"), ("d", "q7"))
    assert len(set(plan.keys)) == 5
    assert plan.due == 2
    assert choose_questions(cards, due, 5, seed=42) == plan  # same seed, same game
    others = {choose_questions(cards, {}, 5, seed=s).keys for s in range(5)}
    assert len(others) > 1  # the seed shuffles


def test_a_deck_with_fewer_cards_plays_what_it_has_and_none_is_refused() -> None:
    assert len(choose_questions([("d", "a"), ("d", "b")], {}, 5, seed=1).keys) == 2
    with pytest.raises(CannotStartGame) as refused:
        choose_questions([], {}, 5, seed=1, deck_id="empty")
    assert refused.value.reason is StartReason.NO_QUESTIONS
    assert refused.value.deck_id == "empty"


@pytest.mark.parametrize(
    ("count", "seconds", "reason"),
    [
        (0, 20, StartReason.BAD_COUNT),
        (21, 20, StartReason.BAD_COUNT),
        (5, 9, StartReason.BAD_SECONDS),
        (5, 121, StartReason.BAD_SECONDS),
    ],
)
def test_count_and_seconds_are_checked(count: int, seconds: int, reason: StartReason) -> None:
    with pytest.raises(CannotStartGame) as refused:
        check_settings(count, seconds)
    assert refused.value.reason is reason
    assert refused.value.low is not None and refused.value.high is not None
    check_settings(1, 10)
    check_settings(20, 120)


def test_records_refuse_impossible_values(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="not one of"):
        Question("d", "q", answer_index=4, options=4)
    with pytest.raises(ValueError, match="first question"):
        start(1, ALICE, PLAN, question(PLAN[1]), 20, clock())
