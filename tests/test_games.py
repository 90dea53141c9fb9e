"""Channel games through the service, on both backends: one game per channel, answers
as reviews, rounds closing at their deadlines, stop, and going on after a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.game import (
    RESUME_GRACE,
    AnswerRefused,
    CannotStartGame,
    GameElsewhere,
    GameOver,
    GameStatus,
    NotYourGame,
    Refusal,
    StartReason,
)
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.core.session import option_fingerprint
from bot.decks import DeckLibrary, McqCard
from bot.services.games import GameService, Progress, RoundView
from bot.services.study import StudyService, Where
from bot.storage import Store, learners
from bot.storage.errors import Conflict
from bot.storage.script import execute, rows, value
from tests.conftest import SHIPPED_DECK

GUILD = Identity(Platform.DISCORD, "900")
OTHER_GUILD = Identity(Platform.DISCORD, "901")
CHANNEL = "700"
ALICE, BOB, CAROL = (Identity(Platform.DISCORD, str(n)) for n in (1, 2, 3))


@pytest.fixture
def games(
    store: Store, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock
) -> GameService:
    return GameService(store, library, scheduler, clock)


def card_of(view: RoundView) -> McqCard:
    assert view.card is not None
    return view.card


async def answer(games: GameService, who: Identity, view: RoundView, *, right: bool) -> None:
    card = card_of(view)
    choice = card.answer_index if right else (card.answer_index + 1) % len(card.options)
    await games.answer(
        who,
        view.game_id,
        view.number,
        choice,
        community=GUILD,
        fingerprint=option_fingerprint(card.options[choice]),
    )


async def count(store: Store, table: str) -> int:
    return int(await store.read(value(f"SELECT COUNT(*) FROM {table}")))


async def test_a_game_starts_with_its_first_round_open(
    games: GameService, clock: FakeClock
) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, count=3, seconds=30)
    assert (view.number, view.total, view.closed, view.answered) == (1, 3, False, 0)
    assert view.deadline == clock() + timedelta(seconds=30)
    assert view.game_status is GameStatus.RUNNING
    assert isinstance(view.card, McqCard)


async def test_one_running_game_per_channel(games: GameService, store: Store) -> None:
    await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK)
    with pytest.raises(CannotStartGame) as refused:
        await games.start(BOB, GUILD, CHANNEL, SHIPPED_DECK)
    assert refused.value.reason is StartReason.ALREADY_RUNNING
    await games.start(BOB, GUILD, "701", SHIPPED_DECK)  # another channel is free
    # The database itself refuses a second running game in the channel.
    with pytest.raises(Conflict):
        await store.write(
            execute(
                "INSERT INTO games (community_id, channel, deck_id, seconds, plan, started_at)"
                " SELECT community_id, channel, deck_id, seconds, plan, started_at FROM games"
                " WHERE channel = ?",
                CHANNEL,
            )
        )
    assert await count(store, "games") == 2


async def test_concurrent_starts_in_one_channel_make_one_game(
    games: GameService, store: Store
) -> None:
    results = await asyncio.gather(
        *(games.start(who, GUILD, CHANNEL, SHIPPED_DECK) for who in (ALICE, BOB, CAROL)),
        return_exceptions=True,
    )
    started = [r for r in results if isinstance(r, RoundView)]
    refused = [r for r in results if isinstance(r, CannotStartGame)]
    assert len(started) == 1 and len(refused) == 2, results
    assert await count(store, "games") == 1


async def test_bad_starts_are_refused_with_data(
    games: GameService, store: Store, tmp_path: Path, scheduler: CardScheduler, clock: FakeClock
) -> None:
    cases = [
        (dict(deck_id="nope"), StartReason.NO_SUCH_DECK),
        (dict(deck_id=SHIPPED_DECK, count=21), StartReason.BAD_COUNT),
        (dict(deck_id=SHIPPED_DECK, seconds=5), StartReason.BAD_SECONDS),
    ]
    for options, reason in cases:
        with pytest.raises(CannotStartGame) as refused:
            await games.start(ALICE, GUILD, CHANNEL, **options)  # type: ignore[arg-type]
        assert refused.value.reason is reason
    with pytest.raises(CannotStartGame) as refused:
        await games.start(ALICE, None, None, SHIPPED_DECK)
    assert refused.value.reason is StartReason.NOT_IN_A_CHANNEL
    (tmp_path / "flash.yaml").write_text(
        "id: flash\ntitle: Only flashcards\ncards:\n"
        "  - id: one\n    type: flashcard\n    level: beginner\n"
        "    front: Front?\n    back: Back.\n"
    )
    flash_only, problems = DeckLibrary.load(tmp_path)
    assert problems == ()
    service = GameService(store, flash_only, scheduler, clock)
    with pytest.raises(CannotStartGame) as refused:
        await service.start(ALICE, GUILD, CHANNEL, "flash")
    assert (refused.value.reason, refused.value.deck_id) == (StartReason.NO_QUESTIONS, "flash")
    assert await count(store, "games") == 0


async def test_a_deck_with_fewer_questions_plays_what_it_has(games: GameService) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, count=20)
    assert view.total == len(games.candidates(SHIPPED_DECK)) == 5


async def test_every_answer_is_a_review_in_the_same_transaction(
    games: GameService, store: Store
) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK)
    await answer(games, ALICE, view, right=True)
    await answer(games, BOB, view, right=False)
    found = await store.read(
        rows(
            "SELECT l.external_id, r.deck_id, r.card_id, r.correct, r.rating, r.community_id"
            " IS NOT NULL AS here, r.session_id FROM reviews r JOIN learners l"
            " ON l.id = r.learner_id ORDER BY l.external_id"
        )
    )
    assert [tuple(row[i] for i in range(7)) for row in found] == [
        ("1", SHIPPED_DECK, view.question.card_id, 1, 3, True, None),
        ("2", SHIPPED_DECK, view.question.card_id, 0, 1, True, None),
    ]
    assert await count(store, "card_states") == 2
    assert await count(store, "game_answers") == 2
    xp = await store.read(value("SELECT xp FROM learners WHERE external_id = '1'"))
    assert xp > 0
    assert (await games.round(view.game_id, 1)).answered == 2


async def test_a_second_or_late_answer_changes_nothing(
    games: GameService, store: Store, clock: FakeClock
) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, seconds=20)
    await answer(games, ALICE, view, right=False)
    with pytest.raises(AnswerRefused) as refused:
        await answer(games, ALICE, view, right=True)
    assert refused.value.reason is Refusal.ALREADY_ANSWERED
    assert refused.value.choice is not None
    clock.advance(timedelta(seconds=20))
    with pytest.raises(AnswerRefused) as refused:
        await answer(games, BOB, view, right=True)
    assert refused.value.reason is Refusal.LATE
    assert await count(store, "reviews") == 1
    assert await count(store, "game_answers") == 1


async def test_duplicate_answers_at_once_record_one(games: GameService, store: Store) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK)
    results = await asyncio.gather(
        *(answer(games, BOB, view, right=True) for _ in range(5)), return_exceptions=True
    )
    refusals = [r for r in results if isinstance(r, AnswerRefused)]
    assert len(refusals) == 4, results
    assert {r.reason for r in refusals} == {Refusal.ALREADY_ANSWERED}
    assert await count(store, "reviews") == 1


async def test_answers_from_another_server_or_a_changed_card_are_refused(
    games: GameService, store: Store
) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK)
    card = card_of(view)
    with pytest.raises(AnswerRefused) as refused:
        await games.answer(BOB, view.game_id, 1, 0, community=OTHER_GUILD)
    assert refused.value.reason is Refusal.WRONG_PLACE
    with pytest.raises(AnswerRefused) as refused:
        await games.answer(BOB, view.game_id, 1, 0, community=GUILD, fingerprint="ffff")
    assert option_fingerprint(card.options[0]) != "ffff"
    assert refused.value.reason is Refusal.CARD_CHANGED
    with pytest.raises(AnswerRefused) as refused:
        await games.answer(BOB, view.game_id, 1, 7, community=GUILD)
    assert refused.value.reason is Refusal.NOT_AN_OPTION
    assert await count(store, "reviews") == 0


async def test_rounds_close_at_their_deadline_and_the_game_ends_with_its_board(
    games: GameService, clock: FakeClock
) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, count=3, seconds=20)
    assert await games.close_round(view.game_id, 1) is None  # not yet due
    assert await games.due_rounds(Platform.DISCORD) == []
    progress: Progress | None = None
    right = {ALICE: [True, True, False], BOB: [True, False, True], CAROL: [False, False, False]}
    for number in range(1, 4):
        clock.advance(timedelta(seconds=5))
        for who, results in right.items():
            await answer(games, who, view, right=results[number - 1])
        clock.advance(timedelta(seconds=15))
        [due] = await games.due_rounds(Platform.DISCORD)
        assert (due.game_id, due.number, due.channel) == (view.game_id, number, CHANNEL)
        progress = await games.close_round(view.game_id, number)
        assert progress is not None and progress.closed is not None
        assert progress.closed.closed and progress.closed.number == number
        expected = [who for who, results in right.items() if results[number - 1]]
        assert list(progress.closed.winners) == expected
        assert await games.close_round(view.game_id, number) is None  # once only
        with pytest.raises(AnswerRefused):
            await answer(games, CAROL, view, right=True)
        if number < 3:
            assert progress.opened is not None and progress.ended is None
            assert progress.opened.number == number + 1
            assert progress.opened.deadline == clock() + timedelta(seconds=20)
            view = progress.opened
        else:
            assert progress.opened is None and progress.ended is not None
    assert progress is not None and progress.ended is not None
    assert progress.ended.status is GameStatus.FINISHED
    assert [(line.place, line.who, line.points) for line in progress.ended.board] == [
        (1, ALICE, 2),
        (1, BOB, 2),
        (3, CAROL, 0),
    ]
    assert await games.next_deadline(Platform.DISCORD) is None
    # The channel is free again.
    await games.start(BOB, GUILD, CHANNEL, SHIPPED_DECK)


async def test_stop_is_for_the_starter_or_a_moderator(
    games: GameService, store: Store, clock: FakeClock
) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK)
    await answer(games, BOB, view, right=True)
    with pytest.raises(NotYourGame):
        await games.stop(BOB, view.game_id, community=GUILD, moderator=False)
    with pytest.raises(NotYourGame):
        await games.stop(
            Identity(Platform.DISCORD, "99"), view.game_id, community=GUILD, moderator=False
        )
    clock.advance(timedelta(seconds=3))
    progress = await games.stop(ALICE, view.game_id, community=GUILD, moderator=False)
    assert progress.closed is not None and progress.closed.winners == (BOB,)
    assert progress.ended is not None and progress.ended.status is GameStatus.STOPPED
    assert progress.ended.rounds_played == 1
    with pytest.raises(GameOver):
        await games.stop(ALICE, view.game_id, community=GUILD, moderator=True)
    other = await games.start(BOB, GUILD, CHANNEL, SHIPPED_DECK)
    stopped = await games.stop(CAROL, other.game_id, community=GUILD, moderator=True)
    assert stopped.ended is not None and stopped.ended.board == ()
    assert await count(store, "reviews") == 1


async def test_stop_from_another_server_changes_nothing(
    games: GameService, store: Store, clock: FakeClock
) -> None:
    """Found in review: Stop game took no server, so a moderator of another server (a
    forged button there) could end this server's game."""
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK)
    await answer(games, BOB, view, right=True)
    for elsewhere in (OTHER_GUILD, None):
        with pytest.raises(GameElsewhere):
            await games.stop(CAROL, view.game_id, community=elsewhere, moderator=True)
        with pytest.raises(GameElsewhere):  # not even the starter, from elsewhere
            await games.stop(ALICE, view.game_id, community=elsewhere, moderator=False)
    assert await store.read(value("SELECT status FROM games")) == "running"
    assert await games.next_deadline(Platform.DISCORD) == view.deadline
    stopped = await games.stop(CAROL, view.game_id, community=GUILD, moderator=True)
    assert stopped.ended is not None and stopped.ended.status is GameStatus.STOPPED


