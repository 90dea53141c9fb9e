"""Channel games end to end: three members in one channel through the fake Discord.

A five-round game with its board and the missed questions then waiting in each
player's /quiz review; a restart during a round; Stop refused to a bystander; a 429
on the round's edit; and (the fixture's teardown) no payload that could ping.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import cast

from bot.core.game import RESUME_GRACE
from bot.core.learner import Identity, Platform
from bot.decks import McqCard
from cogs.games import Games
from tests.e2e.harness import Recall, embed, enabled_labels, ephemeral_text, field_named
from tests.fakediscord.models import FakeMessage, FakeUser

DECK = "django-wsgi-asgi"
LETTERS = "ABCDE"


def games_cog(recall: Recall, *, interval: float = 0.05) -> Games:
    """The running bot's games cog, its edit pacing shortened for the test's speed
    (the pacing itself is tested in tests/test_edit_pacer.py and the bench)."""
    cog = cast(Games, recall.running.get_cog("Games"))
    cog.pacer.interval = interval
    return cog


async def settle(recall: Recall) -> None:
    """Wait for the posts and paced edits pending now."""
    await games_cog(recall).drain()


async def tick(recall: Recall) -> int:
    """One turn of the round loop (tests drive it with the fake clock), then its edits."""
    closed = await games_cog(recall).tick()
    await settle(recall)
    return closed


def card_of(recall: Recall, message: FakeMessage) -> McqCard:
    """The card a round's message asks."""
    deck = recall.running.decks.get(DECK)
    assert deck is not None
    question = embed(message)["description"]
    return next(c for c in deck.cards if isinstance(c, McqCard) and c.question == question)


def option(card: McqCard, right: bool) -> str:
    """The label of the right option, or of a wrong one."""
    index = card.answer_index if right else (card.answer_index + 1) % len(card.options)
    return f"{LETTERS[index]} · {card.options[index]}"


def round_messages(recall: Recall) -> list[FakeMessage]:
    """The channel's round messages, oldest first."""
    return [
        m
        for m in recall.fake.messages_in(recall.hall.channel)
        if m.embeds and " · round " in str(m.embeds[0].get("title", ""))
    ]


def current_round(recall: Recall) -> FakeMessage:
    """The newest round message (the open round)."""
    return round_messages(recall)[-1]


def board(recall: Recall) -> FakeMessage:
    """The channel's scoreboard message."""
    [found] = [
        m
        for m in recall.fake.messages_in(recall.hall.channel)
        if m.embeds and "scoreboard" in str(m.embeds[0].get("title", ""))
    ]
    return found


def as_text(recall: Recall, message: FakeMessage) -> str:
    """A message as a reader sees it: mentions as @names, buttons in brackets."""
    names = {str(u.id): u.username for u in recall.fake.users.values()}

    def named(text: str) -> str:
        return re.sub(r"<@(\d+)>", lambda m: "@" + names.get(m[1], m[1]), text)

    lines: list[str] = [named(message.content)] if message.content else []
    for item in message.embeds:
        lines.append(f"## {item.get('title', '')}")
        if item.get("description"):
            lines.append(named(str(item["description"])))
        for field in item.get("fields", []):
            lines.append(f"{field['name']}: {named(str(field['value']))}")
        if item.get("footer"):
            lines.append(f"({item['footer']['text']})")
    buttons = [
        f"[{c['label']}{' (off)' if c.get('disabled') else ''}]"
        for c in message.iter_components()
        if c.get("type") == 2
    ]
    if buttons:
        lines.append(" ".join(buttons))
    return "\n".join(lines)


async def answer(recall: Recall, user: FakeUser, message: FakeMessage, label: str) -> str:
    """Click an option as ``user``; the private reply's text."""
    return ephemeral_text(await recall.click(user, message, label))


async def three_players(recall: Recall) -> list[FakeUser]:
    carol = recall.fake.add_member(recall.hall.guild, "carol").user
    return [recall.hall.learner, recall.hall.learner2, carol]


async def start_game(recall: Recall, user: FakeUser, **options: object) -> FakeMessage:
    start = await recall.slash(user, "quiz game", {"deck": DECK, **options})
    message = start.message()
    assert message is not None and not message.ephemeral
    return message


