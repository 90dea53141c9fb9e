"""Server decks on both backends: saving, scoping, replacing, removing, and the
catalog of a second process (a second store on the same database) catching up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.errors import (
    BundledDeckId,
    DeckExists,
    ImportTimedOut,
    NoQuestions,
    NothingReason,
    NothingToStudy,
    UnknownDeck,
    UploadTooLarge,
)
from bot.core.game import CannotStartGame, StartReason
from bot.core.grading import Grade
from bot.core.leaderboard import Metric, Period
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.core.session import SessionKind
from bot.decks import DeckLibrary, FlashCard, McqCard, limits
from bot.decks.catalog import DeckCatalog, plain_id
from bot.decks.importers import ImportResult, import_deck
from bot.services.daily import DailyQuestionService
from bot.services.decks import DeckService
from bot.services.games import GameService
from bot.services.reports import ReportService
from bot.services.study import StudyService, Where
from bot.storage import DatabaseURL, Store, open_store
from bot.storage.script import Script, value
from tests.conftest import REPO_ROOT, SHIPPED_DECK

MOD = Identity(Platform.DISCORD, "900")
ALICE = Identity(Platform.DISCORD, "1")
HALL = Identity(Platform.DISCORD, "5000")
OTHER = Identity(Platform.DISCORD, "6000")

REPO_FIXTURES = REPO_ROOT / "tests" / "data" / "imports"
VOCAB = b"front,back\nhola,hello\nperro,dog\ngato,cat\n"


def csv(name: str, data: bytes = VOCAB) -> ImportResult:
    result = import_deck(name, data)
    assert result.ok, [str(p) for p in result.problems]
    return result


class Process:
    """One bot process's services over its own store and catalog."""

    def __init__(
        self, store: Store, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock
    ) -> None:
        self.catalog = DeckCatalog(library)
        self.decks = DeckService(store, self.catalog, clock)
        self.study = StudyService(store, self.catalog, scheduler, clock)
        self.daily = DailyQuestionService(store, self.catalog, scheduler, clock)
        self.reports = ReportService(store, self.catalog, clock)
        self.store = store


@pytest.fixture
def one(store: Store, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock) -> Process:
    return Process(store, library, scheduler, clock)


async def study_all(process: Process, where: Where, deck_id: str, grade: Grade) -> list[str]:
    """Study every flashcard of ``deck_id`` as Alice; the card ids seen."""
    view = await process.study.start(
        ALICE, where, deck_id=deck_id, kind=SessionKind.FLASHCARD, count=50
    )
    seen = []
    for step in range(view.total):
        assert isinstance(view.card, FlashCard)
        seen.append(view.card.id)
        view = await process.study.reveal(ALICE, view.session.id, step)
        view = await process.study.grade_flashcard(ALICE, view.session.id, step, grade)
    return seen


async def count(store: Store, sql: str, *params: object) -> int:
    def script() -> Script[int]:
        return int((yield from value(sql, *params)))

    return await store.read(script())


async def test_a_deck_is_typed_by_id_or_title_where_it_is_seen(one: Process) -> None:
    saved = await one.decks.upload(HALL, MOD, csv("Spanish Vocab.csv"), replace=False)
    assert one.catalog.typed(HALL, "spanish-vocab") == "spanish-vocab"
    assert one.catalog.typed(HALL, "  sPANISH vocab ") == "spanish-vocab"
    # Another server, a DM, or the internal key: not a deck that place sees.
    assert one.catalog.typed(OTHER, "Spanish Vocab") is None
    assert one.catalog.typed(None, "spanish-vocab") is None
    assert one.catalog.typed(HALL, saved.deck.key) is None
    assert one.catalog.typed(None, SHIPPED_DECK) == SHIPPED_DECK


