"""Tests for ``run_check``, the engine of ``python -m bot check [DIR]``."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.decks import run_check

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "data" / "decks" / "broken"
# SPEC: one line per problem, ``file:line: card id: what is wrong``.
PROBLEM_LINE = re.compile(r"^(?P<file>.+\.ya?ml):(?P<line>[1-9]\d*): (?P<card>[a-z0-9-]+|-): \S.*$")


def check(directory: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    status = run_check(directory, out)
    return status, out.getvalue().splitlines()


def test_shipped_content_passes() -> None:
    status, lines = check(ROOT / "content")
    assert status == 0
    assert lines == ["1 deck OK"]


def test_broken_decks_fail_with_one_line_per_problem() -> None:
    status, lines = check(BROKEN)
    assert status == 1
    mcq, typo = BROKEN / "b-mcq.yaml", BROKEN / "c-typo.yml"
    assert lines == [
        f"{mcq}:10: async-interface: answer 'ASGII' is not one of the options: "
        "WSGI, ASGI, CGI, FastCGI",
        f"{mcq}:12: async-interface: duplicate card id 'async-interface' (first at line 5)",
        f"{typo}:4: wsgi-meaning: missing required key 'back'",
        f"{typo}:6: wsgi-meaning: 'level' must be 'beginner', 'intermediate' or 'advanced', "
        "not 'beginer'",
        f"{typo}:8: wsgi-meaning: unknown key 'bakc' (did you mean 'back'?)",
        "5 problems in 2 of 3 decks",
    ]
    assert all(PROBLEM_LINE.match(line) for line in lines[:-1])


def test_relative_paths_are_printed_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    # Editors and CI link ``file:line`` relative to where the command ran.
    monkeypatch.chdir(ROOT)
    status, lines = check(Path("tests/data/decks/broken"))
    assert status == 1
    assert lines[0].startswith("tests/data/decks/broken/b-mcq.yaml:10: async-interface: ")


def test_missing_folder(tmp_path: Path) -> None:
    status, lines = check(tmp_path / "nowhere")
    assert status == 1
    assert lines == [
        f"{tmp_path / 'nowhere'}:1: -: deck folder not found",
        "1 problem in 0 of 0 decks",
    ]


def test_hostile_deck_gives_a_bounded_report(tmp_path: Path) -> None:
    # 20,000 unknown keys: the report holds the first problems and a count of the rest.
    card = "  - {id: c, type: flashcard, level: beginner, front: F, back: B}\n"
    keys = "".join(f"k{n}: v\n" for n in range(20_000))
    (tmp_path / "hostile.yaml").write_text(f"id: demo\ntitle: Demo\ncards:\n{card}{keys}")
    status, lines = check(tmp_path)
    assert status == 1
    assert len(lines) == 100 + 2  # the problems shown, "N more problems", the summary
    assert lines[0] == f"{tmp_path / 'hostile.yaml'}:5: -: unknown key 'k0'"
    assert lines[-2].endswith(": -: 19900 more problems")
    assert all(PROBLEM_LINE.match(line) for line in lines[:-1])
    # The summary counts every problem, not the lines shown.
    assert lines[-1] == "20000 problems in 1 of 1 deck"
