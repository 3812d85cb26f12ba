"""Fixtures of the core suite: releases of migration modules written to temporary packages."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from django.test.utils import override_settings

PLAN_APPS = ("alpha", "beta", "gamma")

Release = Callable[..., None]


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Release]:
    """Switch the code to a release: ``release(alpha={"0001_initial": source, ...}, ...)``.

    Each call writes the migration files into a new temporary package and points
    MIGRATION_MODULES at it, the way a deploy swaps the code. Apps not named have no
    migrations in that release. Tables and rows the test left behind are dropped after.
    """
    sys.path.insert(0, str(tmp_path))
    overrides: list[override_settings] = []

    def switch(**apps: dict[str, str]) -> None:
        package = f"release_{uuid.uuid4().hex[:12]}"
        modules: dict[str, str | None] = dict.fromkeys(PLAN_APPS)
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

    yield switch
    if overrides:
        overrides.pop().disable()
    sys.path.remove(str(tmp_path))
    for alias in ("default", "other"):
        drop_plan_tables(alias)


def drop_plan_tables(using: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename ~ '^(alpha|beta|gamma)_'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM django_migrations WHERE app IN ('alpha', 'beta', 'gamma')")


def schema(using: str = "default") -> dict[str, list[tuple[str, ...]]]:
    """Tables, columns, constraints and indexes of the plan apps, for exact comparisons."""
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable,"
        " coalesce(column_default, '') FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name ~ '^(alpha|beta|gamma)_' ORDER BY 1, 2",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
        " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
        " AND conrelid::regclass::text ~ '^(alpha|beta|gamma)_' ORDER BY 1, 2",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = 'public' AND tablename ~ '^(alpha|beta|gamma)_' ORDER BY 1, 2",
    }
    result = {}
    with connections[using].cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            result[name] = [tuple(str(value) for value in row) for row in cursor.fetchall()]
    return result