async def test_an_upload_serves_its_own_server_only(one: Process) -> None:
    saved = await one.decks.upload(HALL, MOD, csv("Spanish Vocab.csv"), replace=False)
    assert saved.deck.id == "spanish-vocab" and saved.deck.key != "spanish-vocab"
    assert plain_id(saved.deck.key) == "spanish-vocab" and not saved.replaced
    here = Where(HALL, "1")
    view = await one.study.start(ALICE, here, deck_id="spanish-vocab", count=3)
    assert view.deck_title == "Spanish Vocab" and view.total == 3
    assert {d.id for d in one.catalog.visible(HALL)} == {SHIPPED_DECK, "spanish-vocab"}
    assert [d.id for d in one.catalog.visible(OTHER)] == [SHIPPED_DECK]
    with pytest.raises(NothingToStudy) as refused:
        await one.study.start(ALICE, Where(OTHER, "2"), deck_id="spanish-vocab")
    assert refused.value.deck_id == "spanish-vocab"
    # The key is not a way in either: typed in another server, it is unknown.
    with pytest.raises(NothingToStudy):
        await one.study.start(ALICE, Where(OTHER, "2"), deck_id=saved.deck.key)
    # A session of all decks in the other server never draws its cards.
    mixed = await one.study.start(ALICE, Where(OTHER, "2"), count=50)
    assert all(item.deck_id == SHIPPED_DECK for item in mixed.session.queue)
    listing = await one.decks.listing(HALL)
    assert [(d.deck_id, dict(d.counts)) for d in listing.uploaded] == [
        ("spanish-vocab", {"flashcard": 3, "mcq": 0, "explain": 0})
    ]
    assert (await one.decks.listing(OTHER)).uploaded == []


async def test_two_servers_same_id_different_decks_one_learner(one: Process) -> None:
    a = await one.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
    b = await one.decks.upload(
        OTHER, MOD, csv("vocab.csv", b"front,back\nuno,one\ndos,two\n"), replace=False
    )
    assert a.deck.key != b.deck.key
    seen_a = await study_all(one, Where(HALL, "1"), "vocab", Grade.GOOD)
    seen_b = await study_all(one, Where(OTHER, "2"), "vocab", Grade.AGAIN)
    assert len(seen_a) == 3 and len(seen_b) == 2
    by_deck = {
        key: await count(one.store, "SELECT COUNT(*) FROM card_states WHERE deck_id = ?", key)
        for key in (a.deck.key, b.deck.key)
    }
    assert by_deck == {a.deck.key: 3, b.deck.key: 2}
    progress = await one.reports.deck_progress(ALICE, HALL)
    assert {(p.deck_id, p.seen) for p in progress} == {(SHIPPED_DECK, 0), ("vocab", 3)}


async def test_bundled_ids_and_existing_ids_are_refused_without_saving(one: Process) -> None:
    bundled = import_deck(f"{SHIPPED_DECK}.csv", VOCAB)
    with pytest.raises(BundledDeckId):
        await one.decks.upload(HALL, MOD, bundled, replace=True)
    await one.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
    changed = csv("vocab.csv", b"front,back\nhola,hi\n")
    with pytest.raises(DeckExists):
        await one.decks.upload(HALL, MOD, changed, replace=False)
    download = await one.decks.download(HALL, "vocab")
    assert "hello" in download.yaml and "hi\n" not in download.yaml
    assert await count(one.store, "SELECT COUNT(*) FROM server_decks") == 1
    with pytest.raises(UnknownDeck) as bundled_remove:
        await one.decks.remove(HALL, SHIPPED_DECK)
    assert bundled_remove.value.bundled


async def test_replace_keeps_the_progress_of_unchanged_cards(
    one: Process, clock: FakeClock
) -> None:
    await one.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
    seen = await study_all(one, Where(HALL, "1"), "vocab", Grade.GOOD)
    # hola and perro stay; gato goes; pez is new.
    replaced = await one.decks.upload(
        HALL, MOD, csv("vocab.csv", b"front,back\nhola,hello\nperro,dog\npez,fish\n"), replace=True
    )
    assert replaced.replaced
    progress = await one.reports.deck_progress(ALICE, HALL)
    vocab = next(p for p in progress if p.deck_id == "vocab")
    assert (vocab.cards, vocab.seen) == (3, 2)
    # The unchanged cards keep their schedule: a new session brings the new card first.
    view = await one.study.start(ALICE, Where(HALL, "1"), deck_id="vocab", count=1)
    assert isinstance(view.card, FlashCard) and view.card.front == "pez"
    assert view.card.id not in seen
    clock.advance(timedelta(days=30))
    review = await one.study.start_review(ALICE, Where(HALL, "1"))
    due = {item.card_id for item in review.session.queue}
    assert len(due) == 2 and due < set(seen)


