"""``DeckCatalog``: every deck a process can serve, bundled and uploaded, by community.

The bundled decks (``content/``, a :class:`~bot.decks.library.DeckLibrary`) serve
every community. An uploaded deck serves only the community it was uploaded in.
Two communities may upload different decks with the same id, and one learner can
study in both, while card memories, reviews and sessions know a card by
``(deck id, card id)``. So an uploaded deck has an internal *key*, its id plus
``@`` and the community's internal id (``vocab@12``): ``@`` is outside the deck id
pattern, so a key never equals a bundled id nor another community's key. A
bundled deck's key is its id. Learners only ever see and type the plain id;
:meth:`DeckCatalog.resolve` turns it into a key within one community's scope.

Lookups are synchronous and in memory (services look cards up between the
queries of a transaction script). The uploaded decks come from the database:
:mod:`bot.services.decks` reads what changed since :attr:`DeckCatalog.revision`
and hands it to :meth:`DeckCatalog.apply`, which swaps whole mappings in, so a
lookup never sees half an update (scripts on SQLite read from its thread).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.learner import Identity
from bot.decks.library import DeckLibrary, ReloadReport
from bot.decks.models import Card, Deck

KEY_SEPARATOR = "@"
"""Between an uploaded deck's id and its community's internal id, in its key."""


def uploaded_key(deck_id: str, community_id: int) -> str:
    """The internal key of deck ``deck_id`` uploaded in community ``community_id``."""
    return f"{deck_id}{KEY_SEPARATOR}{community_id}"


def is_uploaded_key(key: str) -> bool:
    """True for an uploaded deck's key (a bundled deck's key is its plain id)."""
    return KEY_SEPARATOR in key


def plain_id(key: str) -> str:
    """The id learners see for the deck with ``key``."""
    return key.split(KEY_SEPARATOR, 1)[0]


@dataclass(frozen=True, slots=True)
class CatalogDeck:
    """One deck of the catalog with where it serves."""

    key: str
    """The id the database knows its cards by (see the module docstring)."""
    deck: Deck
    community: Identity | None = None
    """The community it was uploaded in; None for a bundled deck (every community)."""
    community_id: int | None = None
    """That community's internal id."""

    @property
    def id(self) -> str:
        """The id learners see and type."""
        return self.deck.id

    @property
    def title(self) -> str:
        """The deck's title."""
        return self.deck.title

    @property
    def bundled(self) -> bool:
        """True for a deck of ``content/``."""
        return self.community is None


def _by_title(entries: Iterable[CatalogDeck]) -> tuple[CatalogDeck, ...]:
    return tuple(sorted(entries, key=lambda e: (e.title.casefold(), e.id, e.key)))


