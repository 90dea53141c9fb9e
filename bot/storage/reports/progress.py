"""The class view's SQL: activity over a window, per-card totals, missed concepts."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.reports._sql import bind, hint
from bot.storage.rollups import DAY_SECONDS, split
from bot.storage.script import Dialect, Script, one, rows

__all__ = ["CardTotal", "ConceptTotal", "activity", "card_totals", "concept_totals"]


@dataclass(frozen=True, slots=True)
class CardTotal:
    """One card's answers in the community over all time."""

    deck_id: str
    card_id: str
    attempts: int
    wrong: int


@dataclass(frozen=True, slots=True)
class ConceptTotal:
    """How often answers to one explain card missed one concept (up to some instant)."""

    deck_id: str
    card_id: str
    concept: str
    missed: int


def _activity_sql(dialect: Dialect, *, deck: bool) -> str:
    if deck:
        # One deck: a third of the community's log, through its time-ordered index.
        return (
            "SELECT COUNT(DISTINCT learner_id) AS active, COUNT(*) AS answers"
            f" FROM reviews{hint(dialect, 'reviews_community_deck_time_cover')}"
            " WHERE community_id = :community AND deck_id = :deck"
            " AND reviewed_at >= :since AND reviewed_at <= :until"
        )
    log = hint(dialect, "reviews_community_time_cover")
    # Active learners: whoever's latest answer here is inside the window, plus those
    # who answered again after ``until`` (a view for a past instant; none when
    # ``until`` is now), checked one by one: one pass over the community's roll-up rows
    # (no index on last_at: it moved with every answer, migration V11). Answers: whole
    # days from the daily roll-up, the two partial days from the log.
    return f"""
        SELECT
            (SELECT COUNT(*) FROM community_learners g
             WHERE g.community_id = :community AND (
                 (g.last_at >= :since AND g.last_at <= :until)
                 OR (g.last_at > :until AND EXISTS (
                     SELECT 1 FROM reviews r{hint(dialect, "reviews_learner_time_cover")}
                     WHERE r.learner_id = g.learner_id AND r.reviewed_at >= :since
                       AND r.reviewed_at <= :until AND r.community_id = :community))))
            AS active,
            (SELECT COALESCE(SUM(reviews), 0) FROM community_days
             WHERE community_id = :community AND day >= :first_bucket AND day < :end_bucket)
          -- Two range counts: with an OR of the ranges SQLite scans the whole community.
          + (SELECT COUNT(*) FROM reviews{log}
             WHERE community_id = :community AND reviewed_at >= :since
               AND reviewed_at <= :head_end)
          + (SELECT COUNT(*) FROM reviews{log}
             WHERE community_id = :community AND reviewed_at >= :tail_start
               AND reviewed_at <= :until)
            AS answers
    """


def activity(
    community_id: int, deck_id: str | None, since: int, until: int
) -> Script[tuple[int, int]]:
    """(active learners, answers) in ``[since, until]`` (unix seconds, inclusive)."""
    params: dict[str, object] = {
        "community": community_id,
        "deck": deck_id,
        **split(since, until, DAY_SECONDS).params(),
    }
    sql, args = bind(lambda d: _activity_sql(d, deck=deck_id is not None), params)
    row = yield from one(sql, *args)
    return (int(row["active"]), int(row["answers"])) if row else (0, 0)


def card_totals(community_id: int, deck_id: str | None) -> Script[list[CardTotal]]:
    """Every card answered in the community (one deck's, when given): at most the cards
    of the decks, so reading them all is cheap."""
    sql = "SELECT deck_id, card_id, attempts, wrong FROM card_totals WHERE community_id = ?"
    args: tuple[object, ...] = (community_id,)
    if deck_id is not None:
        sql += " AND deck_id = ?"
        args += (deck_id,)
    found = yield from rows(sql, *args)
    return [
        CardTotal(str(r["deck_id"]), str(r["card_id"]), int(r["attempts"]), int(r["wrong"]))
        for r in found
    ]


def _concepts_sql(dialect: Dialect, *, deck: bool) -> str:
    deck_r = " AND r.deck_id = :deck" if deck else ""
    deck_c = " AND c.deck_id = :deck" if deck else ""
    # The answers logged after ``until`` (none when the view is for the present; read
    # from the log by time, since they are the newest), split into concepts with the
    # same guard and filter as the roll-up triggers of each dialect.
    if dialect is Dialect.SQLITE:
        later = (
            "SELECT r.deck_id, r.card_id, j.value AS concept, COUNT(*) AS n"
            " FROM reviews r INDEXED BY reviews_community_time_cover,"
            " json_each(r.concepts_missed) j"
            " WHERE r.community_id = :community AND r.reviewed_at > :until"
            f" AND r.concepts_missed IS NOT NULL AND json_valid(r.concepts_missed){deck_r}"
            " AND j.type = 'text' GROUP BY r.deck_id, r.card_id, j.value"
        )
    else:
        later = (
            "SELECT r.deck_id, r.card_id, j.raw #>> '{}' AS concept, COUNT(*) AS n"
            " FROM reviews r CROSS JOIN LATERAL"
            " json_array_elements(CASE WHEN left(r.concepts_missed, 1) = '['"
            " THEN r.concepts_missed::json ELSE '[]'::json END) j(raw)"
            " WHERE r.community_id = :community AND r.reviewed_at > :until"
            f" AND r.concepts_missed IS NOT NULL{deck_r}"
            " AND json_typeof(j.raw) = 'string' GROUP BY r.deck_id, r.card_id, j.raw #>> '{}'"
        )
    return (
        f"WITH later AS ({later})"
        " SELECT c.deck_id, c.card_id, c.concept, c.missed - COALESCE(l.n, 0) AS missed"
        " FROM concept_totals c LEFT JOIN later l"
        " ON l.deck_id = c.deck_id AND l.card_id = c.card_id AND l.concept = c.concept"
        f" WHERE c.community_id = :community{deck_c}"
        " AND c.missed - COALESCE(l.n, 0) > 0"
    )


def concept_totals(
    community_id: int, deck_id: str | None, until: int
) -> Script[list[ConceptTotal]]:
    """Concepts missed in the community up to ``until``, most missed first (ties: deck,
    card, concept)."""
    params = {"community": community_id, "deck": deck_id, "until": until}
    sql, args = bind(lambda d: _concepts_sql(d, deck=deck_id is not None), params)
    found = yield from rows(sql, *args)
    found_all = [
        ConceptTotal(str(r["deck_id"]), str(r["card_id"]), str(r["concept"]), int(r["missed"]))
        for r in found
    ]
    # Sorted here, not in SQL: text order would follow each database's collation.
    found_all.sort(key=lambda c: (-c.missed, c.deck_id, c.card_id, c.concept))
    return found_all