async def test_remove_keeps_the_review_log(one: Process) -> None:
    saved = await one.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
    await study_all(one, Where(HALL, "1"), "vocab", Grade.GOOD)
    reviews = await count(
        one.store, "SELECT COUNT(*) FROM reviews WHERE deck_id = ?", saved.deck.key
    )
    assert reviews == 3
    removed = await one.decks.remove(HALL, "vocab")
    assert removed.deck_id == "vocab"
    assert await count(one.store, "SELECT COUNT(*) FROM reviews") == 3
    with pytest.raises(NothingToStudy):
        await one.study.start(ALICE, Where(HALL, "1"), deck_id="vocab")
    with pytest.raises(UnknownDeck):
        await one.decks.remove(HALL, "vocab")
    with pytest.raises(UnknownDeck):
        await one.decks.download(HALL, "vocab")
    assert (await one.decks.listing(HALL)).uploaded == []
    # The leaderboard still counts those answers.
    board = await one.reports.class_progress(HALL, None)
    assert board.reviews == 3
    # Uploaded again, the deck comes back with the learner's progress.
    await one.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
    vocab = next(p for p in await one.reports.deck_progress(ALICE, HALL) if p.deck_id == "vocab")
    assert vocab.seen == 3


async def test_a_dm_review_reaches_every_server_the_learner_studies_in(
    one: Process, clock: FakeClock
) -> None:
    await one.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
    await one.decks.upload(OTHER, MOD, csv("numbers.csv", b"front,back\nuno,one\n"), replace=False)
    await study_all(one, Where(HALL, "1"), "vocab", Grade.AGAIN)
    await study_all(one, Where(OTHER, "2"), "numbers", Grade.AGAIN)
    clock.advance(timedelta(days=2))
    in_dm = await one.study.start_review(ALICE, Where(None, None), count=50)
    assert {plain_id(item.deck_id) for item in in_dm.session.queue} == {"vocab", "numbers"}
    # In one server, only that server's due cards.
    here = await one.study.start_review(ALICE, Where(HALL, "1"), count=50)
    assert {plain_id(item.deck_id) for item in here.session.queue} == {"vocab"}
    # /quiz start in a DM finds a deck of one of the learner's servers by its id.
    started = await one.study.start(ALICE, Where(None, None), deck_id="numbers", count=1)
    assert started.deck_title == "numbers"
    progress = await one.reports.deck_progress(ALICE, None)
    assert {p.deck_id for p in progress} == {SHIPPED_DECK, "vocab", "numbers"}


async def test_the_daily_question_and_reports_take_the_servers_deck(one: Process) -> None:
    mcqs = (
        b"type,question,options,answer,explanation\n"
        b"mcq,Which is a dog?,perro|gato|pez,perro,Perro is dog.\n"
        b"mcq,Which is a cat?,perro|gato|pez,gato,Gato is cat.\n"
    )
    await one.decks.upload(HALL, MOD, csv("quiz.csv", mcqs), replace=False)
    schedule = await one.daily.configure(HALL, "1", "09:00", "UTC", "quiz")
    assert schedule.config.deck_id is not None and plain_id(schedule.config.deck_id) == "quiz"
    with pytest.raises(NoQuestions) as refused:
        await one.daily.configure(OTHER, "2", "09:00", "UTC", "quiz")
    assert refused.value.unknown_deck
    view = await one.study.start(ALICE, Where(HALL, "1"), deck_id="quiz", count=1)
    card = view.card
    assert isinstance(card, McqCard)
    await one.study.answer_mcq(ALICE, view.session.id, 0, card.answer_index, None)
    board = await one.reports.class_progress(HALL, "quiz")
    assert board.deck_id == "quiz" and board.reviews == 1
    assert (await one.reports.class_progress(OTHER, "quiz")).reviews == 0
    ranked = await one.reports.leaderboard(HALL, Period.ALL, Metric.XP, "quiz")
    assert [row.reviews for row in ranked.rows] == [1]
    rows = [row async for row in one.reports.export_rows(HALL)]
    assert [row.deck_id for row in rows] == ["quiz"]
    # The class view's memory figures: the server's deck by its plain id, there only.
    assert [(m.deck_id, m.cards) for m in board.memory] == [("quiz", 1)]
    remembered = await one.reports.class_memory(HALL, "quiz")
    assert [(m.deck_id, m.deck_title, m.cards) for m in remembered] == [("quiz", "quiz", 1)]
    assert [m.deck_id for m in await one.reports.class_memory(HALL, None)] == ["quiz"]
    assert await one.reports.class_memory(OTHER, "quiz") == ()
    assert await one.reports.class_memory(OTHER, None) == ()


