"""Forget-me clears the member's id from the decks they uploaded, even with no learner row."""

from __future__ import annotations

from bot.core.clock import FakeClock
from bot.core.learner import Identity, Platform
from bot.decks import DeckLibrary
from bot.decks.catalog import DeckCatalog
from bot.decks.importers import import_deck
from bot.services.decks import DeckService
from bot.services.learners import LearnerService
from bot.storage.script import rows
from bot.storage.store import Store

MOD = Identity(Platform.DISCORD, "424242424242")
OTHER_MOD = Identity(Platform.DISCORD, "515151515151")
GUILD = Identity(Platform.DISCORD, "777")


async def test_forget_me_clears_uploaded_by(
    store: Store, library: DeckLibrary, clock: FakeClock
) -> None:
    """A moderator who uploaded but never studied: data was found, the id is gone, the
    deck stays for the server, and another moderator's upload keeps its uploader."""
    catalog = DeckCatalog.of(library)
    decks = DeckService(store, catalog, clock)
    for who, name in ((MOD, "bio"), (OTHER_MOD, "chem")):
        result = import_deck(f"{name}.csv", b"front,back\nq,a\n")
        assert result.deck is not None
        await decks.upload(GUILD, who, result, replace=False)
    learners = LearnerService(store, clock)
    assert await learners.forget(MOD) is True  # not "Recall had no data about you"
    found = await store.read(rows("SELECT deck_id, uploaded_by FROM server_decks"))
    by_deck = {str(r["deck_id"]): str(r["uploaded_by"]) for r in found}
    assert set(by_deck) == {"bio", "chem"}  # the decks stay
    assert all(MOD.external_id not in uploader for uploader in by_deck.values())
    assert OTHER_MOD.external_id in by_deck["chem"]
    assert await learners.forget(MOD) is False  # nothing left the second time
