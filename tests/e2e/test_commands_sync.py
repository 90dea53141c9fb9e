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
    assert {"start", "review", "decks", "stats", "timezone", "forget-me", "help"} <= subcommands
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


def _paths(options: list[dict[str, Any]], prefix: str) -> list[str]:
    """Full names of every subcommand under a command (types 1 = subcommand, 2 = group)."""
    found: list[str] = []
    for option in options:
        if option["type"] == 1:
            found.append(f"{prefix} {option['name']}")
        elif option["type"] == 2:
            found += _paths(option.get("options", []), f"{prefix} {option['name']}")
    return found


async def test_every_extension_registers_exactly_the_spec_commands(recall: Recall) -> None:
    registered = recall.fake.commands_for(recall.hall.guild)
    names = [c.name for c in registered]
    assert len(names) == len(set(names)), f"command name clash: {names}"
    paths: list[str] = []
    for command in registered:
        payload = command.to_payload()
        sub = _paths(payload.get("options", []), command.name)
        paths += sub or [command.name]
    assert sorted(paths) == sorted(
        [
            "quiz start",
            "quiz review",
            "quiz decks",
            "quiz stats",
            "quiz timezone",
            "quiz remind set",
            "quiz remind off",
            "quiz forget-me",
            "quiz help",  # SPEC's Slack list has /quiz help; Discord has it too
            "quiz game",
            "leaderboard",
            "quiz-admin progress",
            "quiz-admin export",
            "quiz-admin daily set",
            "quiz-admin daily off",
            "quiz-admin reload",
            "quiz-admin deck upload",
            "quiz-admin deck list",
            "quiz-admin deck remove",
            "quiz-admin deck download",
            "quiz-admin grading",
        ]
    )
    by_name = {c.name: c for c in registered}
    assert by_name["quiz"].default_member_permissions is None  # everyone
    for moderator_only in ("leaderboard", "quiz-admin"):
        assert int(by_name[moderator_only].default_member_permissions or 0) == 0x20
