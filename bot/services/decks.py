"""Server decks: upload, list, remove and download a community's decks; keep the
process's :class:`~bot.decks.catalog.DeckCatalog` in step with the database.

Each public call of :class:`DeckService` is one transaction, except
:meth:`DeckService.refresh` (shared by every service as :func:`refresh_catalog`),
which is a cache refresh: one read of the revision and, only when it moved, one
read of the changed rows, whose JSON is parsed off the event loop.

Reading an uploaded file (:meth:`DeckService.read_file`) is CPU work on untrusted
bytes: it runs in a child process (:mod:`bot.decks.importers.worker`) under a
deadline, on top of the importers' own caps (input size, what a zip unpacks to,
cards, columns). Not a thread: a second of parsing in a thread holds the GIL, and
the bench (``bench.upload_bench``) showed the other learners' p99 rise by half
while it ran; a child process also dies at the deadline, where a thread cannot
be stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from pydantic import TypeAdapter

from bot.core.clock import Clock
from bot.core.errors import (
    BundledDeckId,
    DeckExists,
    DeckSpaceFull,
    ImportTimedOut,
    TooManyDecks,
    UnknownDeck,
    UploadBusy,
    UploadTooLarge,
)
from bot.core.learner import Identity
from bot.decks import limits
from bot.decks.catalog import CatalogDeck, DeckCatalog, uploaded_key
from bot.decks.importers import ImportResult
from bot.decks.importers.worker import decode_parts
from bot.decks.models import Card, CardType, Deck
from bot.storage import communities, server_decks
from bot.storage.script import Script
from bot.storage.server_decks import DeckChange, StoredDeck
from bot.storage.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

UPLOAD_BYTES_MAX = limits.IMPORT_BYTES_MAX
"""The largest file an upload reads (8 MiB), checked on the declared size first."""
SERVER_DECKS_MAX = 50
"""The most uploaded decks one community (server, workspace) may hold at once. Every
process keeps every community's decks in its catalog, in memory: without a cap one
server could fill every process's memory. Replacing a deck is always allowed."""
SERVER_DECK_TEXT_MAX = 20 * 1024 * 1024
"""The most stored deck text (characters of the deck YAML plus its JSON) one
community's present decks may hold: 20 Mi characters, a few of the largest uploads
(an 8 MiB file stores about twice its size) or many ordinary ones."""
WORKER = "bot.decks.importers.worker"
"""The module run as the child process that imports an upload."""
IMPORT_SECONDS = 30.0
"""How long (wall clock) reading one uploaded file may take before the child is
killed and the upload refused; the importers' own limits bound its CPU time."""


BATCH = 100
"""Cards parsed or written between two turns of the event loop (about a millisecond)."""
_CARD: TypeAdapter[Card] = TypeAdapter(Card)


async def deck_from_json(text: str) -> Deck:
    """The deck of the models' JSON, parsed ``BATCH`` cards at a time on the event loop.

    Not in a thread: pydantic validates holding the GIL, so a 5,000-card deck in a
    thread would stop the loop for as long as the whole parse (tens of ms, more on
    a busy machine); in steps, the loop answers clicks between them.
    """
    raw: dict[str, Any] = json.loads(text)
    cards_raw: list[Any] = raw.pop("cards")
    cards: list[Card] = []
    for start in range(0, len(cards_raw), BATCH):
        cards.extend(_CARD.validate_python(card) for card in cards_raw[start : start + BATCH])
        await asyncio.sleep(0)
    return Deck.model_validate({**raw, "cards": cards})


async def deck_to_json(deck: Deck) -> str:
    """The models' JSON of ``deck`` (what :func:`deck_from_json` reads), ``BATCH``
    cards at a time on the event loop."""
    head = json.dumps(deck.model_dump(mode="json", exclude={"cards"}))
    pieces: list[str] = []
    for start in range(0, len(deck.cards), BATCH):
        pieces.extend(_CARD.dump_json(card).decode() for card in deck.cards[start : start + BATCH])
        await asyncio.sleep(0)
    return head[:-1] + ', "cards": [' + ",".join(pieces) + "]}"


class CatalogMiss(Exception):
    """Raised inside a script that met an uploaded deck's key this process does not
    know: the caller refreshes the catalog and runs the script again (see
    :func:`with_fresh_catalog`). Never reaches a front end."""


_REFRESHING: weakref.WeakKeyDictionary[DeckCatalog, asyncio.Lock] = weakref.WeakKeyDictionary()
"""One refresh at a time per catalog: learners starting sessions together after an
upload share one read and one parse of the new deck instead of one each."""


async def refresh_catalog(store: Store, catalog: DeckCatalog) -> bool:
    """Bring ``catalog`` up to the database's revision; True when anything changed.

    Costs one small read when nothing changed. Concurrent calls wait for the one
    refresh under way, then find nothing left to read. Each deck's change carries
    its row's revision, and an older one never replaces a newer one.
    """
    latest = await store.read(server_decks.latest_revision(alone=True))
    if latest <= catalog.revision:
        return False
    lock = _REFRESHING.setdefault(catalog, asyncio.Lock())
    async with lock:
        if latest <= catalog.revision:
            return True  # another caller's refresh read it meanwhile
        changes = await store.read(server_decks.changed_since(catalog.revision))
        present, removed = await _parse_changes(changes)
        catalog.apply(max([latest, *(c.revision for c in changes)]), present, removed)
    log.debug("deck catalog at revision %d (%d changed)", catalog.revision, len(changes))
    return True