async def test_an_upload_in_one_process_reaches_another(
    database_url: DatabaseURL,
    store: Store,
    library: DeckLibrary,
    scheduler: CardScheduler,
    clock: FakeClock,
) -> None:
    first = Process(store, library, scheduler, clock)
    other_store = await open_store(database_url)
    try:
        second = Process(other_store, library, scheduler, clock)
        await second.decks.refresh()
        await first.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
        # The second process has not looked yet; its next deck choice refreshes.
        assert second.catalog.resolve(HALL, "vocab") is None
        view = await second.study.start(ALICE, Where(HALL, "1"), deck_id="vocab", count=1)
        assert view.deck_title == "vocab"
        # A click in the first process on a session the second started is served.
        moved = await first.study.reveal(ALICE, view.session.id, 0)
        assert moved.card == view.card
        # Replaced in the second, the first sees the new text on its next refresh.
        await second.decks.upload(
            HALL, MOD, csv("vocab.csv", b"front,back\nhola,hi there\n"), replace=True
        )
        assert await first.decks.refresh()
        entry = first.catalog.resolve(HALL, "vocab")
        assert entry is not None and len(entry.deck.cards) == 1
        # Removed in the first, gone from the second.
        await first.decks.remove(HALL, "vocab")
        with pytest.raises(NothingToStudy):
            await second.study.start(ALICE, Where(HALL, "1"), deck_id="vocab")
        assert second.catalog.resolve(HALL, "vocab") is None
    finally:
        await other_store.close()


async def test_a_start_on_a_deck_replaced_in_another_process_uses_the_new_cards(
    database_url: DatabaseURL,
    store: Store,
    library: DeckLibrary,
    scheduler: CardScheduler,
    clock: FakeClock,
) -> None:
    # The second process knows the deck, so nothing refuses the start before its
    # transaction: the check inside it finds the catalog behind, refreshes and starts
    # again, on the replaced deck and not on the copy the process had.
    first = Process(store, library, scheduler, clock)
    other_store = await open_store(database_url)
    try:
        second = Process(other_store, library, scheduler, clock)
        await first.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
        await second.decks.refresh()
        assert len(second.catalog.resolve(HALL, "vocab").deck.cards) == 3  # type: ignore[union-attr]
        await first.decks.upload(
            HALL, MOD, csv("vocab.csv", b"front,back\nhola,hi there\n"), replace=True
        )
        view = await second.study.start(
            ALICE, Where(HALL, "1"), deck_id="vocab", kind=SessionKind.FLASHCARD, count=50
        )
        assert view.total == 1
        assert isinstance(view.card, FlashCard) and view.card.back == "hi there"
        # In a DM too, where the deck is looked for inside the transaction (among the
        # decks of the servers Alice has studied in).
        await second.study.reveal(ALICE, view.session.id, 0)
        await second.study.grade_flashcard(ALICE, view.session.id, 0, Grade.GOOD)
        await first.decks.upload(HALL, MOD, csv("vocab.csv"), replace=True)
        again = await second.study.start(
            ALICE, Where(None, None), deck_id="vocab", kind=SessionKind.FLASHCARD, count=50
        )
        assert again.total == 3
    finally:
        await other_store.close()


