"""The demo's databases: made afresh on each run, dropped by ``clean``, and read by the narrator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

SCHEMA_QUERIES = {
    "columns": "SELECT table_name, column_name, data_type, is_nullable"
    " FROM information_schema.columns WHERE table_schema = 'public' AND table_name ~ %(tables)s"
    " ORDER BY table_name, ordinal_position",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
    " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
    " AND conrelid::regclass::text ~ %(tables)s ORDER BY 1, 2",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
    " WHERE schemaname = 'public' AND tablename ~ %(tables)s ORDER BY 1, 2",
    "triggers": "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger"
    " WHERE NOT tgisinternal AND tgrelid::regclass::text ~ %(tables)s ORDER BY 1, 2",
}


@contextmanager
def connect(url: str, database: str | None = None) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to `database` (default: the URL's own) on the URL's server."""
    options = {"dbname": database} if database else {}
    with psycopg.connect(url, autocommit=True, **options) as connection:
        yield connection


def recreate(url: str, *names: str) -> None:
    """Drop the databases `names` (closing their sessions) and create them empty."""
    drop(url, *names)
    with connect(url) as connection:
        for name in names:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop(url: str, *names: str) -> None:
    """Drop the databases `names`, closing their sessions."""
    with connect(url) as connection:
        for name in names:
            statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            connection.execute(statement.format(sql.Identifier(name)))


def schema(url: str, database: str, tables: str = "^shop_") -> dict[str, list[tuple[str, ...]]]:
    """Columns, constraints, indexes and triggers of the tables matching `tables`."""
    with connect(url, database) as connection:
        return {
            name: [tuple(map(str, row)) for row in connection.execute(query, {"tables": tables})]
            for name, query in SCHEMA_QUERIES.items()
        }


def kept_by_history(
    before: dict[str, list[tuple[str, ...]]], after: dict[str, list[tuple[str, ...]]]
) -> tuple[dict[str, list[tuple[str, ...]]], list[str]]:
    """`after` without the event-table columns `before` lacks, and those columns.

    A rolled-back release that added a tracked field leaves its event column in place, with
    the values history recorded in it (``tidemark_history.operations.AddEventField``).
    """
    known = {(row[0], row[1]) for row in before["columns"]}
    kept = [
        row
        for row in after["columns"]
        if row[0].endswith("event") and (row[0], row[1]) not in known
    ]
    rest = {**after, "columns": [row for row in after["columns"] if row not in kept]}
    return rest, [f"{row[0]}.{row[1]}" for row in kept]


def columns(found: dict[str, list[tuple[str, ...]]]) -> dict[str, list[str]]:
    """``{table: [column, ...]}`` of a `schema`."""
    tables: dict[str, list[str]] = {}
    for table, column, *_ in found["columns"]:
        tables.setdefault(table, []).append(column)
    return tables