async def _parse_changes(
    changes: list[DeckChange],
) -> tuple[list[tuple[int, CatalogDeck]], list[tuple[int, str]]]:
    present: list[tuple[int, CatalogDeck]] = []
    removed: list[tuple[int, str]] = []
    for change in changes:
        if change.deck_json is None:
            removed.append((change.revision, change.deck_key))
            continue
        deck = await deck_from_json(change.deck_json)
        entry = CatalogDeck(change.deck_key, deck, change.community, change.community_id)
        present.append((change.revision, entry))
    return present, removed


async def with_fresh_catalog(
    store: Store, catalog: DeckCatalog, run: Callable[[bool], Awaitable[T]]
) -> T:
    """``run(strict=True)``; on a :class:`CatalogMiss`, refresh the catalog and
    ``run(strict=False)``: the deck is then known, or truly gone (removed)."""
    try:
        return await run(True)
    except CatalogMiss:
        await refresh_catalog(store, catalog)
        return await run(False)


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """An uploaded file as :meth:`DeckService.read_file` read it."""

    result: ImportResult
    deck_json: str | None
    """The deck as the models' JSON, as the child process wrote it (None: no deck)."""


@dataclass(frozen=True, slots=True)
class UploadResult:
    """A saved upload."""

    deck: CatalogDeck
    counts: Mapping[CardType, int]
    media_dropped: int
    replaced: bool
    """True when it replaced the community's deck of the same id."""


@dataclass(frozen=True, slots=True)
class DeckListing:
    """What ``deck list`` shows: the community's uploads and the bundled decks."""

    uploaded: list[StoredDeck]
    bundled: tuple[Deck, ...]


@dataclass(frozen=True, slots=True)
class DeckDownload:
    """An uploaded deck in the deck format."""

    deck_id: str
    title: str
    filename: str
    yaml: str


