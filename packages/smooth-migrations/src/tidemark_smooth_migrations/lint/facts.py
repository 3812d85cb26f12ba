"""What the linter knows across migrations: new tables, relaxed columns, the server."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connections

from tidemark_core import Key

# Used when the server cannot be asked (a function the database does not have yet).
KNOWN_VOLATILE = frozenset(
    {
        "random",
        "clock_timestamp",
        "timeofday",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuidv4",
        "uuidv7",
        "nextval",
        "setseed",
        "txid_current",
        "pg_current_xact_id",
    }
)
_CALL = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)\s*\(")


@dataclass
class Facts:
    """Facts gathered while walking the graph, shared by the rules.

    Attributes:
        using: The database alias whose server judges function volatility.
        server_version: ``(major, minor)`` of that server.
        release: The migrations deployed together (a table they create is empty when the
            others run), or None when unknown.
        lock_timeout: Whether migrations run with a lock_timeout.
        tables: Table → the migration that created it.
        columns: ``(table, column)`` → the migration that added it.
        relaxed: ``(table, column)`` → the last migration that made it nullable or gave it
            a database default.
        checks: NOT VALID ``CHECK (column IS NOT NULL)`` constraints: name → ``(table, column)``.
        valid_not_null: Columns with a validated ``CHECK (column IS NOT NULL)``.
    """

    using: str
    server_version: tuple[int, int]
    release: frozenset[Key] | None
    lock_timeout: bool
    tables: dict[str, Key] = field(default_factory=dict)
    columns: dict[tuple[str, str], Key] = field(default_factory=dict)
    relaxed: dict[tuple[str, str], Key] = field(default_factory=dict)
    checks: dict[str, tuple[str, str]] = field(default_factory=dict)
    valid_not_null: set[tuple[str, str]] = field(default_factory=set)
    _volatility: dict[str, bool] = field(default_factory=dict)

    def same_release(self, created: Key | None, key: Key) -> bool:
        """Whether a migration `created` is deployed with `key` (or is `key`)."""
        if created is None:
            return False
        return created == key or (
            self.release is not None and created in self.release and key in self.release
        )

    def new_table(self, table: str | None, key: Key) -> bool:
        """Whether `table` is created by `key` or by a migration deployed with it."""
        return table is not None and self.same_release(self.tables.get(table), key)

    def new_column(self, table: str | None, column: str | None, key: Key) -> bool:
        """Whether the column was added in `key`'s release (the rules ask about the table
        first)."""
        return (
            table is not None
            and column is not None
            and (self.same_release(self.columns.get((table, column)), key))
        )

    def volatile(self, expression: str) -> bool:
        """Whether `expression` calls a volatile function (asked of the server)."""
        names = {name.lower() for name in _CALL.findall(expression)}
        return any(self._is_volatile(name) for name in names)

    def _is_volatile(self, name: str) -> bool:
        if name not in self._volatility:
            with connections[self.using].cursor() as cursor:
                cursor.execute(
                    "SELECT bool_or(provolatile = 'v'), count(*) FROM pg_proc WHERE proname = %s",
                    [name],
                )
                volatile, count = cursor.fetchone()
            self._volatility[name] = bool(volatile) if count else name in KNOWN_VOLATILE
        return self._volatility[name]

    def record_relaxed(self, columns: Iterable[tuple[str, str]], key: Key) -> None:
        """Remember that `key` relaxed these columns."""
        for column in columns:
            self.relaxed[column] = key
