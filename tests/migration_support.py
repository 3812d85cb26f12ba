"""Test support shared by the suites that run real migrations: temporary migration modules,
schema snapshots and clean-up.

Migrations are written into temporary packages and selected through MIGRATION_MODULES, the
way a deploy swaps the code, instead of touching committed files.
"""

from __future__ import annotations

import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import pytest
from django.db import connections
from django.test.utils import override_settings

from tidemark_core.journal import TABLE as JOURNAL

Release = Callable[..., dict[str, str | None]]
"""``release(app={"0001_initial": source, ...}, ...)``: switch the code to a release."""


def write_migrations(directory: Path, files: Mapping[str, str]) -> None:
    """Make `directory` a migrations package holding `files` (name → source)."""
    directory.mkdir(parents=True)
    (directory / "__init__.py").write_text("")
    for name, source in files.items():
        (directory / f"{name}.py").write_text(textwrap.dedent(source))


class SettingsSwitch:
    """One settings override at a time: enabling the next disables the previous."""

    def __init__(self) -> None:
        self.active: override_settings | None = None

    def enable(self, override: override_settings) -> None:
        self.disable()
        override.enable()
        self.active = override

    def disable(self) -> None:
        if self.active is not None:
            self.active.disable()
            self.active = None


def releases(root: Path, app_labels: Iterable[str]) -> Iterator[Release]:
    """The body of a ``release`` fixture for the model-less apps `app_labels`.

    Each call writes the migration files into a new package under `root` and points
    MIGRATION_MODULES at it; it returns that mapping. Apps not named have no migrations in
    that release. Afterwards the settings are restored and the apps' tables and rows dropped.
    """
    labels = tuple(app_labels)
    switch = SettingsSwitch()
    sys.path.insert(0, str(root))

    def release(**apps: dict[str, str]) -> dict[str, str | None]:
        package = f"release_{uuid.uuid4().hex[:12]}"
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
        modules: dict[str, str | None] = dict.fromkeys(labels)
        for app, files in apps.items():
            write_migrations(root / package / app, files)
            modules[app] = f"{package}.{app}"
        switch.enable(override_settings(MIGRATION_MODULES=modules))
        return modules

    try:
        yield release
    finally:
        switch.disable()
        sys.path.remove(str(root))
        for alias in ("default", "other"):
            drop_tables(alias, labels)
        clear_run_journal()


def table_pattern(app_labels: Iterable[str]) -> str:
    """A regular expression matching the table names of `app_labels`."""
    return "^(" + "|".join(app_labels) + ")_"


def drop_tables(using: str, app_labels: Iterable[str]) -> None:
    """Drop the tables of `app_labels` and forget their migrations."""
    labels = list(app_labels)
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename ~ %s",
            [table_pattern(labels)],
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM django_migrations WHERE app = ANY(%s)", [labels])


def schema(using: str = "default", pattern: str = ".") -> dict[str, list[tuple[str, ...]]]:
    """Tables, columns, constraints and indexes whose table matches `pattern`, for comparisons."""
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


def clear_run_journal(aliases: Iterable[str] = ("default", "other")) -> None:
    """Empty core's run journal, which no app manages and so no test flush empties."""
    for alias in aliases:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [JOURNAL])
            if cursor.fetchone()[0]:
                cursor.execute(f'TRUNCATE "{JOURNAL}"')


@pytest.fixture(autouse=True)
def _fresh_run_journal(request: pytest.FixtureRequest, django_db_blocker: object) -> Iterator[None]:
    """After a database test, no journal entry is left for the next test to trip over."""
    yield
    marker = request.node.get_closest_marker("django_db")
    # Other tests run in a transaction that is rolled back, journal included.
    if marker is not None and marker.kwargs.get("transaction"):
        aliases = marker.kwargs.get("databases") or ["default"]
        if aliases == "__all__":
            aliases = ["default", "other"]
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            clear_run_journal([alias for alias in aliases if alias != "lite"])


def backend_running(sql_fragment: str, *, active: bool = True) -> int | None:
    """The PID of a backend running `sql_fragment` (or, not `active`, that last ran it)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE (state = 'active' OR NOT %s)"
            " AND query LIKE %s AND pid <> pg_backend_pid() ORDER BY pid LIMIT 1",
            [active, f"%{sql_fragment}%"],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def wait_for_backend_gone(pid: int, timeout: float = 30) -> None:
    """Wait until the backend `pid` ended (its transaction rolled back, its locks freed)."""
    deadline = time.monotonic() + timeout
    while True:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
        assert time.monotonic() < deadline, f"backend {pid} still there"
        time.sleep(0.05)
