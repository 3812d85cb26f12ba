"""Fixtures of the smooth-migrations suite: releases of migration modules, schema snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from tests.migration_support import (
    Release,
    _fresh_run_journal,  # noqa: F401 - autouse
    releases,
    table_pattern,
)
from tests.smooth_migrations.lint_support import lintapp  # noqa: F401 - a fixture

DEPLOY_APPS = ("north", "south", "east")
TABLES = table_pattern(DEPLOY_APPS)


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Release]:
    """Switch the code to a release: ``release(north={"0001_initial": source, ...}, ...)``.

    Returns the MIGRATION_MODULES mapping it set. Tables and rows of the deploy apps are
    dropped after the test.
    """
    yield from releases(tmp_path, DEPLOY_APPS)


def migration_rows(using: str = "default") -> list[tuple[object, ...]]:
    """Every row of django_migrations (id, app, name, applied); empty without the table."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return []
        cursor.execute("SELECT id, app, name, applied FROM django_migrations ORDER BY id")
        return list(cursor.fetchall())
