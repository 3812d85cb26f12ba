"""SIGTERM during a slow migration: the subprocess rolls back to the applied set it started from."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from django.db import connections

from tests.migration_support import Release, backend_running, schema
from tidemark_core import applied_migrations

from .migrations_src import NORTH_0001, run_sql
from .processes import Child

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


def test_sigterm_during_a_slow_migration_restores_the_start(
    release: Release, tmp_path: Path
) -> None:
    modules = release(
        north={
            "0001_initial": NORTH_0001,
            "0002_slow": run_sql("north", "0001_initial", "SELECT pg_sleep(60)"),
        }
    )
    start = applied_migrations()
    child = Child(["apply_migrations", "north", "--no-input"], modules, tmp_path)
    child.wait_until(lambda: backend_running("pg_sleep(60)") is not None, "the slow statement")

    child.process.send_signal(signal.SIGTERM)
    returncode = child.finish()
    text = child.output

    assert returncode != 0
    assert "  Applying north.0002_slow... FAIL" in text
    assert "Interrupted by SIGTERM" in text
    assert "  Unapplying north.0001_initial... OK" in text
    assert applied_migrations() == start
    assert schema(pattern="^north_")["tables"] == []
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%%'"
            " AND state = 'active'"
        )
        assert cursor.fetchone()[0] == 0  # the statement was cancelled on the server
