"""/quiz-admin: permissions checked by Discord and again by the handler; deck reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import Recall, ephemeral_text

BROKEN = "id: django-wsgi-asgi\ntitle: Broken\ncards:\n  - id: x\n    type: flashcard\n"


async def test_admin_group_requires_manage_server(recall: Recall) -> None:
    [admin] = [c for c in recall.fake.commands_for(recall.hall.guild) if c.name == "quiz-admin"]
    assert int(admin.default_member_permissions or 0) == 0x20  # Manage Server
    assert admin.to_payload().get("contexts") in (None, [0])  # guild only
    with pytest.raises(PermissionError):
        await recall.fake.slash(recall.hall.learner, "quiz-admin reload")


async def test_learner_allowed_by_an_override_is_still_refused(recall: Recall) -> None:
    hall = recall.hall
    recall.fake.allow_command(hall.guild, "quiz-admin", hall.learner)
    reply = await recall.slash(hall.learner, "quiz-admin reload")
    assert "for moderators" in ephemeral_text(reply)


async def test_reload_reports_problems_and_keeps_the_last_good_deck(
    recall: Recall, content_dir: Path
) -> None:
    (content_dir / "django-wsgi-asgi.yaml").write_text(BROKEN, encoding="utf-8")
    reply = await recall.fake.slash(recall.hall.moderator, "quiz-admin reload")
    # The first followup after a "thinking" defer replaces the placeholder.
    followup = await reply.wait_done()
    assert followup is not None
    assert followup.ephemeral
    assert "kept" in followup.content
    assert "django-wsgi-asgi.yaml:" in followup.content
    deck = recall.running.decks.get("django-wsgi-asgi")
    assert deck is not None and len(deck.cards) == 12  # the last good version
