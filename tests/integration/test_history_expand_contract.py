"""The expand/contract walkthrough (docs/smooth-migrations/expand-contract.md, examples 1 and
2) on a tracked model: deprecating, then removing a field keeps the values history recorded
in it, and every migration applies with the append-only guard in force, forward and back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, models, transaction

import tidemark_history as history
import tidemark_smooth_migrations as smooth
from tests.integration.test_lint_history import APP, MODULE, forget_tracking
from tests.smooth_migrations.lint_support import LintApp, temporary_app

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


@pytest.fixture
def tracked(tmp_path: Path) -> Iterator[LintApp]:
    app = temporary_app(tmp_path, APP, MODULE)
    try:
        yield next(app)
    finally:
        forget_tracking()
        next(app, None)


def release(app: LintApp, product: dict[str, Any], decorators: list[Any]) -> str:
    """Define the release's ``Product``, run makemigrations, apply with apply_migrations."""
    forget_tracking()
    name = app.release({"Product": {**product, "decorators": [history.track(), *decorators]}})
    result = smooth.apply_migrations(APP)
    assert result.ok, result
    return name


def sql(statement: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall() if cursor.description else []


def events(*columns: str) -> list[tuple[Any, ...]]:
    selected = ", ".join(["history_label", "name", *columns])
    return sql(f"SELECT {selected} FROM tracked_productevent ORDER BY history_id")


def event_operations(source: str) -> list[str]:
    """The operations of a migration's source that change the event model."""
    return re.findall(
        r"([\w.]+)\(\s*(?:state_operations=\[\s*migrations\.RemoveField\(\s*)?"
        r"model_name=[\"']productevent[\"']",
        source,
    )


def guard_in_force() -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql("UPDATE tracked_productevent SET legacy_code = 'forged'")


def test_deprecating_then_removing_a_tracked_field_keeps_its_recorded_values(
    tracked: LintApp,
) -> None:
    # Release N.
    first = release(
        tracked,
        {
            "name": models.CharField(max_length=200),
            "legacy_code": models.CharField(max_length=20),
        },
        [],
    )
    sql("INSERT INTO tracked_product (name, legacy_code) VALUES ('Lamp', 'L-1')")

    # Release N+1 (expand): legacy_code deprecated, currency added.
    expand = release(
        tracked,
        {
            "name": models.CharField(max_length=200),
            "legacy_code": smooth.deprecated_field(models.CharField(max_length=20)),
            "currency": smooth.new_field(models.CharField(max_length=3, default="EUR")),
        },
        [smooth.backward_compatible_model],
    )
    # The event model keeps legacy_code as it was: only currency is added to it.
    assert event_operations(tracked.source(expand)) == ["tidemark_history.operations.AddEventField"]
    # Release N still writes the column; release N+1 does not know it.
    sql("INSERT INTO tracked_product (name, legacy_code) VALUES ('Desk', 'D-1')")
    sql("UPDATE tracked_product SET legacy_code = 'L-2' WHERE name = 'Lamp'")
    recorded = [
        ("insert", "Lamp", "L-1", None),
        ("insert", "Desk", "D-1", None),
        ("update", "Lamp", "L-2", "EUR"),  # AddField gave the rows of release N the default
    ]
    assert events("legacy_code", "currency") == recorded
    guard_in_force()

    # The expand release rolled back (before release N+1 wrote a row release N cannot
    # read), then deployed again: nothing recorded is lost.
    call_command("migrate", APP, first, verbosity=0)
    assert events("legacy_code", "currency") == recorded
    guard_in_force()
    assert smooth.apply_migrations(APP).ok
    assert events("legacy_code", "currency") == recorded

    sql("INSERT INTO tracked_product (name, legacy_code) VALUES ('Shelf', 'S-1')")  # by N
    tracked_product().objects.create(name="Chair", currency="USD")
    recorded += [("insert", "Shelf", "S-1", None), ("insert", "Chair", None, "USD")]
    assert events("legacy_code", "currency") == recorded

    # Release N+2 (contract): legacy_code removed, currency made NOT NULL with its default.
    contract = release(
        tracked,
        {
            "name": models.CharField(max_length=200),
            "currency": models.CharField(max_length=3, default="EUR"),
        },
        [],
    )
    # legacy_code leaves the event model's state; its column and values stay in the table.
    assert event_operations(tracked.source(contract)) == ["migrations.SeparateDatabaseAndState"]
    # Every value recorded before, legacy_code's included, is still there; the row release N
    # inserted without a currency got the default from the migration, recorded as an update
    # (the capture triggers were in place before the field was altered).
    assert events("legacy_code", "currency") == [*recorded, ("update", "Shelf", None, "EUR")]
    assert "legacy_code" not in {
        column.name
        for column in connection.introspection.get_table_description(
            connection.cursor(), "tracked_product"
        )
    }
    guard_in_force()

    # The contract release rolled back and deployed again: the recorded values stay.
    contracted = events("legacy_code", "currency")
    call_command("migrate", APP, expand, verbosity=0)
    assert events("legacy_code", "currency") == contracted
    guard_in_force()
    assert smooth.apply_migrations(APP).ok
    assert events("legacy_code", "currency") == contracted
    tracked_product().objects.create(name="Stool")
    assert events("legacy_code", "currency")[-1] == ("insert", "Stool", None, "EUR")


def tracked_product() -> Any:
    from django.apps import apps

    return apps.get_model(APP, "Product")
