"""``DeckLibrary``: the decks the bot currently serves, reloadable without losing good decks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.decks.loader import load_decks
from bot.decks.models import Card, Deck
from bot.decks.problems import DeckProblem, count_problems


@dataclass(frozen=True)
class ReloadReport:
    """What a reload changed, by deck id, and the problems it found."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept_broken: tuple[str, ...] = ()
    """Decks whose file is now broken; their last good version is still served."""
    problems: tuple[DeckProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the reload found no problem."""
        return not self.problems

    def summary(self) -> str:
        """One line for a moderator, such as ``1 added, 2 updated, 1 kept (broken file)``."""
        parts = [
            f"{len(ids)} {label}"
            for ids, label in (
                (self.added, "added"),
                (self.updated, "updated"),
                (self.removed, "removed"),
                (self.kept_broken, "kept (broken file)"),
            )
            if ids
        ]
        if self.problems:
            count = count_problems(self.problems)
            parts.append(f"{count} problem{'s' if count != 1 else ''}")
        return ", ".join(parts) or "no changes"


class DeckLibrary:
    """The current decks of one content folder.

    Lookups never see a half-done reload: ``reload`` builds new mappings and then
    swaps them in with one assignment each.
    """

    def __init__(
        self,
        directory: Path,
        decks: Mapping[str, Deck] | None = None,
        sources: Mapping[str, Path] | None = None,
    ) -> None:
        self._directory = directory
        self._decks: dict[str, Deck] = dict(decks or {})
        self._sources: dict[str, Path] = dict(sources or {})

    @classmethod
    def load(cls, directory: Path) -> tuple[DeckLibrary, tuple[DeckProblem, ...]]:
        """Load every deck in ``directory``; the problems are returned for logging."""
        loaded = load_decks(directory)
        return cls(directory, loaded.decks, loaded.sources), loaded.problems

    @property
    def directory(self) -> Path:
        """The folder the decks are read from."""
        return self._directory

    def reload(self) -> ReloadReport:
        """Re-read the folder. A deck whose file is now broken keeps its last good version.

        A deck whose file is gone is removed. When the folder itself cannot be
        read, nothing changes: a missing mount must not empty the bot.
        """
        loaded = load_decks(self._directory)
        if not self._directory.is_dir():
            return ReloadReport(kept_broken=tuple(sorted(self._decks)), problems=loaded.problems)

        decks = dict(loaded.decks)
        sources = dict(loaded.sources)
        kept: list[str] = []
        for deck_id, old in self._decks.items():
            path = self._sources.get(deck_id)
            if deck_id not in decks and path in loaded.rejected:
                decks[deck_id] = old
                sources[deck_id] = path
                kept.append(deck_id)

        report = ReloadReport(
            added=tuple(sorted(set(decks) - set(self._decks))),
            updated=tuple(
                sorted(
                    deck_id
                    for deck_id, deck in decks.items()
                    if deck_id in self._decks and deck != self._decks[deck_id]
                )
            ),
            removed=tuple(sorted(set(self._decks) - set(decks))),
            kept_broken=tuple(sorted(kept)),
            problems=loaded.problems,
        )
        self._decks, self._sources = decks, sources
        return report

    def get(self, deck_id: str) -> Deck | None:
        """The deck with this id, or ``None``."""
        return self._decks.get(deck_id)

    def all(self) -> tuple[Deck, ...]:
        """Every deck, sorted by title (then id, for equal titles)."""
        return tuple(sorted(self._decks.values(), key=lambda d: (d.title.casefold(), d.id)))

    def card(self, deck_id: str, card_id: str) -> Card | None:
        """The card ``card_id`` of deck ``deck_id``, or ``None`` when either is unknown."""
        deck = self._decks.get(deck_id)
        return deck.card(card_id) if deck is not None else None

    def source(self, deck_id: str) -> Path | None:
        """The file the deck was loaded from, or ``None``."""
        return self._sources.get(deck_id)

    def __contains__(self, deck_id: object) -> bool:
        return deck_id in self._decks

    def __len__(self) -> int:
        return len(self._decks)