async def test_three_members_play_five_rounds_then_review_what_they_missed(
    recall: Recall, tmp_path: Path
) -> None:
    alice, bob, carol = await three_players(recall)
    # Who answers right in rounds 1 to 5 (carol joins in round 2).
    plan: dict[FakeUser, list[bool | None]] = {
        alice: [True, True, False, True, True],
        bob: [True, False, True, False, True],
        carol: [None, True, True, True, False],
    }
    dump: list[str] = []
    first = await start_game(recall, alice, count=5, seconds=20)
    assert embed(first)["title"] == "WSGI vs ASGI in Django · round 1 of 5"
    assert "Stop game" in enabled_labels(first)
    missed: dict[str, set[str]] = {u.username: set() for u in plan}
    for number in range(1, 6):
        message = current_round(recall)
        assert embed(message)["title"].endswith(f"round {number} of 5")
        card = card_of(recall, message)
        deadline = int(re.findall(r"<t:(\d+):R>", field_named(message, "Time left"))[0])
        assert deadline == int((recall.clock() + timedelta(seconds=20)).timestamp())
        assert enabled_labels(message)[:-1] == [
            f"{LETTERS[i]} · {o}" for i, o in enumerate(card.options)
        ]
        dump.append(f"--- round {number}, as posted ---\n{as_text(recall, message)}")
        answered = 0
        for user, rights in plan.items():
            right = rights[number - 1]
            if right is None:
                continue
            label = option(card, right)
            reply = await answer(recall, user, message, label)
            assert reply == f"Answer locked in: {label[0]}"
            dump.append(f"{user.username} clicks [{label}] → privately: {reply}")
            answered += 1
            if not right:
                missed[user.username].add(card.id)
        # A second click changes nothing and says so privately.
        again = await answer(recall, alice, message, option(card, True))
        assert again.startswith("You already answered this round")
        dump.append(f"alice clicks again → privately: {again}")
        await settle(recall)
        assert field_named(message, "Answers") == f"{answered} answered"
        # The public message never tells who chose what before the round ends.
        assert "@" not in as_text(recall, message)
        dump.append(f"--- round {number}, {answered} answered ---\n{as_text(recall, message)}")
        recall.clock.advance(timedelta(seconds=20))
        assert await tick(recall) == 1
        over = round_messages(recall)[number - 1]
        assert embed(over)["title"].endswith("· over")
        assert field_named(over, "Why") == card.explanation
        assert f"**{LETTERS[card.answer_index]} · {card.answer}**" in field_named(over, "Answer")
        winners = [u for u, rights in plan.items() if rights[number - 1]]
        text = as_text(recall, over)
        assert f"Right: {len(winners)} of {answered}: " in text
        for user in plan:
            assert (f"@{user.username}" in text) == (user in winners)
        assert enabled_labels(over) == []  # the buttons are off
        dump.append(f"--- round {number}, over ---\n{text}")
    final = board(recall)
    text = as_text(recall, final)
    dump.append(f"--- the board ---\n{text}")
    assert embed(final)["title"] == "Final scoreboard"
    assert "**1.** @alice · 4 points" in text
    assert "**2.** @carol · 3 points" in text
    assert "**3.** @bob · 3 points" not in text  # ties share a place
    assert "**2.** @bob · 3 points" in text
    assert "5 of 5 rounds played" in text
    assert len(round_messages(recall)) == 5
    assert await recall.review_count() == 14
    (tmp_path / "game.txt").write_text("\n\n".join(dump) + "\n")
    print("\n\n".join(dump))  # the report's dump, with pytest -s

    # Minutes later, what each player missed is due in their own /quiz review.
    recall.clock.advance(timedelta(minutes=5))
    for user in plan:
        review = (await recall.slash(user, "quiz review")).message()
        assert review is not None and review.ephemeral
        title = str(embed(review)["title"])
        assert title.endswith(f"card 1 of {len(missed[user.username])}"), (user, title)
        row = await recall.sql_one(
            "SELECT queue FROM quiz_sessions WHERE learner_id = ? AND kind = 'review'",
            await recall.learner_id(user),
        )
        assert row is not None
        assert {card_id for card_id in missed[user.username]} <= set(
            re.findall(r'"([a-z0-9-]+)"', str(row[0]))
        )


