"""Every moderator command and button re-checks Manage Server in its handler.

``default_member_permissions`` only hides a command: a server admin can allow it
for anyone (Server Settings → Integrations; the fake models that override with
``allow_command``). Each case below is run by a learner who was given the command
that way, and must be refused with nothing shown or changed. To cover a new
moderator command, add a case: ``test_every_synced_moderator_command_has_a_case``
fails until you do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot.core.learner import Identity, Platform
from tests.e2e.harness import Recall, answer_mcqs, custom_id_of
from tests.fakediscord.interactions import Interaction
from tests.fakediscord.models import FakeUser

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2

NOT_COVERED_HERE = {
    # For the bot's owner, not for moderators: tested with the owner check.
    "quiz-admin reload",
}


@dataclass(frozen=True)
class Case:
    """One moderator action run by a learner who holds a server override."""

    #: The synced command it covers (``None`` for a button or an option).
    command: str | None
    #: Runs the action as ``actor`` (given the override) and returns its interaction.
    run: Callable[[Recall, FakeUser], Awaitable[Interaction]]
    #: Checks afterwards that nothing changed (besides the refusal).
    unchanged: Callable[[Recall], Awaitable[None]] | None = None


async def _slash(
    recall: Recall, actor: FakeUser, command: str, options: dict[str, object] | None = None
) -> Interaction:
    recall.fake.allow_command(recall.hall.guild, command.split()[0], actor)
    return await recall.slash(actor, command, options)


def _hall(recall: Recall) -> Identity:
    return Identity(Platform.DISCORD, str(recall.hall.guild.id))


async def _daily_is_off(recall: Recall) -> None:
    schedule = await recall.running.daily.schedule(_hall(recall))
    assert schedule is None


async def _daily_is_on(recall: Recall) -> None:
    schedule = await recall.running.daily.schedule(_hall(recall))
    assert schedule is not None


async def _daily_off(recall: Recall, actor: FakeUser) -> Interaction:
    hall = recall.hall
    on = await recall.slash(
        hall.moderator,
        "quiz-admin daily set",
        {"channel": hall.channel, "time": "09:00", "zone": "UTC"},
    )
    assert on.message() is not None
    await _daily_is_on(recall)
    return await _slash(recall, actor, "quiz-admin daily off")


async def _page_button(recall: Recall, actor: FakeUser) -> Interaction:
    """A moderator's private board, clicked after they lost Manage Server."""
    hall = recall.hall
    for i in range(11):  # two pages, so that Next is enabled
        await answer_mcqs(recall, recall.fake.add_member(hall.guild, f"r{i}").user, 1, 0)
    member = hall.member(actor)
    role = next(r for r in hall.guild.roles if r.name == "Moderator")
    member.roles.append(role)
    reply = await recall.fake.slash(actor, "leaderboard")
    board = await reply.wait_done()
    assert board is not None and board.ephemeral
    member.roles.remove(role)  # demoted; an admin still allows them /leaderboard
    recall.fake.allow_command(hall.guild, "leaderboard", actor)
    before = len(board.versions)
    click = await recall.fake.click(actor, board, custom_id_of(board, "Next"))
    await click.response()
    assert len(board.versions) == before, "the private board turned its page"
    return click


async def _stats_member(recall: Recall, actor: FakeUser) -> Interaction:
    # /quiz is everyone's command; only naming someone else needs Manage Server.
    return await recall.slash(actor, "quiz stats", {"member": recall.hall.learner2})


async def _no_server_decks(recall: Recall) -> None:
    assert await recall.sql("SELECT * FROM server_decks") == []
    assert all(upload.downloads == 0 for upload in recall.fake.uploads.values())


async def _uploaded(recall: Recall) -> None:
    file = recall.fake.upload("vocab.csv", b"front,back\nhola,hello\n")
    done = await recall.fake.slash(recall.hall.moderator, "quiz-admin deck upload", {"file": file})
    reply = await done.wait_done(timeout=30)
    assert reply is not None and reply.content.startswith("Added deck `vocab`")


