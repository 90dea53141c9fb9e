"""The bot registers SPEC.md's commands, options and permissions."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import Recall


def _options(command: dict[str, Any], name: str) -> dict[str, Any]:
    for option in command.get("options", []):
        if option["name"] == name:
            return dict(option)
    raise AssertionError(f"no option {name}")


async def test_quiz_group_is_synced_to_the_dev_guild(recall: Recall) -> None:
    commands = {c.name: c for c in recall.fake.commands_for(recall.hall.guild)}
    assert "quiz" in commands
    quiz = commands["quiz"].to_payload()
    subcommands = {o["name"] for o in quiz["options"]}
    assert {"start", "review", "decks", "stats", "timezone", "forget-me"} <= subcommands
    # No global commands when DEV_GUILD_ID is set.
    assert recall.fake.commands_for(None) == []


async def test_start_options_match_the_spec(recall: Recall) -> None:
    quiz = next(c for c in recall.fake.commands_for(recall.hall.guild) if c.name == "quiz")
    start = _options(quiz.to_payload(), "start")
    deck = _options(start, "deck")
    assert deck["autocomplete"] is True
    assert not deck.get("required", False)
    kind = _options(start, "kind")
    assert [c["value"] for c in kind["choices"]] == ["flashcard", "mcq", "explain", "mixed"]
    count = _options(start, "count")
    assert (count["min_value"], count["max_value"]) == (1, 50)
    level = _options(start, "level")
    assert [c["value"] for c in level["choices"]] == ["beginner", "intermediate", "advanced"]
    timezone = _options(quiz.to_payload(), "timezone")
    assert _options(timezone, "zone")["autocomplete"] is True