async def test_a_restart_during_a_round_goes_on_with_its_deadline(recall: Recall) -> None:
    alice, bob, carol = await three_players(recall)
    message = await start_game(recall, alice, count=2, seconds=30)
    card = card_of(recall, message)
    await answer(recall, alice, message, option(card, True))
    recall.clock.advance(timedelta(seconds=10))
    await recall.restart()
    assert await tick(recall) == 0  # 20 s are left: the round goes on
    # The buttons of the message posted before the restart still work.
    assert await answer(recall, bob, message, option(card, True)) == (
        f"Answer locked in: {LETTERS[card.answer_index]}"
    )
    await settle(recall)
    assert field_named(message, "Answers") == "2 answered"
    recall.clock.advance(timedelta(seconds=20))
    assert await tick(recall) == 1
    assert "@alice, @bob" in as_text(recall, round_messages(recall)[0])
    assert len(round_messages(recall)) == 2
    # A restart long after the second round's deadline ends the game with its board.
    second = current_round(recall)
    await answer(recall, carol, second, option(card_of(recall, second), False))
    await recall.stop()
    recall.clock.advance(timedelta(seconds=30) + RESUME_GRACE + timedelta(minutes=5))
    await recall.start()
    assert await tick(recall) == 1
    final = board(recall)
    assert embed(final)["title"] == "Game ended after a restart · scoreboard"
    text = as_text(recall, final)
    assert "@alice · 1 point" in text and "@carol · 0 points" in text
    assert embed(round_messages(recall)[1])["title"].endswith("· over")


async def test_stop_is_refused_to_a_bystander_and_works_for_a_moderator(recall: Recall) -> None:
    alice, bob, _carol = await three_players(recall)
    message = await start_game(recall, alice, count=3)
    card = card_of(recall, message)
    await answer(recall, bob, message, option(card, True))
    refused = await recall.click(bob, message, "Stop game")
    assert ephemeral_text(refused) == (
        "Only the member who started this game, or a moderator, can stop it."
    )
    assert "Stop game" in enabled_labels(message)
    public = [m for m in recall.fake.messages_in(recall.hall.channel) if not m.ephemeral]
    assert public == [message]  # no board: the game goes on
    stopped = await recall.click(recall.hall.moderator, message, "Stop game")
    assert ephemeral_text(stopped) == "You stopped the game."
    await settle(recall)
    assert embed(message)["title"].endswith("· over")
    final = board(recall)
    assert embed(final)["title"] == "Game stopped · scoreboard"
    assert "@bob · 1 point" in as_text(recall, final)
    assert "1 of 3 rounds played" in as_text(recall, final)
    # A client still showing the round's first version: its clicks change nothing.
    for custom_id in (_custom_id(message, option(card, True)), _custom_id(message, "Stop game")):
        stale = await recall.fake.click(alice, message, custom_id, as_of=0)
        await stale.response()
        assert ephemeral_text(stale) in (
            "This game is over. Start another with /quiz game.",
            "This game is already over.",
        )
    assert await recall.review_count() == 1
    # A second game may start in the channel now.
    await start_game(recall, bob)


def _custom_id(message: FakeMessage, label: str) -> str:
    """A button's id as first posted (the current version may have it disabled)."""
    for component in message.versions[0].components:
        for button in component.get("components", []):
            if button.get("label") == label:
                return str(button["custom_id"])
    raise AssertionError(f"no button {label!r}")


async def test_one_game_per_channel_and_late_answers_are_refused(recall: Recall) -> None:
    alice, bob, _carol = await three_players(recall)
    message = await start_game(recall, alice, seconds=10)
    again = await recall.slash(bob, "quiz game", {"deck": DECK})
    assert ephemeral_text(again).startswith("A game is already running in this channel")
    recall.clock.advance(timedelta(seconds=10))  # the deadline, before the loop's tick
    late = await answer(recall, bob, message, option(card_of(recall, message), True))
    assert late == "Time was up for this round, so your answer was not counted."
    assert await recall.review_count() == 0


async def test_a_429_on_the_rounds_edit_loses_no_answer(recall: Recall) -> None:
    alice, bob, carol = await three_players(recall)
    message = await start_game(recall, alice)
    card = card_of(recall, message)
    edits = rf"/channels/{recall.hall.channel.id}/messages/{message.id}$"
    limit = recall.fake.rate_limit("PATCH", edits, times=2, retry_after=0.3)
    for user in (alice, bob, carol):
        await answer(recall, user, message, option(card, user is not bob))
    await settle(recall)
    assert limit.hits == 2  # discord.py waited and tried again
    assert field_named(message, "Answers") == "3 answered"
    assert await recall.review_count() == 3
    recall.clock.advance(timedelta(seconds=20))
    recall.fake.rate_limit("PATCH", edits, times=1, retry_after=0.3)
    assert await tick(recall) == 1
    assert "@alice, @carol" in as_text(recall, message)


