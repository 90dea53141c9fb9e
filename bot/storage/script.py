"""Transaction scripts: storage code written once, run by either backend.

A *script* is a generator that yields :class:`Query` objects and receives each
query's result back, then returns the transaction's result::

    def rename(deck_id: str, title: str) -> Script[bool]:
        changed = yield Query("UPDATE decks SET title = ? WHERE id = ?", (title, deck_id),
                              want=Want.COUNT)
        return changed > 0

It does no I/O itself (the "sans-I/O" style of h11 and friends), so the same
script runs on both backends, and each backend chooses where it runs:

* SQLite runs the whole script, BEGIN to COMMIT, as *one* job in its database
  thread: a click is one trip to that thread however many statements it makes,
  and the decision between the statements (grading, FSRS, streaks) runs there too.
* PostgreSQL drives the script from the event loop, awaiting each query on one
  pooled connection inside one transaction.

Between its queries a script only calls pure code: it must not await, sleep or
touch the event loop (on SQLite it runs in another thread). Scripts compose with
``yield from``: ``record = yield from sessions.load(session_id)``.

SQL is written once with ``?`` placeholders; the PostgreSQL backend numbers them
(``$1``, ``$2``...). Where the dialects differ, a query carries a :class:`Dialects`
pair instead of one string.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Protocol, TypeAlias, TypeVar

T = TypeVar("T")


class Dialect(Enum):
    """The SQL dialect a backend speaks."""

    SQLITE = "sqlite"
    POSTGRES = "postgres"


class Want(Enum):
    """What a script receives back for a query."""

    ROWS = "rows"
    """Every row, as a list."""
    ONE = "one"
    """The first row, or None."""
    COUNT = "count"
    """The number of rows the statement changed."""
    NOTHING = "nothing"
    """None."""


class Row(Protocol):
    """A result row: ``sqlite3.Row`` and ``asyncpg.Record`` both index by name and position."""

    def __getitem__(self, key: str | int, /) -> Any:  # pragma: no cover - protocol
        ...

    def keys(self) -> Any:  # pragma: no cover - protocol
        ...


@dataclass(frozen=True, slots=True)
class Dialects:
    """One statement in each dialect, where they cannot share a text."""

    sqlite: str
    postgres: str

    def text(self, dialect: Dialect) -> str:
        """The statement for ``dialect``."""
        return self.sqlite if dialect is Dialect.SQLITE else self.postgres


@dataclass(frozen=True, slots=True)
class Query:
    """One statement and what the script wants back from it."""

    sql: str | Dialects
    params: Sequence[Any] = ()
    want: Want = Want.ROWS
    many: bool = False
    """Run ``sql`` once per item of ``params`` (each a sequence); the result is None."""
    alone: bool = False
    """This query is the whole script: the script returns as soon as it has the
    result. One statement is atomic and reads one snapshot by itself, so PostgreSQL
    runs it without BEGIN and COMMIT around it: one round trip instead of three.
    Only for a read, or a write that is harmless to run twice (after a connection
    the server dropped it is tried again on another). A script that queries again
    after it is a bug, refused with a RuntimeError on PostgreSQL."""

    def text(self, dialect: Dialect) -> str:
        """The statement's text in ``dialect``."""
        return self.sql if isinstance(self.sql, str) else self.sql.text(dialect)


Script: TypeAlias = Generator[Query, Any, T]
"""A transaction script returning ``T`` (see the module docstring)."""


def rows(sql: str | Dialects, *params: Any, alone: bool = False) -> Script[list[Row]]:
    """Every row of a query (``alone``: the whole script, see :attr:`Query.alone`)."""
    result: list[Row] = yield Query(sql, params, Want.ROWS, alone=alone)
    return result


def one(sql: str | Dialects, *params: Any, alone: bool = False) -> Script[Row | None]:
    """The first row of a query, or None (``alone``: see :attr:`Query.alone`)."""
    result: Row | None = yield Query(sql, params, Want.ONE, alone=alone)
    return result


def value(sql: str | Dialects, *params: Any, alone: bool = False) -> Script[Any]:
    """The first column of the first row, or None when there is no row (``alone``:
    the whole script, see :attr:`Query.alone`)."""
    row: Row | None = yield Query(sql, params, Want.ONE, alone=alone)
    return None if row is None else row[0]


