"""Property-based fuzzing of what comes from outside: deck files and learners' answers.

Any deck file (random bytes, YAML-looking text, a real deck with pieces cut out or
repeated) must give a deck or a list of located problems, never an exception. Any
answer text must be graded (and recorded) without raising. Derandomized and with
bounded example counts, so the suite stays fast and every run is the same.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.clock import FakeClock
from bot.core.errors import EmptyAnswer
from bot.core.grading import grade_explain, is_blank_answer
from bot.core.learner import Identity, Platform
from bot.core.scheduling import CardScheduler
from bot.core.session import SessionKind
from bot.decks import DeckLibrary, ExplainCard, load_deck_file
from bot.services.study import StudyService, Where
from bot.storage import DatabaseURL, open_store
from bot.storage.script import rows
from tests.conftest import CONTENT_DIR, SHIPPED_DECK, START

LEARNER = Identity(Platform.DISCORD, "1")
SHIPPED_TEXT = (CONTENT_DIR / f"{SHIPPED_DECK}.yaml").read_text(encoding="utf-8")
FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    # The tmp folder and the service are reused across examples on purpose (speed):
    # each example writes its own file name or its own session.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

YAML_PIECES = st.sampled_from(
    [
        "id: ",
        "title: ",
        "cards:",
        "\n",
        "  - ",
        "    ",
        "type: ",
        "flashcard",
        "mcq",
        "explain",
        "front: ",
        "back: ",
        "options: [",
        "]",
        "answer: ",
        "concepts:",
        "keywords: [",
        "name: ",
        "level: ",
        "beginner",
        ": ",
        "- ",
        "{",
        "}",
        "'",
        '"',
        "&a ",
        "*a",
        "!!python/object:os.system ",
        "<<: *a",
        "|\n",
        ">-\n",
        "#",
        "\t",
        "~",
        "null",
        "1e999",
        "0x1F",
        "@everyone",
        "é",
        "\x00",
        "\ufeff",
        "---\n",
        "...\n",
    ]
)
YAMLISH_TEXT = st.lists(YAML_PIECES | st.text(max_size=8), max_size=60).map("".join)


@st.composite
def mutated_deck(draw: st.DrawFn) -> str:
    """The shipped deck with a few slices deleted, duplicated or replaced."""
    text = SHIPPED_TEXT
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 200)))
        action = draw(st.sampled_from(["delete", "duplicate", "replace"]))
        if action == "delete":
            text = text[:start] + text[end:]
        elif action == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        else:
            text = text[:start] + draw(YAMLISH_TEXT) + text[end:]
    return text


class _Files:
    """Fresh file names in one tmp folder, one per example."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def write(self, data: bytes) -> Path:
        self.count += 1
        path = self.folder / f"deck-{self.count}.yaml"
        path.write_bytes(data)
        return path


@pytest.fixture
def files(tmp_path: Path) -> _Files:
    """Where the fuzzed deck files are written."""
    return _Files(tmp_path)


def _load_cleanly(path: Path) -> None:
    """Loading gives a deck, or no deck and at least one located problem."""
    result = load_deck_file(path)
    if result.deck is None:
        assert result.problems
    for problem in result.problems:
        assert problem.line >= 1
        assert problem.message
        assert str(problem).startswith(f"{path}:")


@settings(FUZZ, max_examples=150)
@given(data=st.binary(max_size=3000))
def test_deck_loader_survives_any_bytes(files: _Files, data: bytes) -> None:
    _load_cleanly(files.write(data))


@settings(FUZZ, max_examples=150)
@given(text=YAMLISH_TEXT)
def test_deck_loader_survives_yaml_like_text(files: _Files, text: str) -> None:
    _load_cleanly(files.write(text.encode("utf-8", "surrogatepass")))


@settings(FUZZ, max_examples=100)
@given(text=mutated_deck())
def test_deck_loader_survives_a_damaged_real_deck(files: _Files, text: str) -> None:
    _load_cleanly(files.write(text.encode("utf-8", "surrogatepass")))


ANSWERS = st.text(alphabet=st.characters(codec=None), max_size=5000) | st.lists(
    st.sampled_from(["async", "sync", "WSGI", "asgi", "websocket", "événement", "-", " ", "\n"]),
    max_size=400,
).map(" ".join)


def _explain_cards(library: DeckLibrary) -> list[ExplainCard]:
    return [c for d in library.all() for c in d.cards if isinstance(c, ExplainCard)]


@settings(FUZZ, max_examples=200)
@given(answer=ANSWERS)
def test_grading_takes_any_answer_text(library: DeckLibrary, answer: str) -> None:
    for card in _explain_cards(library):
        graded = grade_explain(answer, card.concepts)
        assert graded.total == len(card.concepts)
        assert 0 <= graded.covered <= graded.total


@pytest.fixture
def explain_study(
    database_url: DatabaseURL, library: DeckLibrary
) -> Iterator[tuple[asyncio.Runner, StudyService]]:
    """One service and one event loop for all examples (a database per example is slow),
    on each backend in turn."""
    with asyncio.Runner() as runner:
        store = runner.run(open_store(database_url))
        try:
            yield runner, StudyService(store, library, CardScheduler(fuzz=False), FakeClock(START))
        finally:
            runner.run(store.close())


@settings(FUZZ, max_examples=40)
@given(answer=ANSWERS)
def test_service_records_any_explain_answer(
    explain_study: tuple[asyncio.Runner, StudyService], answer: str
) -> None:
    runner, study = explain_study

    async def answer_one() -> None:
        view = await study.start(
            LEARNER,
            Where(None, "1"),
            deck_id=SHIPPED_DECK,
            kind=SessionKind.EXPLAIN,
            count=1,
        )
        card = view.card
        assert isinstance(card, ExplainCard)
        if is_blank_answer(answer):
            # Issue 14, item 7: refused, and nothing is recorded.
            with pytest.raises(EmptyAnswer):
                await study.answer_explain(LEARNER, view.session.id, 0, answer)
            logged = await study.store.read(
                rows("SELECT id FROM reviews WHERE session_id = ?", view.session.id)
            )
            assert logged == []
            return
        after = await study.answer_explain(LEARNER, view.session.id, 0, answer)
        assert after.result is not None
        assert len(after.result.concepts) == len(card.concepts)
        assert after.session.answered == 1
        # Recorded: the review is in the log with the concepts it missed, as stored text.
        logged = await study.store.read(
            rows("SELECT concepts_missed FROM reviews WHERE session_id = ?", view.session.id)
        )
        assert len(logged) == 1
        missed = json.loads(logged[0]["concepts_missed"])
        assert missed == [name for name, covered in after.result.concepts if not covered]

    runner.run(answer_one())
