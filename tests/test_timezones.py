"""Tests for bot.core.timezones: zone parsing, autocomplete, local dates and HH:MM input."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.timezones import (
    LOCAL_TIME_FORMAT_HINT,
    MAX_AUTOCOMPLETE_CHOICES,
    InvalidLocalTime,
    InvalidTimeZone,
    local_date,
    parse_local_time,
    parse_zone,
    search_zones,
)

DETERMINISTIC = settings(derandomize=True, deadline=None, max_examples=200)

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "America/St_Johns",
    "UTC",
]


# --- parse_zone -------------------------------------------------------------------


@pytest.mark.parametrize("name", ZONES)
def test_parse_zone_accepts_canonical_names(name: str) -> None:
    assert parse_zone(name) == ZoneInfo(name)
    assert parse_zone(name).key == name


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("america/new_york", "America/New_York"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("  europe/london  ", "Europe/London"),
        ("utc", "UTC"),
        ("UTC", "UTC"),
        ("asia/kathmandu", "Asia/Kathmandu"),
        ("etc/gmt-5", "Etc/GMT-5"),
        ("etc/gmt+5", "Etc/GMT+5"),
        ("america/port-au-prince", "America/Port-au-Prince"),
    ],
)
def test_parse_zone_is_case_insensitive_and_canonicalises(typed: str, canonical: str) -> None:
    zone = parse_zone(typed)
    assert zone.key == canonical
    # The canonical key matters: it is what gets stored and shown back to the learner.
    assert zone is ZoneInfo(canonical)


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        "   ",
        "../etc/passwd",
        "/etc/passwd",
        "America/../../etc/passwd",
        "Europe/Lon\x00don",
        "\x00",
        "A" * 10_000,
        "America/" + "x" * 200,
        "Mars/Olympus_Mons",
        "New_York",  # not a zone on its own; autocomplete finds it, parsing doesn't guess
        "Factory",
        "localtime",
        "posixrules",
        "America/New_York\n",
        "Europe/London; DROP TABLE learners",
        "Europe\\London",
        "🕰️",
    ],
)
def test_parse_zone_rejects_unknown_and_hostile_names(hostile: str) -> None:
    if hostile == "America/New_York\n":
        # Surrounding whitespace (including a trailing newline) is stripped on purpose.
        assert parse_zone(hostile).key == "America/New_York"
        return
    with pytest.raises(InvalidTimeZone) as info:
        parse_zone(hostile)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "Europe/Paris" in message  # every message shows an example to follow
    assert len(message) < 200  # a 10,000-character input is not echoed back
    assert "\x00" not in message


@given(st.text(max_size=80))
@DETERMINISTIC
def test_parse_zone_only_raises_invalid_time_zone(text: str) -> None:
    try:
        zone = parse_zone(text)
    except InvalidTimeZone:
        return
    # Whatever was accepted is a real zone known by its canonical name.
    assert zone.key.lower() == text.strip().lower().replace(" ", "_")


# --- search_zones -----------------------------------------------------------------


def test_search_finds_new_york_with_spaces() -> None:
    assert search_zones("new york")[0] == "America/New_York"
    assert search_zones("New York")[0] == "America/New_York"
    assert search_zones("new_york")[0] == "America/New_York"
    assert search_zones("america/new york") == ["America/New_York"]


def _rank(query: str, name: str) -> int:
    """The documented order, computed independently: exact, prefix, component, substring."""
    key, folded = query.lower(), name.lower()
    if folded == key:
        return 0
    if folded.startswith(key):
        return 1
    if any(part.startswith(key) for part in folded.split("/")[1:]):
        return 2
    return 3


@pytest.mark.parametrize("query", ["am", "ang", "lis", "ville", "utc", "europe/l", "an", "o"])
def test_search_orders_by_rank_then_name(query: str) -> None:
    results = search_zones(query)
    assert results
    keys = [(_rank(query, name), name) for name in results]
    assert keys == sorted(keys)
    for name in results:
        assert query in name.lower()


def test_search_ranks_exact_then_prefix_then_component_then_substring() -> None:
    assert search_zones("london")[0] == "Europe/London"
    utc = search_zones("utc")
    assert utc[0] == "UTC"  # exact match before "Etc/UTC"
    assert "Etc/UTC" in utc
    # Component match ("Anguilla") before substring matches ("Los_Angeles", "Bangkok").
    ang = search_zones("ang")
    assert ang[0] == "America/Anguilla"
    assert ang.index("America/Los_Angeles") > 0
    assert ang.index("Asia/Bangkok") > 0
    # Prefix matches fill the list before anything else when there are enough of them.
    assert all(name.startswith("America/") for name in search_zones("am"))
    # Nothing starts with "york": America/New_York is found by substring.
    assert search_zones("york") == ["America/New_York"]


def test_search_treats_space_dash_and_underscore_alike() -> None:
    assert "America/Port-au-Prince" in search_zones("port au prince")
    assert "America/Port-au-Prince" in search_zones("port_au_prince")
    assert "America/Los_Angeles" in search_zones("los-angeles")


def test_search_limit_and_cap() -> None:
    assert len(search_zones("a")) == MAX_AUTOCOMPLETE_CHOICES
    assert len(search_zones("a", limit=100)) == MAX_AUTOCOMPLETE_CHOICES
    assert len(search_zones("a", limit=5)) == 5
    assert search_zones("a", limit=5) == search_zones("a")[:5]
    assert search_zones("a", limit=0) == []
    assert search_zones("a", limit=-3) == []


def test_search_empty_query_lists_names_in_order() -> None:
    results = search_zones("")
    assert len(results) == MAX_AUTOCOMPLETE_CHOICES
    assert results == sorted(results)
    assert search_zones("   ") == results


def test_search_never_suggests_unparseable_or_host_specific_names() -> None:
    for query in ["", "a", "e", "local", "fact", "posix", "/"]:
        for name in search_zones(query):
            assert parse_zone(name).key == name
    assert "localtime" not in search_zones("local")
    assert "Factory" not in search_zones("fact")


@pytest.mark.parametrize("query", ["zzzz", "../etc", "\x00", "x" * 10_000, "new\x00york"])
def test_search_with_no_match_or_hostile_query_is_empty(query: str) -> None:
    assert search_zones(query) == []


@given(st.text(max_size=30))
@DETERMINISTIC
def test_search_results_are_stable_and_valid(query: str) -> None:
    results = search_zones(query)
    assert len(results) <= MAX_AUTOCOMPLETE_CHOICES
    assert len(set(results)) == len(results)
    assert results == search_zones(query)  # same answer every keystroke
    key = query.strip().lower().replace(" ", "_").replace("-", "_")
    for name in results:
        assert key in name.lower().replace("-", "_")
        assert parse_zone(name).key == name


def test_search_returns_a_fresh_list() -> None:
    first = search_zones("europe")
    first.clear()
    assert search_zones("europe")  # the cache was not mutated through the returned list


# --- local_date ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (datetime(2026, 1, 1, 3, 0, tzinfo=UTC), "America/New_York", date(2025, 12, 31)),
        (datetime(2026, 1, 1, 5, 0, tzinfo=UTC), "America/New_York", date(2026, 1, 1)),
        (datetime(2026, 1, 1, 10, 0, tzinfo=UTC), "Pacific/Kiritimati", date(2026, 1, 2)),
        (datetime(2026, 1, 1, 18, 14, tzinfo=UTC), "Asia/Kathmandu", date(2026, 1, 1)),
        (datetime(2026, 1, 1, 18, 15, tzinfo=UTC), "Asia/Kathmandu", date(2026, 1, 2)),
        # An aware non-UTC input is converted, not reinterpreted.
        (
            datetime(2026, 1, 1, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
            "UTC",
            date(2026, 1, 2),
        ),
    ],
)
def test_local_date(instant: datetime, zone: str, expected: date) -> None:
    assert local_date(instant, ZoneInfo(zone)) == expected


def test_local_date_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime(2026, 1, 1, 12), ZoneInfo("UTC"))


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(ZONES),
)
@DETERMINISTIC
def test_local_date_matches_fromutc(instant: datetime, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    expected = zone.fromutc(instant.replace(tzinfo=zone)).date()
    assert local_date(instant, zone) == expected


# --- parse_local_time ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:05", time(7, 5)),
        ("07:05", time(7, 5)),
        ("19:30", time(19, 30)),
        ("00:00", time(0, 0)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("12:00", time(12, 0)),
        (" 08:15 ", time(8, 15)),
    ],
)
def test_parse_local_time_accepts(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "24:00",
        "25:00",
        "12:60",
        "7pm",
        "7:05pm",
        "07:05 am",
        "7",
        "0705",
        "7:5",
        "07:5",
        "007:05",
        "07:005",
        "07:05:00",
        "07.05",
        "07h05",
        "-1:00",
        "+7:05",
        "１２:３０",  # full-width digits
        "٠٧:٠٥",  # Arabic-Indic digits
        "07:05\x00",
        "1" * 10_000 + ":00",
        "07:05\n08:00",
    ],
)
def test_parse_local_time_rejects_with_format_hint(text: str) -> None:
    with pytest.raises(InvalidLocalTime) as info:
        parse_local_time(text)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == LOCAL_TIME_FORMAT_HINT
    assert "HH:MM" in str(info.value)


@given(st.integers(0, 23), st.integers(0, 59), st.booleans())
@DETERMINISTIC
def test_parse_local_time_round_trips(hour: int, minute: int, pad: bool) -> None:
    text = f"{hour:02d}:{minute:02d}" if pad else f"{hour}:{minute:02d}"
    assert parse_local_time(text) == time(hour, minute)