async def test_a_start_is_one_transaction_with_the_catalog_current(
    store: Store, library: DeckLibrary, scheduler: CardScheduler, clock: FakeClock
) -> None:
    # The catalog's revision is checked inside the start's own transaction rather than
    # by a read before it: one trip to the database per start.
    process = Process(store, library, scheduler, clock)
    await process.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
    trips: list[str] = []
    write, read = store.write, store.read

    async def counted_write(script: Script[object]) -> object:
        trips.append("write")
        return await write(script)

    async def counted_read(script: Script[object]) -> object:
        trips.append("read")
        return await read(script)

    store.write, store.read = counted_write, counted_read  # type: ignore[method-assign,assignment]
    try:
        view = await process.study.start(ALICE, Where(HALL, "1"), deck_id="vocab", count=1)
        assert trips == ["write"]
        await process.study.stop(ALICE, view.session.id, 0)
        trips.clear()
        await process.study.start_another(ALICE, Where(HALL, "1"), view.session.id)
        assert trips == ["write"]
    finally:
        del store.write, store.read


async def test_a_click_on_a_deck_this_process_never_loaded_refreshes_first(
    database_url: DatabaseURL,
    store: Store,
    library: DeckLibrary,
    scheduler: CardScheduler,
    clock: FakeClock,
) -> None:
    first = Process(store, library, scheduler, clock)
    other_store = await open_store(database_url)
    try:
        second = Process(other_store, library, scheduler, clock)
        await first.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
        view = await first.study.start(ALICE, Where(HALL, "1"), deck_id="vocab", count=1)
        # The second process never chose a deck: the click itself brings the catalog up.
        revealed = await second.study.reveal(ALICE, view.session.id, 0)
        assert revealed.card == view.card and revealed.deck_title == "vocab"
    finally:
        await other_store.close()


async def test_deck_json_round_trips_to_the_same_deck(one: Process) -> None:
    result = import_deck("mixed.tsv", (REPO_FIXTURES / "mixed.tsv").read_bytes())
    saved = await one.decks.upload(HALL, MOD, result, replace=False)
    fresh = DeckCatalog(one.catalog.bundled)
    await DeckService(one.store, fresh, one.decks.clock).refresh()
    assert fresh.get(saved.deck.key) == result.deck


@pytest.mark.parametrize("name", ["mixed.tsv", "basic.apkg", "vocab.csv"])
async def test_an_upload_is_read_in_a_child_process_as_import_deck_reads_it(
    one: Process, name: str
) -> None:
    data = (REPO_FIXTURES / name).read_bytes()
    imported = await one.decks.read_file(name, data)
    assert imported.result == import_deck(name, data)
    saved = await one.decks.upload(
        HALL, MOD, imported.result, replace=False, deck_json=imported.deck_json
    )
    fresh = DeckCatalog(one.catalog.bundled)
    await DeckService(one.store, fresh, one.decks.clock).refresh()
    assert fresh.get(saved.deck.key) == imported.result.deck
    broken = b"front,back\nhola,\n"
    refused = await one.decks.read_file("bad.csv", broken)
    assert refused.result == import_deck("bad.csv", broken) and refused.deck_json is None


async def test_an_import_past_its_deadline_is_refused(
    store: Store, library: DeckLibrary, clock: FakeClock
) -> None:
    # No time at all: the child cannot have answered when the deadline is checked.
    service = DeckService(store, DeckCatalog(library), clock, import_seconds=0)
    with pytest.raises(ImportTimedOut):
        await service.read_file("vocab.csv", VOCAB)
    with pytest.raises(UploadTooLarge):
        service.check_size(limits.IMPORT_BYTES_MAX + 1)
    with pytest.raises(UploadTooLarge):
        await service.read_file("big.csv", b"x" * (limits.IMPORT_BYTES_MAX + 1))


