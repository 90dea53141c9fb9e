"""The ``/quiz`` text parser (slackapp.commands): every subcommand of SPEC's Slack
section, options in any order, quoted values, and hostile input answered with usage."""

from __future__ import annotations

import pytest

from bot.core.custom_ids import StartSpec
from bot.core.session import SessionKind
from slackapp import commands as c
from slackapp import ids
from slackapp.escape import escape


def usage(text: str) -> c.Usage:
    parsed = c.parse(text)
    assert isinstance(parsed, c.Usage), parsed
    return parsed


def test_start_with_every_option_in_any_order() -> None:
    expected = c.Start(
        deck="django-wsgi-asgi", kind=SessionKind.FLASHCARD, count=5, level="beginner"
    )
    assert c.parse("start deck:django-wsgi-asgi kind:flashcard count:5 level:beginner") == expected
    assert c.parse("start level:beginner count:5 kind:flashcard deck:django-wsgi-asgi") == expected
    assert c.parse("  START   Kind:FLASHCARD deck:django-wsgi-asgi count:5 level:Beginner ") == (
        expected
    )


def test_start_defaults() -> None:
    assert c.parse("start") == c.Start(deck=None, kind=SessionKind.MIXED, count=10, level=None)


@pytest.mark.parametrize(
    ("text", "deck"),
    [
        ('start deck:"WSGI vs ASGI in Django"', "WSGI vs ASGI in Django"),
        ("start deck:“WSGI vs ASGI in Django”", "WSGI vs ASGI in Django"),
        ('start "deck:WSGI vs ASGI"', "WSGI vs ASGI"),
        # should_escape: Slack sends & < > as entities; the value is what was typed.
        ("start deck:R&amp;D", "R&D"),
    ],
)
def test_quoted_and_escaped_values(text: str, deck: str) -> None:
    parsed = c.parse(text)
    assert isinstance(parsed, c.Start)
    assert parsed.deck == deck


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", c.Help()),
        ("help", c.Help()),
        ("review", c.Review()),
        ("decks", c.Decks()),
        ("stats", c.Stats()),
        ("forget-me", c.ForgetMe()),
        ("timezone zone:Europe/Paris", c.TimeZone("Europe/Paris")),
        ("remind time:19:30", c.RemindAt("19:30")),
        ("remind set time:07:05", c.RemindAt("07:05")),
        ("remind off", c.RemindOff()),
        ("leaderboard", c.Leaderboard("week", "xp", None, False)),
        (
            "leaderboard public:true metric:accuracy period:month deck:django-wsgi-asgi",
            c.Leaderboard("month", "accuracy", "django-wsgi-asgi", True),
        ),
        ("progress", c.Progress(None)),
        ("progress deck:django-wsgi-asgi", c.Progress("django-wsgi-asgi")),
        ("export", c.Export()),
        (
            "daily channel:<#C0123ABC|general> time:09:00 zone:UTC",
            c.DailySet("C0123ABC", "general", "09:00", "UTC", None),
        ),
        (
            "daily zone:Europe/Paris deck:django-wsgi-asgi time:09:00 channel:<#C42|>",
            c.DailySet("C42", None, "09:00", "Europe/Paris", "django-wsgi-asgi"),
        ),
        ("daily off", c.DailyOff()),
    ],
)
def test_every_subcommand(text: str, expected: c.Command) -> None:
    assert c.parse(text) == expected


def test_admin_commands_are_told_apart() -> None:
    admin = ["leaderboard", "progress", "export", "daily off"]
    learner = ["start", "review", "decks", "stats", "help", "forget-me", "remind off"]
    for text in admin:
        parsed = c.parse(text)
        assert not isinstance(parsed, c.Usage)
        assert c.is_admin_command(parsed), text
    for text in learner:
        parsed = c.parse(text)
        assert not isinstance(parsed, c.Usage)
        assert not c.is_admin_command(parsed), text


