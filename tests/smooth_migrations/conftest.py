"""Fixtures of the smooth-migrations suite: releases of migration modules, schema snapshots."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from django.test.utils import override_settings

DEPLOY_APPS = ("north", "south", "east")
TABLES = "^(north|south|east)_"

Release = Callable[..., dict[str, str | None]]


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Release]:
    """Switch the code to a release: ``release(north={"0001_initial": source, ...}, ...)``.

    Each call writes the migration files into a new temporary package and points
    MIGRATION_MODULES at it, the way a deploy swaps the code; it returns that mapping.
    Apps not named have no migrations in that release. Tables and rows of the deploy apps
    are dropped after the test.
    """
    sys.path.insert(0, str(tmp_path))
    overrides: list[override_settings] = []

    def switch(**apps: dict[str, str]) -> dict[str, str | None]:
        package = f"release_{uuid.uuid4().hex[:12]}"
        modules: dict[str, str | None] = dict.fromkeys(DEPLOY_APPS)
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        for app, files in apps.items():
            directory = tmp_path / package / app
            directory.mkdir()
            (directory / "__init__.py").write_text("")
            for name, source in files.items():
                (directory / f"{name}.py").write_text(textwrap.dedent(source))
            modules[app] = f"{package}.{app}"
        if overrides:
            overrides.pop().disable()
        override = override_settings(MIGRATION_MODULES=modules)
        override.enable()
        overrides.append(override)
        return modules

    yield switch
    if overrides:
        overrides.pop().disable()
    sys.path.remove(str(tmp_path))
    for alias in ("default", "other"):
        drop_deploy_tables(alias)


def drop_deploy_tables(using: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename ~ %s",
            [TABLES],
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM django_migrations WHERE app IN ('north', 'south', 'east')")


def schema(using: str = "default", pattern: str = ".") -> dict[str, list[tuple[str, ...]]]:
    """Tables, columns, constraints and indexes of the public schema, for exact comparisons."""
    queries = {
        "tables": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename ~ %s ORDER BY 1",
        "columns": "SELECT table_name, column_name, data_type, is_nullable,"
        " coalesce(column_default, '') FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name ~ %s ORDER BY 1, 2",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
        " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
        " AND conrelid::regclass::text ~ %s ORDER BY 1, 2",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = 'public' AND tablename ~ %s ORDER BY 1, 2",
    }
    result = {}
    with connections[using].cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [pattern])
            result[name] = [tuple(str(value) for value in row) for row in cursor.fetchall()]
    return result


def migration_rows(using: str = "default") -> list[tuple[object, ...]]:
    """Every row of django_migrations (id, app, name, applied); empty without the table."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return []
        cursor.execute("SELECT id, app, name, applied FROM django_migrations ORDER BY id")
        return list(cursor.fetchall())
