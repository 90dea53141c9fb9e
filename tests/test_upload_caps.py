"""Per-server caps on uploaded decks (count and stored text) and one upload at a time."""

from __future__ import annotations

import pytest

from bot.core.clock import FakeClock
from bot.core.errors import DeckSpaceFull, TooManyDecks, UploadBusy
from bot.core.learner import Identity, Platform
from bot.decks import DeckLibrary
from bot.decks.catalog import DeckCatalog
from bot.decks.importers import ImportResult, import_deck
from bot.services.decks import SERVER_DECK_TEXT_MAX, DeckService
from bot.storage.script import value
from bot.storage.store import Store

MOD = Identity(Platform.DISCORD, "424242424242")
GUILD = Identity(Platform.DISCORD, "777")
OTHER_GUILD = Identity(Platform.DISCORD, "888")


def small(name: str, answer: str = "a") -> ImportResult:
    result = import_deck(f"{name}.csv", f"front,back\nq,{answer}\n".encode())
    assert result.deck is not None
    return result


async def test_stored_text_per_server_is_capped(
    store: Store, library: DeckLibrary, clock: FakeClock
) -> None:
    """Large decks (about 3.7 Mi characters stored each) are refused once the server's
    decks would pass the cap; the refused one saves nothing, another server is free."""
    catalog = DeckCatalog.of(library)
    decks = DeckService(store, catalog, clock)
    rows = "".join(f"q{n} {'x' * 2000},a{n} {'y' * 1000}\n" for n in range(600)).encode()
    accepted = 0
    refused: DeckSpaceFull | None = None
    for n in range(10):
        result = import_deck(f"deck{n}.csv", b"front,back\n" + rows)
        assert result.deck is not None
        try:
            await decks.upload(GUILD, MOD, result, replace=False)
        except DeckSpaceFull as exc:
            refused = exc
            break
        accepted += 1
    assert refused is not None, "no cap on the stored text of a server's decks"
    assert 0 < accepted < 10
    error = refused
    assert error.limit == SERVER_DECK_TEXT_MAX and error.used + error.size > error.limit
    assert error.used <= SERVER_DECK_TEXT_MAX
    saved = await store.read(value("SELECT COUNT(*) FROM server_decks"))
    assert saved == accepted
    assert len(catalog.visible(GUILD)) - len(catalog.visible(OTHER_GUILD)) == accepted
    result = import_deck("deck0.csv", b"front,back\n" + rows)
    await decks.upload(OTHER_GUILD, MOD, result, replace=False)  # another server's own room


async def test_decks_per_server_are_capped_and_replacing_is_not(
    store: Store, library: DeckLibrary, clock: FakeClock
) -> None:
    decks = DeckService(store, DeckCatalog.of(library), clock, max_decks=2)
    await decks.upload(GUILD, MOD, small("one"), replace=False)
    await decks.upload(GUILD, MOD, small("two"), replace=False)
    with pytest.raises(TooManyDecks) as refused:
        await decks.upload(GUILD, MOD, small("three"), replace=False)
    assert refused.value.limit == 2
    saved = await decks.upload(GUILD, MOD, small("two", "b"), replace=True)
    assert saved.replaced
    await decks.upload(OTHER_GUILD, MOD, small("three"), replace=False)
    await decks.remove(GUILD, "one")  # a removed deck frees its place
    await decks.upload(GUILD, MOD, small("three"), replace=False)


async def test_one_upload_at_a_time_per_server(
    store: Store, library: DeckLibrary, clock: FakeClock
) -> None:
    decks = DeckService(store, DeckCatalog.of(library), clock)
    async with decks.uploading(GUILD):
        with pytest.raises(UploadBusy):
            async with decks.uploading(GUILD):
                pass
        async with decks.uploading(OTHER_GUILD):  # other servers are not held up
            pass
    async with decks.uploading(GUILD):  # free again once the first is done
        pass