async def test_a_new_process_goes_on_with_the_stored_deadline(
    store: Store, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock
) -> None:
    first = GameService(store, library, scheduler, clock)
    view = await first.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, count=2, seconds=20)
    await answer(first, BOB, view, right=True)
    # "Restart": a new service (as a new process would build) on the same database.
    second = GameService(store, library, scheduler, clock)
    assert await second.next_deadline(Platform.DISCORD) == view.deadline
    [unshown] = await second.unshown_rounds(Platform.DISCORD)
    assert unshown.number == 1
    await second.set_round_message(view.game_id, 1, "m1")
    assert await second.unshown_rounds(Platform.DISCORD) == []
    clock.advance(timedelta(seconds=25))
    [due] = await second.due_rounds(Platform.DISCORD)
    progress = await second.close_round(due.game_id, due.number)
    assert progress is not None and progress.opened is not None
    assert progress.closed is not None and progress.closed.message == "m1"
    assert progress.closed.winners == (BOB,)


async def test_a_game_left_too_long_is_ended_with_its_results(
    games: GameService, clock: FakeClock
) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, count=3, seconds=20)
    await answer(games, BOB, view, right=True)
    clock.advance(timedelta(seconds=20) + RESUME_GRACE + timedelta(seconds=1))
    progress = await games.close_round(view.game_id, 1)
    assert progress is not None and progress.opened is None
    assert progress.ended is not None and progress.ended.status is GameStatus.INTERRUPTED
    assert [(line.who, line.points) for line in progress.ended.board] == [(BOB, 1)]


