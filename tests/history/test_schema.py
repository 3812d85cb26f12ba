"""Schema evolution: plain makemigrations + migrate keep the triggers right at every step."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import override_settings

import tidemark_history as history
from tests.app_registry import forget_models
from tests.history.conftest import raw

pytestmark = pytest.mark.django_db(transaction=True)


def define(tracked: bool = True, **fields: models.Field[Any, Any]) -> type[models.Model]:
    """Define the release's ``evolve.Thing`` (tracked by default)."""
    forget_models("evolve")
    meta = type("Meta", (), {"app_label": "evolve"})
    attrs = {"__module__": "tests.history.evolve.models", "Meta": meta, **fields}
    model: type[models.Model] = type("Thing", (models.Model,), attrs)
    return history.track()(model) if tracked else model


@pytest.fixture
def migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary migrations package for the evolve app; tables dropped after."""
    package = f"evolve_migrations_{uuid.uuid4().hex[:12]}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")  # "Did you rename ...?"
    with override_settings(MIGRATION_MODULES={"evolve": package}):
        yield tmp_path / package
    forget_models("evolve")
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith(package)]:
        del sys.modules[name]
    for (table,) in raw("SELECT tablename FROM pg_tables WHERE tablename LIKE 'evolve_%'"):
        raw(f'DROP TABLE "{table}" CASCADE')
    raw("DELETE FROM django_migrations WHERE app = 'evolve'")


def release(interactive: bool = False) -> None:
    """What a deploy runs: makemigrations (as the developer did), then migrate."""
    call_command("makemigrations", "evolve", interactive=interactive, verbosity=0)
    call_command("migrate", "evolve", verbosity=0)
    call_command("makemigrations", "evolve", check=True, dry_run=True, verbosity=0)


def columns(table: str) -> dict[str, str]:
    rows = raw(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
        [table],
    )
    return dict(rows)


def triggers(table: str) -> list[str]:
    rows = raw(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal"
        " ORDER BY tgname",
        [table],
    )
    return [name for (name,) in rows]


def thing_events() -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM evolve_thingevent ORDER BY history_id")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_add_rename_retype_remove_fields_then_untrack(migrations: Path) -> None:
    define(name=models.CharField(max_length=20), quantity=models.IntegerField(default=0))
    release()
    raw("INSERT INTO evolve_thing (name, quantity) VALUES ('first', 1)")
    assert [(e["name"], e["quantity"]) for e in thing_events()] == [("first", 1)]
    assert len(triggers("evolve_thing")) == 3

    # Add a field: the event table gets the column, the triggers copy it.
    define(
        name=models.CharField(max_length=20),
        quantity=models.IntegerField(default=0),
        colour=models.CharField(max_length=10, default="red"),
    )
    release()
    raw("UPDATE evolve_thing SET colour = 'blue'")
    assert thing_events()[-1]["colour"] == "blue"

    # Rename a field: the column is renamed in both tables, the values recorded stay.
    define(
        title=models.CharField(max_length=20),
        quantity=models.IntegerField(default=0),
        colour=models.CharField(max_length=10, default="red"),
    )
    release(interactive=True)
    raw("UPDATE evolve_thing SET title = 'second'")
    assert [e["title"] for e in thing_events()] == ["first", "first", "second"]
    assert "name" not in columns("evolve_thingevent")

    # Change a tracked column's type (pghistory #38 fails here).
    define(
        title=models.CharField(max_length=20),
        quantity=models.BigIntegerField(default=0),
        colour=models.CharField(max_length=10, default="red"),
    )
    release()
    assert columns("evolve_thing")["quantity"] == "bigint"
    assert columns("evolve_thingevent")["quantity"] == "bigint"
    raw("UPDATE evolve_thing SET quantity = 5000000000")
    assert thing_events()[-1]["quantity"] == 5_000_000_000

    # Remove a field: no stale trigger refers to it; the values recorded in it stay.
    define(title=models.CharField(max_length=20), quantity=models.BigIntegerField(default=0))
    release()
    assert "colour" not in columns("evolve_thing")
    # The event recorded before the field existed says nothing of it (no default filled in).
    assert [e["colour"] for e in thing_events()] == [None, "blue", "blue", "blue"]
    raw("DELETE FROM evolve_thing")
    assert [(e["history_label"], e["colour"]) for e in thing_events()] == [
        ("insert", None),
        ("update", "blue"),
        ("update", "blue"),
        ("update", "blue"),
        ("delete", None),
    ]
    assert len(triggers("evolve_thing")) == 3

    # Remove the decorator: a migration removes the triggers and the event model.
    define(
        tracked=False,
        title=models.CharField(max_length=20),
        quantity=models.BigIntegerField(default=0),
    )
    release()
    assert triggers("evolve_thing") == []
    assert raw("SELECT to_regclass('evolve_thingevent')") == [(None,)]
    raw("INSERT INTO evolve_thing (title, quantity) VALUES ('untracked', 1)")
    assert raw("SELECT count(*) FROM evolve_thing") == [(1,)]


def define_all(tracked: bool = True, **fields: models.Field[Any, Any]) -> type[models.Model]:
    """Define ``evolve.Other`` and ``evolve.Place`` beside ``evolve.Thing``."""
    forget_models("evolve")
    for name in ("Other", "Place"):
        meta = type("Meta", (), {"app_label": "evolve"})
        type(name, (models.Model,), {"__module__": "tests.history.evolve.models", "Meta": meta})
    meta = type("Meta", (), {"app_label": "evolve"})
    attrs = {"__module__": "tests.history.evolve.models", "Meta": meta, **fields}
    model: type[models.Model] = type("Thing", (models.Model,), attrs)
    return history.track()(model) if tracked else model


def latest_migration(directory: Path) -> str:
    return sorted(path.stem for path in directory.glob("0*.py"))[-1]


def event_operations(directory: Path, name: str) -> list[str]:
    """The operations of migration `name` that change the event model."""
    source = (directory / f"{name}.py").read_text()
    return [line.strip() for line in source.splitlines() if "'thingevent'" in line]


def recorded() -> dict[int, dict[str, Any]]:
    return {event["history_id"]: event for event in thing_events()}


def assert_kept(
    before: dict[int, dict[str, Any]], after: dict[int, dict[str, Any]], change: str
) -> None:
    """Every event of `before` is in `after`, with the same value in each column both have
    (a renamed column compared under its new name)."""
    renamed = {"label": "tag"} if change == "rename a field" else {}
    assert set(before) <= set(after), change
    for history_id, event in before.items():
        for column, value in event.items():
            column = renamed.get(column, column)
            if column in after[history_id]:
                assert after[history_id][column] == value, (change, history_id, column)


def guard_refuses_rewrites() -> None:
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE evolve_thingevent SET history_label = 'forged'")


# Each release changes Thing the way a migration Django writes would; the values it sets
# after migrating are recorded by the triggers.
SCHEMA_CHANGES: list[tuple[str, dict[str, Any], str]] = [
    (
        "add a field with a default",
        {
            "size": lambda: models.IntegerField(null=True),
            "label": lambda: models.CharField(max_length=10, default="new"),
        },
        "UPDATE evolve_thing SET label = 'added'",
    ),
    (
        "null to NOT NULL with a default",
        {
            "size": lambda: models.IntegerField(default=3),
            "label": lambda: models.CharField(max_length=10, default="new"),
        },
        "UPDATE evolve_thing SET size = 4",
    ),
    (
        "change a default",
        {
            "size": lambda: models.IntegerField(default=5),
            "label": lambda: models.CharField(max_length=10, default="newer"),
        },
        "UPDATE evolve_thing SET size = 6",
    ),
    (
        "make a field unique",
        {
            "size": lambda: models.IntegerField(default=5),
            "label": lambda: models.CharField(max_length=10, default="newer", unique=True),
        },
        "UPDATE evolve_thing SET label = 'unique'",
    ),
    (
        "change a type",
        {
            "size": lambda: models.BigIntegerField(default=5),
            "label": lambda: models.CharField(max_length=30, default="newer", unique=True),
        },
        "UPDATE evolve_thing SET size = 7",
    ),
    (
        "add a foreign key",
        {
            "size": lambda: models.BigIntegerField(default=5),
            "label": lambda: models.CharField(max_length=30, default="newer", unique=True),
            "other": lambda: models.ForeignKey("evolve.Other", models.CASCADE, null=True),
        },
        "UPDATE evolve_thing SET other_id = (SELECT max(id) FROM evolve_other)",
    ),
    (
        "point a foreign key elsewhere, NOT NULL",
        {
            "size": lambda: models.BigIntegerField(default=5),
            "label": lambda: models.CharField(max_length=30, default="newer", unique=True),
            "other": lambda: models.ForeignKey("evolve.Place", models.PROTECT, default=1),
        },
        "UPDATE evolve_thing SET size = 8",
    ),
    (
        "rename a field",
        {
            "size": lambda: models.BigIntegerField(default=5),
            "tag": lambda: models.CharField(max_length=30, default="newer", unique=True),
            "other": lambda: models.ForeignKey("evolve.Place", models.PROTECT, default=1),
        },
        "UPDATE evolve_thing SET tag = 'renamed'",
    ),
    (
        "remove a field",
        {
            "size": lambda: models.BigIntegerField(default=5),
            "other": lambda: models.ForeignKey("evolve.Place", models.PROTECT, default=1),
        },
        "UPDATE evolve_thing SET size = 9",
    ),
]


def test_each_schema_change_migrates_forward_and_back_with_the_events_intact(
    migrations: Path,
) -> None:
    define_all(name=models.CharField(max_length=20), size=models.IntegerField(null=True))
    release()
    raw("INSERT INTO evolve_other DEFAULT VALUES")
    raw("INSERT INTO evolve_place DEFAULT VALUES")
    raw("INSERT INTO evolve_thing (name, size) VALUES ('first', NULL)")
    raw("UPDATE evolve_thing SET name = 'second'")

    for change, fields, write in SCHEMA_CHANGES:
        before = latest_migration(migrations)
        events_before = recorded()
        define_all(name=models.CharField(max_length=20), **{k: f() for k, f in fields.items()})
        release(interactive=True)
        applied = latest_migration(migrations)
        # No migration Django writes rewrites or fills the values already recorded.
        assert_kept(events_before, recorded(), change)
        assert not [
            op
            for op in event_operations(migrations, applied)
            if "AlterField" in op and "null=False" in op
        ], change
        raw(write)
        guard_refuses_rewrites()
        events_after = recorded()
        assert len(events_after) > len(events_before), change

        # Back to the previous release, then forward again: every event stays, and every
        # value recorded in a column the previous release's event table has stays.
        call_command("migrate", "evolve", before, verbosity=0)
        back = recorded()
        assert back.keys() == events_after.keys(), change
        assert_kept(back, events_after, change)
        guard_refuses_rewrites()
        call_command("migrate", "evolve", verbosity=0)
        assert_kept(events_after, recorded(), change)

    events = thing_events()
    # The removed field's column and values are kept; renamed columns keep theirs.
    assert [e["tag"] for e in events][-3:] == ["unique", "renamed", None]
    assert [e["size"] for e in events][-1] == 9
    assert "tag" not in columns("evolve_thing")


def test_drop_removed_fields_drops_the_event_column(migrations: Path) -> None:
    define(name=models.CharField(max_length=20), colour=models.CharField(max_length=10))
    release()
    raw("INSERT INTO evolve_thing (name, colour) VALUES ('first', 'red')")

    forget_models("evolve")
    meta = type("Meta", (), {"app_label": "evolve"})
    attrs = {
        "__module__": "tests.history.evolve.models",
        "Meta": meta,
        "name": models.CharField(max_length=20),
    }
    history.track(drop_removed_fields=True)(type("Thing", (models.Model,), attrs))
    release()

    assert "colour" not in columns("evolve_thingevent")
    assert [e["name"] for e in thing_events()] == ["first"]