async def test_games_are_refused_outside_a_server_and_for_a_deck_without_questions(
    recall: Recall,
) -> None:
    alice = recall.hall.learner
    await recall.running.tree.sync()  # global commands, as in production: usable in DMs
    dm = await recall.slash(
        alice, "quiz game", {"deck": DECK}, channel=recall.fake.dm_channel(alice)
    )
    assert ephemeral_text(dm) == "Games run in a server channel, not in DMs."
    unknown = await recall.slash(alice, "quiz game", {"deck": "nope"})
    assert ephemeral_text(unknown) == "There is no deck called 'nope'. See /quiz decks."
    (recall.settings.content_dir / "flash.yaml").write_text(
        "id: flash\ntitle: Only flashcards\ncards:\n"
        "  - id: one\n    type: flashcard\n    level: beginner\n"
        "    front: Front?\n    back: Back.\n"
    )
    await recall.restart()
    flash = await recall.slash(alice, "quiz game", {"deck": "flash"})
    assert ephemeral_text(flash) == (
        "Deck 'flash' has no multiple-choice questions, so it can't be played as a game."
    )
    assert await recall.sql("SELECT id FROM games") == []


async def test_forged_and_unknown_game_buttons_record_nothing(recall: Recall) -> None:
    alice, bob, _carol = await three_players(recall)
    message = await start_game(recall, alice)
    real = _custom_id(message, "Stop game")  # recall:game:<id>:stop
    game_id = real.split(":")[2]
    answer_id = next(
        str(c["custom_id"]) for c in message.iter_components() if ":o" in str(c["custom_id"])
    )
    too_big = "9" * 19
    for custom_id in (
        f"recall:game:{too_big}:stop",
        answer_id.replace(f":{game_id}:", f":{too_big}:"),
    ):
        forged = await recall.fake.click(bob, message, custom_id, forged=True)
        await forged.response()
        assert ephemeral_text(forged) == "That button is not one Recall made, so nothing was done."
    unknown = answer_id.replace(f":{game_id}:", ":424242:")
    gone = await recall.fake.click(bob, message, unknown, forged=True)
    await gone.response()
    assert ephemeral_text(gone) == "This game no longer exists."
    assert await recall.review_count() == 0


async def test_a_round_no_message_shows_is_posted_by_the_loop(recall: Recall) -> None:
    alice, bob, _carol = await three_players(recall)
    hall = recall.hall
    # A process opened the round, then died before posting it.
    view = await recall.running.games.start(
        Identity(Platform.DISCORD, str(alice.id)),
        Identity(Platform.DISCORD, str(hall.guild.id)),
        str(hall.channel.id),
        DECK,
        count=1,
        seconds=30,
    )
    await recall.restart()
    assert round_messages(recall) == []
    await tick(recall)
    assert round_messages(recall) == []  # just opened: its process may still post it
    recall.clock.advance(timedelta(seconds=6))
    await tick(recall)
    [posted] = round_messages(recall)
    assert embed(posted)["title"].endswith("round 1 of 1")
    shown = re.findall(r"<t:(\d+):R>", field_named(posted, "Time left"))
    assert shown == [str(int(view.deadline.timestamp()))]  # the stored deadline
    reply = await answer(recall, bob, posted, option(card_of(recall, posted), True))
    assert reply.startswith("Answer locked in")
    await tick(recall)
    assert len(round_messages(recall)) == 1  # posted once


async def test_an_edit_discord_refuses_is_not_retried(recall: Recall) -> None:
    """A 400 is Discord refusing the message itself (too long, say): the same edit would
    be refused again, so it is logged once, not retried (found in review: the pacer
    tried five times and gave up, and the game went on)."""
    alice, bob, _carol = await three_players(recall)
    message = await start_game(recall, alice, count=2)
    await answer(recall, bob, message, option(card_of(recall, message), True))
    await settle(recall)
    first = round_messages(recall)[0]
    refused = recall.fake.fail(
        "PATCH", rf"messages/{first.id}$", status=400, code=50035, message="Invalid Form Body"
    )
    cog = games_cog(recall)
    failures = cog.pacer.failures
    recall.clock.advance(timedelta(seconds=30))
    assert await tick(recall) == 1
    assert refused.hits == 1
    assert cog.pacer.failures == failures
    assert len(round_messages(recall)) == 2  # the game goes on with round 2