async def test_missed_questions_wait_in_the_players_review(
    games: GameService, study: StudyService, clock: FakeClock
) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, count=2, seconds=20)
    await answer(games, BOB, view, right=False)
    missed = view.question.card_id
    clock.advance(timedelta(seconds=20))
    progress = await games.close_round(view.game_id, 1)
    assert progress is not None and progress.opened is not None
    await answer(games, BOB, progress.opened, right=True)
    # A miss (Again) is due again within minutes; a right answer (Good) later.
    clock.advance(timedelta(minutes=5))
    review = await study.start_review(BOB, Where(GUILD, CHANNEL))
    cards = [item.card_id for item in review.session.queue]
    assert missed in cards
    assert progress.opened.question.card_id not in cards


async def test_due_cards_of_the_players_come_first(games: GameService, clock: FakeClock) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, count=5, seconds=10)
    for number in range(1, 6):
        await answer(games, BOB, view, right=number != 4)  # misses one card
        if number == 4:
            missed = view.question.card_id
        clock.advance(timedelta(seconds=10))
        progress = await games.close_round(view.game_id, number)
        assert progress is not None
        if progress.opened is not None:
            view = progress.opened
    clock.advance(timedelta(minutes=5))  # the miss is due; the right answers are not
    # Bob played the channel's last game: his due card opens the next one.
    nxt = await games.start(CAROL, GUILD, CHANNEL, SHIPPED_DECK, count=5)
    assert nxt.question.card_id == missed