async def test_a_game_plays_the_servers_deck_and_only_there(
    one: Process, scheduler: CardScheduler, clock: FakeClock
) -> None:
    mcqs = b"type,question,options,answer,explanation\n" + b"".join(
        f"mcq,Question {n}?,yes|no|maybe,yes,Because {n}.\n".encode() for n in range(3)
    )
    saved = await one.decks.upload(HALL, MOD, csv("quiz.csv", mcqs), replace=False)
    games = GameService(one.store, one.catalog, scheduler, clock)
    view = await games.start(ALICE, HALL, "1", "quiz", count=3, seconds=10)
    assert view.deck_title == "quiz" and view.total == 3
    assert view.question.deck_id == saved.deck.key
    with pytest.raises(CannotStartGame) as refused:
        await games.start(ALICE, OTHER, "2", "quiz", count=3, seconds=10)
    assert refused.value.reason is StartReason.NO_SUCH_DECK


async def test_review_missed_and_start_another_keep_to_the_servers_deck(one: Process) -> None:
    saved = await one.decks.upload(HALL, MOD, csv("Spanish Vocab.csv"), replace=False)
    key = saved.deck.key
    here = Where(HALL, "1")
    view = await one.study.start(
        ALICE, here, deck_id="spanish-vocab", kind=SessionKind.FLASHCARD, count=3
    )
    assert view.session.deck_id == key
    missed_card = None
    for step in range(view.total):
        assert isinstance(view.card, FlashCard)
        grade = Grade.AGAIN if step == 0 else Grade.GOOD
        missed_card = missed_card or view.card.id
        view = await one.study.reveal(ALICE, view.session.id, step)
        view = await one.study.grade_flashcard(ALICE, view.session.id, step, grade)
    assert view.finished and view.summary is not None
    origin = view.session.id
    assert [(m.deck_id, m.card_id) for m in view.summary.missed] == [(key, missed_card)]

    # Review missed in its server: just that card, of the server's deck.
    again = await one.study.review_missed(ALICE, here, origin)
    assert [(q.deck_id, q.card_id) for q in again.session.queue] == [(key, missed_card)]
    assert again.deck_title == "Spanish Vocab"
    # Start another in its server: the same deck (its key), kind and size.
    another = await one.study.start_another(ALICE, here, origin)
    assert another.session.deck_id == key and another.total == 3
    assert another.session.kind is SessionKind.FLASHCARD
    assert {q.deck_id for q in another.session.queue} == {key}

    # In another server the deck is not there: neither button reaches its cards.
    elsewhere = Where(OTHER, "2")
    with pytest.raises(NothingToStudy) as no_deck:
        await one.study.start_another(ALICE, elsewhere, origin)
    assert no_deck.value.reason is NothingReason.NO_SUCH_DECK
    assert no_deck.value.deck_id == "spanish-vocab"  # the id learners see, not the key
    with pytest.raises(NothingToStudy) as nothing:
        await one.study.review_missed(ALICE, elsewhere, origin)
    assert nothing.value.reason is NothingReason.NOTHING_MISSED

    # The learner's weak spots name the deck as learners see it.
    stats = await one.reports.learner_stats(ALICE)
    assert [(c.deck_id, c.card_id) for c in stats.weak_cards] == [("spanish-vocab", missed_card)]

    # Once removed, Start another falls back to every deck the server sees.
    await one.decks.remove(HALL, "spanish-vocab")
    fallback = await one.study.start_another(ALICE, here, origin)
    assert fallback.session.deck_id is None
    assert {q.deck_id for q in fallback.session.queue} == {SHIPPED_DECK}


async def test_start_another_in_a_process_that_never_loaded_the_deck(
    database_url: DatabaseURL,
    store: Store,
    library: DeckLibrary,
    scheduler: CardScheduler,
    clock: FakeClock,
) -> None:
    first = Process(store, library, scheduler, clock)
    other_store = await open_store(database_url)
    try:
        second = Process(other_store, library, scheduler, clock)
        await second.decks.refresh()
        await first.decks.upload(HALL, MOD, csv("vocab.csv"), replace=False)
        view = await first.study.start(
            ALICE, Where(HALL, "1"), deck_id="vocab", kind=SessionKind.FLASHCARD, count=2
        )
        await first.study.stop(ALICE, view.session.id, 0)
        # The second process has not seen the upload: the button refreshes its catalog.
        another = await second.study.start_another(ALICE, Where(HALL, "1"), view.session.id)
        assert another.session.deck_id == view.session.deck_id
        assert another.deck_title == "vocab"
    finally:
        await other_store.close()
