"""What each SQL statement does to the database: its kind, table, lock and cost.

The statements are those Django's schema editor writes for PostgreSQL and those of
``RunSQL``. Lock levels follow PostgreSQL's documentation and the observations in the lock
reference (`docs/smooth-migrations/linter.md`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .sqlscan import IDENTIFIER, QUALIFIED, split, split_top_level, strip_literals, unquote

AE = "ACCESS EXCLUSIVE"
EXCLUSIVE = "EXCLUSIVE"
SRE = "SHARE ROW EXCLUSIVE"
SHARE = "SHARE"
SUE = "SHARE UPDATE EXCLUSIVE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"
BLOCKING = frozenset({AE, EXCLUSIVE, SRE, SHARE})
"""Locks that block writes (and, for ACCESS EXCLUSIVE, reads) of the table."""

LONG_COSTS = frozenset({"scan", "rewrite", "build", "data"})
"""Costs that grow with the table: a full scan, a rewrite, an index build, a data change."""


@dataclass(frozen=True)
class Statement:
    """One action of one SQL statement.

    Attributes:
        sql: The statement, comments removed and blanks collapsed.
        kind: What it does, e.g. ``create_index``, ``add_column``, ``dml``, ``unknown``.
        table: The table it locks, unquoted, when known.
        column: The column it changes, when it changes one.
        name: The index, constraint or trigger it names.
        lock: The strongest lock it takes on `table` (empty for none).
        cost: ``none``, ``brief``, ``scan``, ``rewrite``, ``build`` or ``data``.
        concurrently: It runs ``CONCURRENTLY``.
        idempotent: It can run again after a partial failure (``IF [NOT] EXISTS``...).
        detail: Kind-specific facts (``unique``, ``not_null``, ``default``, ``references``...).
    """

    sql: str
    kind: str
    table: str | None = None
    column: str | None = None
    name: str | None = None
    lock: str = ""
    cost: str = "none"
    concurrently: bool = False
    idempotent: bool = False
    detail: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def blocking(self) -> bool:
        """Whether it takes a lock that blocks writes to an existing table."""
        return self.lock in BLOCKING

    @property
    def long(self) -> bool:
        """Whether its duration grows with the table."""
        return self.cost in LONG_COSTS


def classify(sql: str) -> list[Statement]:
    """The actions of every statement in `sql` (one string, possibly several statements)."""
    found: list[Statement] = []
    for statement in split(sql):
        found.extend(_classify_one(statement))
    return found


_Handler = Callable[[str, "re.Match[str]"], list[Statement]]
_HANDLERS: list[tuple[re.Pattern[str], _Handler]] = []


def _handles(pattern: str) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _HANDLERS.append((re.compile(pattern, re.IGNORECASE | re.DOTALL), handler))
        return handler

    return register


def _classify_one(sql: str) -> list[Statement]:
    for pattern, handler in _HANDLERS:
        match = pattern.match(sql)
        if match:
            return handler(sql, match)
    return [Statement(sql, "unknown")]


@_handles(
    rf"CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(IF\s+NOT\s+EXISTS\s+)?({QUALIFIED}\s+)?ON\s+(ONLY\s+)?({QUALIFIED})"
)
def _create_index(sql: str, match: re.Match[str]) -> list[Statement]:
    concurrently = bool(match.group(2))
    return [
        Statement(
            sql,
            "create_index",
            table=unquote(match.group(6)),
            name=unquote(match.group(4)) if match.group(4) else None,
            lock=SUE if concurrently else SHARE,
            cost="build",
            concurrently=concurrently,
            idempotent=bool(match.group(3)),
            detail={"unique": bool(match.group(1))},
        )
    ]


@_handles(rf"DROP\s+INDEX\s+(CONCURRENTLY\s+)?(IF\s+EXISTS\s+)?({QUALIFIED})")
def _drop_index(sql: str, match: re.Match[str]) -> list[Statement]:
    concurrently = bool(match.group(1))
    return [
        Statement(
            sql,
            "drop_index",
            name=unquote(match.group(3)),
            lock=SUE if concurrently else AE,
            cost="brief",
            concurrently=concurrently,
            idempotent=bool(match.group(2)),
        )
    ]


@_handles(
    rf"REINDEX\s+(?:\(.*?\)\s*)?(INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)\s+(CONCURRENTLY\s+)?({QUALIFIED})"
)
def _reindex(sql: str, match: re.Match[str]) -> list[Statement]:
    concurrently = bool(match.group(2))
    kind = match.group(1).upper()
    return [
        Statement(
            sql,
            "reindex",
            table=unquote(match.group(3)) if kind == "TABLE" else None,
            name=unquote(match.group(3)),
            lock=SUE if concurrently else SHARE,
            cost="build",
            concurrently=concurrently,
        )
    ]


@_handles(
    rf"CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMPORARY|TEMP|UNLOGGED)\s+)?TABLE\s+(IF\s+NOT\s+EXISTS\s+)?({QUALIFIED})"
)
def _create_table(sql: str, match: re.Match[str]) -> list[Statement]:
    return [
        Statement(
            sql, "create_table", table=unquote(match.group(2)), idempotent=bool(match.group(1))
        )
    ]


@_handles(rf"DROP\s+TABLE\s+(IF\s+EXISTS\s+)?({QUALIFIED}(?:\s*,\s*{QUALIFIED})*)")
def _drop_table(sql: str, match: re.Match[str]) -> list[Statement]:
    return [
        Statement(
            sql,
            "drop_table",
            table=unquote(name),
            lock=AE,
            cost="brief",
            idempotent=bool(match.group(1)),
        )
        for name in split_top_level(match.group(2))
    ]


@_handles(rf"TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?({QUALIFIED}(?:\s*,\s*(?:ONLY\s+)?{QUALIFIED})*)")
def _truncate(sql: str, match: re.Match[str]) -> list[Statement]:
    cascade = bool(re.search(r"\bCASCADE\s*$", sql, re.IGNORECASE))
    return [
        Statement(
            sql,
            "truncate",
            table=unquote(re.sub(r"(?i)^ONLY\s+", "", name)),
            lock=AE,
            cost="brief",
            detail={"cascade": cascade},
        )
        for name in split_top_level(match.group(1))
    ]


@_handles(rf"(?:VACUUM\s+(?:\(.*?FULL.*?\)|FULL)|CLUSTER)\s+(?:VERBOSE\s+)?({QUALIFIED})")
def _vacuum_full(sql: str, match: re.Match[str]) -> list[Statement]:
    return [Statement(sql, "rewrite", table=unquote(match.group(1)), lock=AE, cost="rewrite")]


@_handles(rf"LOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?({QUALIFIED})(?:\s+IN\s+(.+?)\s+MODE)?")
def _lock(sql: str, match: re.Match[str]) -> list[Statement]:
    mode = " ".join((match.group(2) or AE).upper().split())
    return [Statement(sql, "lock_table", table=unquote(match.group(1)), lock=mode, cost="brief")]


@_handles(
    rf"(?:WITH\s.*?\)\s*)?(UPDATE|DELETE\s+FROM|INSERT\s+INTO|MERGE\s+INTO)\s+(?:ONLY\s+)?({QUALIFIED})"
)
def _dml(sql: str, match: re.Match[str]) -> list[Statement]:
    verb = match.group(1).split()[0].upper()
    bare = strip_literals(sql)
    where = bool(re.search(r"\bWHERE\b", bare, re.IGNORECASE))
    values_only = verb == "INSERT" and not re.search(r"\bSELECT\b", bare, re.IGNORECASE)
    return [
        Statement(
            sql,
            "dml",
            table=unquote(match.group(2)),
            lock=ROW_EXCLUSIVE,
            cost="brief" if values_only else "data",
            detail={"verb": verb, "where": where},
        )
    ]


@_handles(r"SET\s+(?:(SESSION|LOCAL)\s+)?([A-Za-z_.]+)\s*(?:=|TO)\s*(.*)")
def _set(sql: str, match: re.Match[str]) -> list[Statement]:
    return [
        Statement(
            sql,
            "set",
            name=match.group(2).lower(),
            detail={"value": match.group(3).strip().strip("'\""), "scope": match.group(1)},
        )
    ]


@_handles(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+({IDENTIFIER})\s.*?\sON\s+({QUALIFIED})"
)
def _create_trigger(sql: str, match: re.Match[str]) -> list[Statement]:
    return [
        Statement(
            sql,
            "create_trigger",
            table=unquote(match.group(2)),
            name=unquote(match.group(1)),
            lock=SRE,
            cost="brief",
        )
    ]


@_handles(rf"DROP\s+TRIGGER\s+(IF\s+EXISTS\s+)?({IDENTIFIER})\s+ON\s+({QUALIFIED})")
def _drop_trigger(sql: str, match: re.Match[str]) -> list[Statement]:
    return [
        Statement(
            sql,
            "drop_trigger",
            table=unquote(match.group(3)),
            name=unquote(match.group(2)),
            lock=AE,
            cost="brief",
            idempotent=bool(match.group(1)),
        )
    ]


_INSERT_TARGET = re.compile(rf"\bINSERT\s+INTO\s+({QUALIFIED})", re.IGNORECASE)


@_handles(r"CREATE\s+(OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s")
def _create_function(sql: str, match: re.Match[str]) -> list[Statement]:
    inserts = {unquote(name) for name in _INSERT_TARGET.findall(sql)}
    return [
        Statement(
            sql, "create_function", idempotent=bool(match.group(1)), detail={"inserts": inserts}
        )
    ]


@_handles(r"(DO|CALL)\s")
def _opaque(sql: str, match: re.Match[str]) -> list[Statement]:
    return [Statement(sql, "opaque")]


_HARMLESS = (
    r"SELECT|SHOW|RESET|COMMENT\s|GRANT\s|REVOKE\s|ANALYZE|VACUUM|BEGIN|COMMIT|START\s|"
    r"SET\s+CONSTRAINTS|CREATE\s+(?:OR\s+REPLACE\s+)?(?:EXTENSION|SCHEMA|TYPE|DOMAIN|"
    r"SEQUENCE|COLLATION|AGGREGATE|CAST|OPERATOR|(?:TEXT\s+SEARCH)|ROLE|USER)\b|"
    r"DROP\s+(?:FUNCTION|PROCEDURE|EXTENSION|SCHEMA|TYPE|DOMAIN|SEQUENCE|COLLATION|"
    r"AGGREGATE|CAST|OPERATOR|ROLE|USER|VIEW|MATERIALIZED\s+VIEW)\b|"
    r"ALTER\s+(?:SEQUENCE|FUNCTION|PROCEDURE|EXTENSION|SCHEMA|ROLE|USER|DOMAIN|COLLATION|"
    r"DEFAULT\s+PRIVILEGES|INDEX)\b|"
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+|RECURSIVE\s+)*VIEW\b"
)


@_handles(rf"(?:{_HARMLESS})")
def _harmless(sql: str, match: re.Match[str]) -> list[Statement]:
    idempotent = bool(re.search(r"\bIF\s+(NOT\s+)?EXISTS\b|\bOR\s+REPLACE\b", sql, re.I))
    return [Statement(sql, "harmless", idempotent=idempotent)]


@_handles(rf"ALTER\s+TYPE\s+({QUALIFIED})\s+ADD\s+VALUE")
def _enum_value(sql: str, match: re.Match[str]) -> list[Statement]:
    return [Statement(sql, "harmless", name=unquote(match.group(1)), lock=EXCLUSIVE)]


@_handles(rf"ALTER\s+TABLE\s+(IF\s+EXISTS\s+)?(?:ONLY\s+)?({QUALIFIED})\s*\*?\s+(.*)")
def _alter_table(sql: str, match: re.Match[str]) -> list[Statement]:
    # Imported here: the ALTER TABLE actions live in their own module.
    from .alter_table import classify_actions

    table = unquote(match.group(2))
    return classify_actions(sql, table, match.group(3), if_exists=bool(match.group(1)))