async def test_forget_me_takes_a_players_answers_out_of_the_game(
    games: GameService, store: Store, clock: FakeClock
) -> None:
    view = await games.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, count=2)
    await answer(games, ALICE, view, right=True)
    await answer(games, BOB, view, right=True)
    alice_id = await store.read(value("SELECT id FROM learners WHERE external_id = '1'"))
    assert await store.write(learners.delete(int(alice_id))) is True
    assert await store.read(value("SELECT starter_learner_id FROM games")) is None
    assert await count(store, "game_answers") == 1
    clock.advance(timedelta(seconds=20))
    progress = await games.close_round(view.game_id, 1)
    assert progress is not None and progress.closed is not None
    assert progress.closed.winners == (BOB,)
    # Nobody started it any more: a moderator may still stop it.
    with pytest.raises(NotYourGame):
        await games.stop(ALICE, view.game_id, community=GUILD, moderator=False)
    stopped = await games.stop(CAROL, view.game_id, community=GUILD, moderator=True)
    assert stopped.ended is not None
    assert [line.who for line in stopped.ended.board] == [BOB]


async def test_two_processes_closing_one_round_close_it_once(
    store: Store, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock
) -> None:
    one = GameService(store, library, scheduler, clock)
    other = GameService(store, library, scheduler, clock)
    view = await one.start(ALICE, GUILD, CHANNEL, SHIPPED_DECK, count=3)
    await answer(one, BOB, view, right=True)
    clock.advance(timedelta(seconds=20))
    results = await asyncio.gather(
        one.close_round(view.game_id, 1), other.close_round(view.game_id, 1)
    )
    closed = [r for r in results if r is not None]
    assert len(closed) == 1
    assert await count(store, "game_rounds") == 2  # round 2 opened once
