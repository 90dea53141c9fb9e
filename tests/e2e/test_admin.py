"""/quiz-admin: permissions checked by Discord and again by the handler; deck reload.

Reloading the bundled decks acts on every server, so it is for the bot's owner
only (the application's owner, or an admin or developer of its team).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import FakeClock
from bot.decks import DeckLibrary
from tests.e2e.harness import Recall, ephemeral_text, recall_settings
from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import StudyHall
from tests.fakediscord.models import FakeUser

BROKEN = "id: django-wsgi-asgi\ntitle: Broken\ncards:\n  - id: x\n    type: flashcard\n"
EXTRA = (
    "id: extra\ntitle: Extra\ncards:\n"
    "  - {id: c, type: flashcard, level: beginner, front: F, back: B}\n"
)
OWNER_ONLY = "for the bot's owner only"


async def _reload_reply(recall: Recall, user: FakeUser) -> str:
    """Run /quiz-admin reload as ``user``; the text of the (ephemeral) answer."""
    interaction = await recall.fake.slash(user, "quiz-admin reload")
    # The first followup after a "thinking" defer replaces the placeholder.
    message = await interaction.wait_done()
    assert message is not None
    assert message.ephemeral
    return message.content


async def test_admin_group_requires_manage_server(recall: Recall) -> None:
    [admin] = [c for c in recall.fake.commands_for(recall.hall.guild) if c.name == "quiz-admin"]
    assert int(admin.default_member_permissions or 0) == 0x20  # Manage Server
    assert admin.to_payload().get("contexts") in (None, [0])  # guild only
    with pytest.raises(PermissionError):
        await recall.fake.slash(recall.hall.learner, "quiz-admin reload")


async def test_moderator_who_is_not_the_owner_cannot_reload(
    recall: Recall, content_dir: Path
) -> None:
    (content_dir / "extra.yaml").write_text(EXTRA, encoding="utf-8")
    reply = await recall.slash(recall.hall.moderator, "quiz-admin reload")
    assert OWNER_ONLY in ephemeral_text(reply)
    assert "extra" not in recall.running.decks  # nothing was reloaded


async def test_learner_allowed_by_an_override_is_still_refused(
    recall: Recall, content_dir: Path
) -> None:
    hall = recall.hall
    (content_dir / "extra.yaml").write_text(EXTRA, encoding="utf-8")
    for user in (hall.learner, hall.moderator):
        recall.fake.allow_command(hall.guild, "quiz-admin", user)
        reply = await recall.slash(user, "quiz-admin reload")
        assert OWNER_ONLY in ephemeral_text(reply)
    assert "extra" not in recall.running.decks


async def test_owner_reloads_with_paths_relative_to_the_folder(
    recall: Recall, content_dir: Path
) -> None:
    (content_dir / "extra.yaml").write_text(EXTRA, encoding="utf-8")
    content = await _reload_reply(recall, recall.fake.owner_user)
    assert content.startswith("Decks reloaded: 1 added.")
    assert "extra" in recall.running.decks


async def test_reload_reports_problems_and_keeps_the_last_good_deck(
    recall: Recall, content_dir: Path
) -> None:
    (content_dir / "django-wsgi-asgi.yaml").write_text(BROKEN, encoding="utf-8")
    secret_option = "hunter2-" + "x" * 200
    (content_dir / "b-mcq.yaml").write_text(
        "id: other\ntitle: Other\ncards:\n"
        "  - {id: q, type: mcq, level: beginner, question: Q, explanation: E,\n"
        f"     options: [{secret_option}, B], answer: C}}\n",
        encoding="utf-8",
    )
    content = await _reload_reply(recall, recall.fake.owner_user)
    assert "kept" in content
    assert "- `django-wsgi-asgi.yaml:4: x: missing required key 'level'`" in content
    assert "- `b-mcq.yaml:5: q: answer 'C' is not one of the options: hunter2-" in content
    assert str(content_dir.parent) not in content  # no host path
    assert secret_option not in content  # values are quoted short, never copied whole
    deck = recall.running.decks.get("django-wsgi-asgi")
    assert deck is not None and len(deck.cards) == 12  # the last good version


async def test_reload_refuses_a_link_leading_outside_the_folder(
    recall: Recall, content_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "host-secrets"
    outside.mkdir()
    secret = outside / "secret.yaml"
    secret.write_text("id: SECRET-TOKEN-VALUE\ntitle: t\ncards: []\n", encoding="utf-8")
    (content_dir / "secret.yaml").symlink_to(secret)
    (content_dir / "inside.yaml").symlink_to(content_dir / "django-wsgi-asgi.yaml")
    content = await _reload_reply(recall, recall.fake.owner_user)
    assert "- `secret.yaml:1: -: a link to a file outside the deck folder; not read`" in content
    assert "SECRET" not in content
    assert "inside.yaml:" in content  # a link inside is read (here: a second copy of a deck)
    assert "already used by django-wsgi-asgi.yaml" in content


@pytest.mark.parametrize(("role", "allowed"), [("developer", True), ("read_only", False)])
async def test_team_owned_application(recall: Recall, role: str, allowed: bool) -> None:
    hall = recall.hall
    hall.fake.team_members = [(hall.fake.owner_user, "admin"), (hall.moderator, role)]
    reply = await recall.slash(hall.moderator, "quiz-admin reload")
    message = await reply.wait_done()
    assert message is not None and message.ephemeral
    assert (OWNER_ONLY not in message.content) is allowed
    assert message.content.startswith("Decks reloaded") is allowed


async def test_decks_are_read_off_the_event_loop(
    fake_discord: FakeDiscord,
    study_hall: StudyHall,
    tmp_path: Path,
    content_dir: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A hostile deck costs seconds of parsing: the loop must go on with the gateway.
    threads: list[str] = []
    real_load, real_reload = DeckLibrary.load.__func__, DeckLibrary.reload  # type: ignore[attr-defined]

    def load(cls: type[DeckLibrary], directory: Path) -> Any:
        threads.append(threading.current_thread().name)
        return real_load(cls, directory)

    def reload(self: DeckLibrary) -> Any:
        threads.append(threading.current_thread().name)
        return real_reload(self)

    monkeypatch.setattr(DeckLibrary, "load", classmethod(load))
    monkeypatch.setattr(DeckLibrary, "reload", reload)
    settings = recall_settings(fake_discord, study_hall, tmp_path / "recall.db", content_dir)
    recall = Recall(fake_discord, study_hall, settings, clock)
    await recall.start()
    try:
        await _reload_reply(recall, fake_discord.owner_user)
    finally:
        await recall.stop()
    assert len(threads) == 2
    assert threading.main_thread().name not in threads
