"""The raw form of a finding while the rules run, and the words for locks."""

from __future__ import annotations

from dataclasses import dataclass

from .analysis import Unit
from .statements import AE, Statement

DURATIONS = {
    "build": "while the index builds",
    "scan": "while PostgreSQL checks every row",
    "rewrite": "while PostgreSQL rewrites the table and its indexes",
    "data": "while the data changes",
    "brief": (
        "only for a moment, but while it waits behind any open transaction on the table, "
        "every query that comes after it waits too"
    ),
}


def effect(lock: str, cost: str, table: str, referenced: str | None = None) -> str:
    """What a lock does to the application, in words."""
    if lock == AE:
        subject = f"blocks reads and writes of {table}"
    else:
        subject = f"blocks writes to {table}" + (f" and {referenced}" if referenced else "")
    return f"{subject} {DURATIONS.get(cost, DURATIONS['brief'])}"


@dataclass
class Issue:
    """A finding before it gets its migration, severity, file and line."""

    code: str
    unit: Unit | None
    message: str
    fix: str
    table: str | None = None
    lock: str | None = None
    effect: str = ""

    @classmethod
    def at(
        cls,
        code: str,
        unit: Unit,
        statement: Statement,
        message: str,
        fix: str,
        *,
        cost: str | None = None,
        referenced: str | None = None,
    ) -> Issue:
        """An issue about `statement`: its table, lock and effect filled in."""
        table = statement.table or "the table"
        return cls(
            code,
            unit,
            message,
            fix,
            table=table,
            lock=statement.lock or None,
            effect=effect(statement.lock, cost or statement.cost, table, referenced),
        )