def test_unknown_subcommand_lists_every_usage() -> None:
    error = usage("dance")
    assert "'dance' is not a /quiz command" in error.problem
    for name in ("start", "review", "remind", "forget-me", "leaderboard", "daily"):
        assert c.USAGE[name] in error.text


@pytest.mark.parametrize(
    ("text", "problem", "subcommand"),
    [
        ("start colour:blue", "'colour' is not an option of start", "start"),
        ("start deck:a deck:b", "The option deck is given twice", "start"),
        ("start kind:essay", "kind must be one of flashcard, mcq, explain, mixed", "start"),
        ("start count:0", "count must be a whole number from 1 to 50", "start"),
        ("start count:51", "count must be a whole number from 1 to 50", "start"),
        ("start count:²", "count must be a whole number from 1 to 50", "start"),
        ("start level:expert", "level must be one of beginner", "start"),
        ("start deck:", "The option deck has no value", "start"),
        ("start django", "'django' is not an option: options are written key:value", "start"),
        ("review now:yes", "'now' is not an option of review (its options: none)", "review"),
        ("timezone", "Say which time zone", "timezone"),
        ("remind", "Say when", "remind"),
        ("remind off now:1", "'now' is not an option of remind", "remind"),
        ("leaderboard public:maybe", "public must be true or false", "leaderboard"),
        ("leaderboard period:year", "period must be one of week, month, all", "leaderboard"),
        ("daily channel:general time:09:00 zone:UTC", "Pick the channel with #", "daily"),
        ("daily time:09:00", "Missing: channel, zone", "daily"),
    ],
)
def test_mistakes_answer_with_the_subcommands_usage(
    text: str, problem: str, subcommand: str
) -> None:
    error = usage(text)
    assert problem in error.problem
    assert error.usage == c.USAGE[subcommand]
    assert error.text.endswith("Usage: " + c.USAGE[subcommand])


def test_an_open_quote_is_a_mistake() -> None:
    assert "quote is not closed" in usage('start deck:"WSGI vs').problem


def test_huge_text_is_refused_unread() -> None:
    error = usage("start " + "deck:x " * 2000)
    assert "too long" in error.problem


def test_a_long_word_is_quoted_back_short() -> None:
    error = usage("start " + "k" * 500 + ":v")
    assert "k" * 39 + "…" in error.problem
    assert "k" * 41 not in error.problem


def test_user_text_in_an_error_is_escaped_when_sent() -> None:
    # The reply is escaped whole: a mention typed into the command stays text.
    error = usage("start <!everyone>:1")
    sent = escape(error.text)
    assert "<!everyone>" not in sent
    assert "&lt;!everyone&gt;" in sent


def test_recall_usage_words_survive_escaping_unchanged() -> None:
    # The usage lines are Recall's own words: escaping them must change nothing, so the
    # reply can be escaped as a whole.
    text = c.general_usage()
    assert escape(text) == text


@pytest.mark.parametrize(
    "spec",
    [
        StartSpec("review"),
        StartSpec("missed", origin=42),
        StartSpec("another", origin=2**63 - 1),
        StartSpec("start"),
        StartSpec("start", kind=SessionKind.EXPLAIN, count=50, level="advanced", deck_id="a-b-c"),
    ],
)
def test_start_new_ids_round_trip(spec: StartSpec) -> None:
    action = ids.start_new_action(7, spec)
    assert len(action) <= 255  # Slack's limit on an action_id
    assert ids.parse_start_new(action) == (7, spec)


@pytest.mark.parametrize(
    "action",
    [
        "recall:qn:7:s x10x",
        "recall:qn:7:sx00x",  # count 0
        "recall:qn:7:sx51x",  # count past 50
        f"recall:qn:{2**63}:r",
        "recall:qn:7:m",
        "recall:qe:7:everything",
        "recall:qr:abc",
    ],
)
def test_forged_session_control_ids_are_refused(action: str) -> None:
    assert ids.parse_start_new(action) is None
    assert ids.parse_summary(action) is None
    assert ids.parse_resume(action) is None
