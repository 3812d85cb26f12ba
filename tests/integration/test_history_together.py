"""Rows changed by a dataset load, a migration run and a rollback record who changed them."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from tests.integration.shop.models import Category, Product
from tests.migration_support import Release
from tidemark_core import Plan, applied_migrations, execute
from tidemark_data_sync import iter_dump, load, load_many, sync
from tidemark_migration_state import find_state, rollback, save_state
from tidemark_smooth_migrations import apply_migrations

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

RENAME = """
from django.db import migrations

def shout(apps, schema_editor):
    for category in apps.get_model("shop", "Category").objects.all():
        category.name = category.name.upper()
        category.save()

def whisper(apps, schema_editor):
    for category in apps.get_model("shop", "Category").objects.all():
        category.name = category.name.lower()
        category.save()

class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(shout, whisper)]
"""


def events(model: str, using: str = "default") -> list[tuple[str, str, object]]:
    """(label, name, context metadata or None) of every event of `model`, oldest first."""
    event_model = apps.get_model("shop", f"{model}Event")
    return [
        (
            event.history_label,
            event.name,
            event.history_context.metadata if event.history_context else None,
        )
        for event in event_model.objects.using(using)
        .select_related("history_context")
        .order_by("history_id")
    ]


def test_a_sync_records_itself_and_both_databases_as_the_context_of_each_change() -> None:
    books = Category.objects.using("other").create(name="books", slug="books")
    Product.objects.using("other").create(category=books, name="Guide", price=Decimal("9.50"))

    sync("catalog", source="other", target="default")
    Category.objects.using("other").filter(slug="books").update(name="reading")
    call_command("sync_dataset", "catalog", "--from", "other", "--to", "default", stdout=StringIO())
    Product.objects.using("other").all().delete()
    sync("catalog", source="other", target="default")

    synced = {
        "command": "sync_dataset",
        "source": "other",
        "target": "default",
        "dataset": "catalog",
        "args": "",
    }
    assert events("Category") == [("insert", "books", synced), ("update", "reading", synced)]
    assert events("Product") == [("insert", "Guide", synced), ("delete", "Guide", synced)]


def test_a_load_records_the_command_the_database_and_the_dataset() -> None:
    Category.objects.using("other").create(name="books", slug="books")
    first = "".join(iter_dump("catalog", using="other"))
    Category.objects.using("other").update(name="reading")
    second = "".join(iter_dump("catalog", using="other"))

    load(StringIO(first), using="default")
    load_many([StringIO(first), StringIO(second)], using="default")

    loaded = {"command": "load_dataset", "database": "default", "dataset": "catalog", "args": ""}
    both = {"command": "load_dataset", "database": "default", "datasets": ["catalog", "catalog"]}
    assert events("Category") == [("insert", "books", loaded), ("update", "reading", both)]


def test_migration_run_and_rollback_record_the_command_and_release(release: Release) -> None:
    Category.objects.create(name="books", slug="books")
    save_state(commit="1" * 40, tags=["v1"])
    release(alpha={"0001_shout": RENAME})

    apply_migrations()
    save_state(commit="2" * 40, tags=["v2"])
    rollback(find_state(tag="v1"))

    assert Category.objects.get().name == "books"
    [created, shouted, whispered] = events("Category")
    assert created == ("insert", "books", None)
    assert shouted == ("update", "BOOKS", {"command": "apply_migrations", "database": "default"})
    assert whispered == (
        "update",
        "books",
        {
            "command": "rollback_migrations",
            "release": "1" * 40,
            "rollback_from": "2" * 40,
            "database": "default",
        },
    )


def test_apply_migrations_builds_an_empty_database_with_history_installed() -> None:
    everything = applied_migrations("other")
    execute(Plan.build(frozenset(), using="other"))
    assert applied_migrations("other") == frozenset()

    apply_migrations(using="other")

    assert applied_migrations("other") == everything
    Category.objects.using("other").create(name="books", slug="books")
    assert events("Category", using="other") == [("insert", "books", None)]
