"""A deck whose every text tries to mention someone in Slack, for the escaping tests
(unit and end to end): ``<!everyone>``, ``<!channel>``, ``<!here>``, ``<@U1>``, ``&``."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import CONTENT_DIR

HOSTILE_DECK = "hostile"
PINGS = ("<!everyone>", "<!channel>", "<!here>", "<@U1>", "<#C1>", "<https://evil.example|x>")
BAIT = " ".join(PINGS) + " R&D"
"""Text that would mention everyone, a user and a channel if sent unescaped."""

HOSTILE_YAML = f"""\
id: {HOSTILE_DECK}
title: "Hostile <!here> & co"
description: "Every text tries to ping."
tags: [test]
cards:
  - id: ping-flash
    type: flashcard
    level: beginner
    front: "Front {BAIT}"
    back: "Back {BAIT}"
  - id: ping-mcq
    type: mcq
    level: beginner
    question: "Question {BAIT}"
    options: ["<!everyone>", "<@U1> & friends", "plain", "{"x" * 90}"]
    answer: "<@U1> & friends"
    explanation: "Why {BAIT}"
  - id: ping-explain
    type: explain
    level: beginner
    prompt: "Prompt {BAIT}"
    hint: "Hint {BAIT}"
    concepts:
      - name: "mentions <!channel>"
        keywords: [mention, ping]
      - name: "ampersand &"
        keywords: [ampersand, escape]
    model_answer: "Model {BAIT}"
"""


def content_with_hostile_deck(folder: Path) -> Path:
    """A copy of ``content/`` with the hostile deck added; the folder's path."""
    target = folder / "content"
    shutil.copytree(CONTENT_DIR, target)
    (target / f"{HOSTILE_DECK}.yaml").write_text(HOSTILE_YAML, encoding="utf-8")
    return target