async def _deck_still_there(recall: Recall) -> None:
    [row] = await recall.sql("SELECT deck_id, source FROM server_decks")
    assert row[0] == "vocab" and row[1] is not None


def _deck_command(sub: str) -> Callable[[Recall, FakeUser], Awaitable[Interaction]]:
    async def run(recall: Recall, actor: FakeUser) -> Interaction:
        await _uploaded(recall)
        return await _slash(recall, actor, f"quiz-admin deck {sub}", {"deck": "vocab"})

    return run


async def _deck_upload(recall: Recall, actor: FakeUser) -> Interaction:
    file = recall.fake.upload("vocab.csv", b"front,back\nhola,hello\n")
    return await _slash(recall, actor, "quiz-admin deck upload", {"file": file})


CASES = {
    "quiz-admin deck upload": Case("quiz-admin deck upload", _deck_upload, _no_server_decks),
    "quiz-admin deck list": Case(
        "quiz-admin deck list",
        lambda r, a: _slash(r, a, "quiz-admin deck list"),
    ),
    "quiz-admin deck remove": Case(
        "quiz-admin deck remove", _deck_command("remove"), _deck_still_there
    ),
    "quiz-admin deck download": Case(
        "quiz-admin deck download", _deck_command("download"), _deck_still_there
    ),
    "leaderboard": Case("leaderboard", lambda r, a: _slash(r, a, "leaderboard")),
    "leaderboard public": Case(
        "leaderboard", lambda r, a: _slash(r, a, "leaderboard", {"public": True})
    ),
    "leaderboard page button": Case(None, _page_button),
    "quiz-admin progress": Case(
        "quiz-admin progress", lambda r, a: _slash(r, a, "quiz-admin progress")
    ),
    "quiz-admin export": Case("quiz-admin export", lambda r, a: _slash(r, a, "quiz-admin export")),
    "quiz-admin grading": Case(
        "quiz-admin grading",
        lambda r, a: _slash(
            r, a, "quiz-admin grading", {"card": "django-wsgi-asgi/explain-differences"}
        ),
    ),
    "quiz-admin daily set": Case(
        "quiz-admin daily set",
        lambda r, a: _slash(
            r,
            a,
            "quiz-admin daily set",
            {"channel": r.hall.channel, "time": "09:00", "zone": "UTC"},
        ),
        _daily_is_off,
    ),
    "quiz-admin daily off": Case("quiz-admin daily off", _daily_off, _daily_is_on),
    "quiz stats member": Case(None, _stats_member),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_learner_with_an_override_is_refused(recall: Recall, name: str) -> None:
    case = CASES[name]
    actor = recall.hall.learner
    interaction = await case.run(recall, actor)
    reply = interaction.message()
    assert reply is not None and reply.ephemeral, "no private refusal"
    assert "moderators" in reply.content.lower(), reply.content
    assert not reply.embeds and not reply.attachments, "moderator data was shown"
    assert interaction.followups == [], "the handler went on after refusing"
    assert not [m for m in recall.fake.messages_in(recall.hall.channel) if not m.ephemeral]
    if case.unchanged is not None:
        await case.unchanged(recall)


def _leaf_commands(name: str, options: list[dict[str, object]]) -> set[str]:
    subs = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not subs:
        return {name}
    leaves: set[str] = set()
    for sub in subs:
        children = sub.get("options")
        assert isinstance(children, list | type(None))
        leaves |= _leaf_commands(f"{name} {sub['name']}", list(children or []))
    return leaves


async def test_every_synced_moderator_command_has_a_case(recall: Recall) -> None:
    synced: set[str] = set()
    for command in recall.fake.commands_for(recall.hall.guild):
        if command.default_member_permissions not in (None, "0"):
            synced |= _leaf_commands(command.name, command.options)
    covered = {case.command for case in CASES.values() if case.command is not None}
    assert synced - NOT_COVERED_HERE <= covered, "add a Case for each new moderator command"
    assert covered <= synced, "a Case names a command that is no longer synced"