class DeckCatalog:
    """Bundled decks plus the uploaded decks of every community, cached per process.

    Keeps :class:`DeckLibrary`'s read API (``get``, ``card``, ``all``, ``in``) for
    code written against it: ``get`` and ``card`` take keys, ``all`` lists the
    bundled decks only (an uploaded deck is never listed outside its community).
    """

    def __init__(self, bundled: DeckLibrary) -> None:
        self.bundled = bundled
        self._uploaded: dict[str, CatalogDeck] = {}
        self._by_community: dict[Identity, dict[str, CatalogDeck]] = {}
        self._seen: dict[str, int] = {}
        self._revision = 0

    @classmethod
    def of(cls, decks: DeckLibrary | DeckCatalog) -> DeckCatalog:
        """``decks`` itself, or a catalog of just the bundled decks of a library."""
        return decks if isinstance(decks, DeckCatalog) else cls(decks)

    @property
    def revision(self) -> int:
        """The last ``server_decks`` revision this catalog has every change up to."""
        return self._revision

    # -- by key (DeckLibrary's API) ---------------------------------------------------

    def get(self, key: str) -> Deck | None:
        """The deck with this key, or ``None``."""
        if is_uploaded_key(key):
            entry = self._uploaded.get(key)
            return entry.deck if entry is not None else None
        return self.bundled.get(key)

    def card(self, key: str, card_id: str) -> Card | None:
        """Card ``card_id`` of the deck with ``key``, or ``None`` when either is unknown."""
        deck = self.get(key)
        return deck.card(card_id) if deck is not None else None

    def all(self) -> tuple[Deck, ...]:
        """The bundled decks, by title (as :meth:`DeckLibrary.all`)."""
        return self.bundled.all()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def reload(self) -> ReloadReport:
        """Re-read the bundled decks' folder (:meth:`DeckLibrary.reload`)."""
        return self.bundled.reload()

    @property
    def directory(self) -> Path:
        """The bundled decks' folder."""
        return self.bundled.directory

    def entry(self, key: str) -> CatalogDeck | None:
        """The deck with this key and where it serves, or ``None``."""
        if is_uploaded_key(key):
            return self._uploaded.get(key)
        deck = self.bundled.get(key)
        return CatalogDeck(key, deck) if deck is not None else None

    def knows(self, key: str) -> bool:
        """True when the key is known or cannot be an uploaded deck's.

        False means the deck may have been uploaded since the last refresh (or was
        removed): worth one refresh before calling it gone.
        """
        return not is_uploaded_key(key) or key in self._uploaded

    # -- scoped by community ----------------------------------------------------------

    def visible(self, community: Identity | None) -> tuple[CatalogDeck, ...]:
        """The decks a community sees (bundled and its own), by title; bundled only for
        ``None`` (a DM, see :meth:`visible_in`)."""
        own = self._by_community.get(community, {}) if community is not None else {}
        return _by_title([*self._bundled_entries(), *own.values()])

    def visible_in(self, community_ids: Collection[int]) -> tuple[CatalogDeck, ...]:
        """The bundled decks and those of every community in ``community_ids``, by title
        (a learner's DM: every community they study in)."""
        wanted = set(community_ids)
        mine = [e for e in self._uploaded.values() if e.community_id in wanted]
        return _by_title([*self._bundled_entries(), *mine])

    def resolve(self, community: Identity | None, deck_id: str) -> CatalogDeck | None:
        """The deck a learner means by ``deck_id`` in ``community``, or ``None``: a
        bundled deck, or one uploaded there. Another community's deck is unknown."""
        deck = self.bundled.get(deck_id)
        if deck is not None:
            return CatalogDeck(deck_id, deck)
        if community is None:
            return None
        return self._by_community.get(community, {}).get(deck_id)

    def typed(self, community: Identity | None, text: str) -> str | None:
        """The id of the deck a learner typed in ``community``, by id or by title
        (case-insensitive), among the decks it sees (:meth:`visible`); None for none."""
        visible = self.visible(community)
        if any(deck.id == text for deck in visible):
            return text
        folded = text.casefold().strip()
        for deck in visible:
            if deck.title.casefold() == folded:
                return deck.id
        return None

    def resolve_in(self, community_ids: Collection[int], deck_id: str) -> CatalogDeck | None:
        """:meth:`resolve` across several communities (a DM): the bundled deck, else the
        first of those communities' decks with that id."""
        deck = self.bundled.get(deck_id)
        if deck is not None:
            return CatalogDeck(deck_id, deck)
        found = [e for e in self._uploaded.values() if e.id == deck_id]
        for entry in sorted(found, key=lambda e: e.community_id or 0):
            if entry.community_id in community_ids:
                return entry
        return None

    def serves(self, key: str, community_ids: Collection[int] | None) -> bool:
        """True when the deck with ``key`` is known and visible to ``community_ids``
        (None: anywhere, for a session already holding the card)."""
        entry = self.entry(key)
        if entry is None:
            return False
        return entry.bundled or community_ids is None or entry.community_id in community_ids

    def _bundled_entries(self) -> list[CatalogDeck]:
        return [CatalogDeck(deck.id, deck) for deck in self.bundled.all()]

    # -- refreshing -------------------------------------------------------------------

    def apply(
        self,
        revision: int,
        present: Iterable[tuple[int, CatalogDeck]],
        removed: Iterable[tuple[int, str]] = (),
        *,
        complete: bool = True,
    ) -> None:
        """Take in changes read from the database: ``present`` as ``(row revision,
        deck)``, ``removed`` as ``(row revision, key)``.

        A change older than one already applied to the same key is ignored (two
        refreshes may finish out of order). ``complete`` says the changes cover every
        revision up to ``revision``; an upload applying just its own deck passes False
        and leaves :attr:`revision` alone, so that the next refresh still reads what
        other processes changed before it.
        """
        uploaded = dict(self._uploaded)
        seen = dict(self._seen)
        for row_revision, entry in present:
            if seen.get(entry.key, -1) < row_revision:
                seen[entry.key] = row_revision
                uploaded[entry.key] = entry
        for row_revision, key in removed:
            if seen.get(key, -1) < row_revision:
                seen[key] = row_revision
                uploaded.pop(key, None)
        by_community: dict[Identity, dict[str, CatalogDeck]] = {}
        for entry in uploaded.values():
            assert entry.community is not None
            by_community.setdefault(entry.community, {})[entry.id] = entry
        # One assignment each: a reader sees the old mappings or the new ones.
        self._uploaded, self._by_community, self._seen = uploaded, by_community, seen
        if complete:
            self._revision = max(self._revision, revision)

    def uploaded(self) -> Mapping[str, CatalogDeck]:
        """Every uploaded deck this process knows, by key."""
        return dict(self._uploaded)


__all__ = [
    "KEY_SEPARATOR",
    "CatalogDeck",
    "DeckCatalog",
    "is_uploaded_key",
    "plain_id",
    "uploaded_key",
]
