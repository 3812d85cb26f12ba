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

    # Remove a field: no stale trigger refers to it.
    define(title=models.CharField(max_length=20), quantity=models.BigIntegerField(default=0))
    release()
    assert "colour" not in columns("evolve_thingevent")
    raw("DELETE FROM evolve_thing")
    assert [e["history_label"] for e in thing_events()] == [
        "insert",
        "update",
        "update",
        "update",
        "delete",
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