def execute(sql: str | Dialects, *params: Any, alone: bool = False) -> Script[int]:
    """Run a statement; the number of rows it changed (``alone``: see :attr:`Query.alone`)."""
    count: int = yield Query(sql, params, Want.COUNT, alone=alone)
    return count


def execute_many(sql: str | Dialects, params: Iterable[Sequence[Any]]) -> Script[None]:
    """Run one statement for each parameter sequence."""
    batch = [tuple(p) for p in params]
    if batch:
        yield Query(sql, batch, Want.NOTHING, many=True)


Statement: TypeAlias = tuple[str, Sequence[Any]]
"""A statement's text (the same in both dialects) and its parameters."""


def execute_together(statements: Sequence[Statement]) -> Script[None]:
    """Run writes that do not depend on each other (so their order does not matter).

    On SQLite, one after the other (the whole script is one trip to its thread
    anyway). On PostgreSQL, as ONE statement whose first writes are data-modifying
    ``WITH`` queries: one round trip instead of one per write. That form has two
    rules, which the caller keeps: every part sees the database as it was before
    the statement (no part may read what another writes), and no two parts change
    the same row. Each part's triggers still run, after the whole statement.
    """
    if not statements:
        return
    found = yield from dialect()
    if found is Dialect.SQLITE or len(statements) == 1:
        for sql, params in statements:
            yield Query(sql, params, Want.NOTHING)
        return
    *first, (last, _) = statements
    text = _together(tuple(sql for sql, _ in first), last)
    yield Query(text, [p for _, params in statements for p in params], Want.NOTHING)


def one_after(statements: Sequence[Statement], sql: str, *params: Any) -> Script[Row | None]:
    """Writes, then the first row of a read (or None) that reads none of the rows the
    writes change.

    On SQLite, one after the other. On PostgreSQL, ONE statement: the writes as
    data-modifying ``WITH`` queries before the read, one round trip instead of one per
    part. Every part sees the database as it was before the statement, which is why
    the read must not read what the writes change (the caller keeps that rule).
    """
    if not statements:
        return (yield from one(sql, *params))
    found = yield from dialect()
    if found is Dialect.SQLITE:
        for text, values in statements:
            yield Query(text, values, Want.NOTHING)
        return (yield from one(sql, *params))
    together = _together(tuple(text for text, _ in statements), sql)
    row: Row | None = yield Query(
        together, [*(p for _, values in statements for p in values), *params], Want.ONE
    )
    return row


@lru_cache(maxsize=64)
def _together(first: tuple[str, ...], last: str) -> str:
    # Placeholders stay ``?`` and in order, so the parameters simply follow each other.
    parts = ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(first))
    return f"WITH {parts} {last}"


def for_update(sql: str) -> Dialects:
    """A read of rows the script will change: ``FOR UPDATE`` on PostgreSQL, so that
    concurrent transactions queue on those rows; SQLite needs nothing (its writers
    are serialised by ``BEGIN IMMEDIATE``) and has no such clause."""
    return Dialects(sqlite=sql, postgres=f"{sql} FOR UPDATE")


def done(result: T) -> Script[T]:
    """A script that runs no query and returns ``result`` (for a branch with nothing to do)."""
    return result
    yield  # pragma: no cover - makes this a generator


def dialect() -> Script[Dialect]:
    """The dialect of the backend running the script (rarely needed: prefer :class:`Dialects`)."""
    found: Dialect = yield _DIALECT
    return found


_DIALECT = Query("-- dialect", (), Want.NOTHING)
"""A marker query: backends answer it with their :class:`Dialect` and run nothing."""


def is_dialect_query(query: Query) -> bool:
    """True for the marker that :func:`dialect` yields."""
    return query is _DIALECT


__all__ = [
    "Dialect",
    "Dialects",
    "Query",
    "Row",
    "Script",
    "Statement",
    "Want",
    "dialect",
    "done",
    "execute",
    "execute_many",
    "execute_together",
    "for_update",
    "is_dialect_query",
    "one",
    "one_after",
    "rows",
    "value",
]