class DeckService:
    """A community's uploaded decks, and the catalog every service looks them up in."""

    def __init__(
        self,
        store: Store,
        catalog: DeckCatalog,
        clock: Clock,
        *,
        import_seconds: float = IMPORT_SECONDS,
        max_bytes: int = UPLOAD_BYTES_MAX,
        max_decks: int = SERVER_DECKS_MAX,
        max_text: int = SERVER_DECK_TEXT_MAX,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.import_seconds = import_seconds
        self.max_bytes = max_bytes
        self.max_decks = max_decks
        self.max_text = max_text
        # Communities with an upload under way in this process (one at a time each).
        self._uploading: set[Identity] = set()

    @contextlib.asynccontextmanager
    async def uploading(self, community: Identity) -> AsyncIterator[None]:
        """Hold ``community``'s upload slot while a file is read and saved; raises
        :class:`UploadBusy` when another upload there is under way in this process.

        Reading a file costs a child process and seconds of CPU: a moderator (or a
        script) sending uploads in parallel gets one at a time, not a process each.
        """
        if community in self._uploading:
            raise UploadBusy()
        self._uploading.add(community)
        try:
            yield
        finally:
            self._uploading.discard(community)

    async def refresh(self) -> bool:
        """:func:`refresh_catalog` for this service's store and catalog."""
        return await refresh_catalog(self.store, self.catalog)

    async def knows(self, community: Identity, deck_id: str) -> bool:
        """True when ``deck_id`` names a deck ``community`` sees (after a refresh)."""
        await self.refresh()
        return self.catalog.resolve(community, deck_id) is not None

    def check_size(self, size: int) -> None:
        """Refuse a file of ``size`` bytes (as declared, before downloading it) over the cap."""
        if size > self.max_bytes:
            raise UploadTooLarge(size, self.max_bytes)

    async def read_file(self, filename: str, data: bytes) -> ImportedFile:
        """Import ``data`` in a child process, killed after :attr:`import_seconds`.

        Raises :class:`UploadTooLarge` (the bytes, whatever was declared) or
        :class:`ImportTimedOut`. Problems with the file are in the result.
        """
        self.check_size(len(data))
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            WORKER,
            filename,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(child.communicate(data), self.import_seconds)
        except TimeoutError:
            log.warning("import of %r passed %.0f s", filename[:100], self.import_seconds)
            raise ImportTimedOut(self.import_seconds) from None
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
        if child.returncode != 0:
            # A bug or the machine (out of memory), not the file: the importers
            # return every problem with a file as data.
            raise RuntimeError(f"deck import worker exited with {child.returncode}: {err[-500:]!r}")
        result, deck_json = decode_parts(out)
        if deck_json is None:
            return ImportedFile(result, None)
        return ImportedFile(replace(result, deck=await deck_from_json(deck_json)), deck_json)

    async def upload(
        self,
        community: Identity,
        uploader: Identity,
        result: ImportResult,
        *,
        replace: bool,
        deck_json: str | None = None,
    ) -> UploadResult:
        """Save the imported deck for ``community``; raises :class:`BundledDeckId`,
        :class:`DeckExists` (unless ``replace``), :class:`TooManyDecks` or
        :class:`DeckSpaceFull` (the community's caps). ``result`` must be ok; ``deck_json``
        is its deck's JSON when known already (:meth:`read_file` has it).

        Replacing keeps the deck's key, so every learner's memory of a card whose
        id is unchanged still applies; cards no longer in the deck are just not
        served (their memories and reviews stay).
        """
        deck = result.deck
        if deck is None:
            raise ValueError("upload needs an imported deck (result.ok)")
        if self.catalog.bundled.get(deck.id) is not None:
            raise BundledDeckId(deck.id)
        now = self.clock()
        counts = {str(kind): n for kind, n in result.counts.items()}
        if deck_json is None:
            deck_json = await deck_to_json(deck)
        text = deck_json
        size = len(result.yaml) + len(text)

        def script() -> Script[tuple[int, str, int, bool]]:
            community_id = yield from communities.ensure(community)
            # The revision first: it queues concurrent uploads, so the check below
            # sees a competing upload of the same id once it has committed.
            revision = yield from server_decks.next_revision()
            replaced = bool((yield from server_decks.is_present(community_id, deck.id)))
            if replaced and not replace:
                raise DeckExists(deck.id)
            # After next_revision: concurrent uploads are queued, so the caps hold.
            held = yield from server_decks.usage(community_id, besides=deck.id)
            if held.decks >= self.max_decks:
                raise TooManyDecks(self.max_decks)
            if held.chars + size > self.max_text:
                raise DeckSpaceFull(size, held.chars, self.max_text)
            key = uploaded_key(deck.id, community_id)
            yield from server_decks.save(
                community_id=community_id,
                deck_id=deck.id,
                deck_key=key,
                title=deck.title,
                counts=counts,
                media_dropped=result.media_dropped,
                source=result.yaml,
                deck_json=text,
                uploaded_by=server_decks.uploader_of(uploader),
                now=now,
                revision=revision,
            )
            return community_id, key, revision, replaced

        community_id, key, revision, replaced = await self.store.write(script())
        entry = CatalogDeck(key, deck, community, community_id)
        # Only this deck: unless the catalog had every revision before this one,
        # other processes' changes are read by the next refresh, left due.
        self.catalog.apply(
            revision, [(revision, entry)], complete=self.catalog.revision == revision - 1
        )
        return UploadResult(entry, dict(result.counts), result.media_dropped, replaced)

    async def listing(self, community: Identity) -> DeckListing:
        """The community's uploaded decks (by title) and the bundled ones."""

        def script() -> Script[list[StoredDeck]]:
            community_id = yield from communities.find(community)
            if community_id is None:
                return []
            return (yield from server_decks.listing(community_id))

        return DeckListing(await self.store.read(script()), self.catalog.all())

    async def remove(self, community: Identity, deck_id: str) -> StoredDeck:
        """Remove the community's uploaded deck ``deck_id``; the review log keeps its
        rows (and the learners' memories stay, should it be uploaded again).

        Raises :class:`UnknownDeck` (``bundled`` for a bundled deck's id).
        """
        if self.catalog.bundled.get(deck_id) is not None:
            raise UnknownDeck(deck_id, bundled=True)

        def script() -> Script[tuple[StoredDeck, int]]:
            community_id = yield from communities.find(community)
            if community_id is None:
                raise UnknownDeck(deck_id)
            revision = yield from server_decks.next_revision()
            found = yield from server_decks.get(community_id, deck_id, lock=True)
            if found is None or found.removed:
                raise UnknownDeck(deck_id)
            yield from server_decks.mark_removed(community_id, deck_id, revision)
            return found, revision

        found, revision = await self.store.write(script())
        self.catalog.apply(
            revision,
            [],
            [(revision, found.deck_key)],
            complete=self.catalog.revision == revision - 1,
        )
        return found

    async def download(self, community: Identity, deck_id: str) -> DeckDownload:
        """The community's uploaded deck ``deck_id`` as deck YAML (``upload`` takes it
        back as the same deck). Raises :class:`UnknownDeck`."""
        if self.catalog.bundled.get(deck_id) is not None:
            raise UnknownDeck(deck_id, bundled=True)

        def script() -> Script[StoredDeck | None]:
            community_id = yield from communities.find(community)
            if community_id is None:
                return None
            return (yield from server_decks.get(community_id, deck_id))

        found = await self.store.read(script())
        if found is None or found.source is None:
            raise UnknownDeck(deck_id)
        return DeckDownload(found.deck_id, found.title, f"{found.deck_id}.yaml", found.source)


__all__ = [
    "IMPORT_SECONDS",
    "UPLOAD_BYTES_MAX",
    "CatalogMiss",
    "DeckDownload",
    "DeckListing",
    "DeckService",
    "ImportedFile",
    "UploadResult",
    "refresh_catalog",
    "with_fresh_catalog",
]
