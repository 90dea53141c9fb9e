"""Named parameters for long report queries (``:name``), bound to ``?`` placeholders.

The report queries use one parameter in several places (the community, the window's
bounds); naming them keeps the texts readable. :func:`bind` turns both dialects'
texts into ``?`` form with one argument list, which must be the same for both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.storage.script import Dialect, Dialects

# ``:name`` but not PostgreSQL's ``::type`` cast.
_NAME = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def _positional(sql: str, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    args: list[Any] = []

    def replace(match: re.Match[str]) -> str:
        args.append(params[match[1]])
        return "?"

    return _NAME.sub(replace, sql), args


def bind(
    build: Callable[[Dialect], str], params: Mapping[str, Any]
) -> tuple[str | Dialects, tuple[Any, ...]]:
    """The query ``build`` makes for each dialect, with ``params`` as positional arguments.

    One text when both dialects build the same; otherwise a :class:`Dialects` pair
    whose texts use the parameters in the same order.
    """
    sqlite, sqlite_args = _positional(build(Dialect.SQLITE), params)
    postgres, postgres_args = _positional(build(Dialect.POSTGRES), params)
    if sqlite_args != postgres_args:
        raise AssertionError("the dialects' texts must use the parameters in one order")
    sql: str | Dialects = sqlite if sqlite == postgres else Dialects(sqlite, postgres)
    return sql, tuple(sqlite_args)


def hint(dialect: Dialect, index: str) -> str:
    """``INDEXED BY index`` on SQLite (nothing on PostgreSQL, which has no hints).

    Without table statistics SQLite may prefer an index that spares it a sort and
    read a whole community's log to find one week; the hint also turns a missing
    index into an error instead of a slowdown.
    """
    return f" INDEXED BY {index}" if dialect is Dialect.SQLITE else ""


def real(dialect: Dialect) -> str:
    """The floating type of a share: SQLite's REAL is a double; PostgreSQL's is not."""
    return "REAL" if dialect is Dialect.SQLITE else "DOUBLE PRECISION"
