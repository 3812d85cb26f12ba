"""Dump from one database, load into another: rows, links, updates, deletions, idempotence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connections

from tests.data_sync.conftest import dump_text, load_text
from tests.data_sync.testapp.models import Category, Note, Product, Tag

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def make_catalog(using: str = "default") -> None:
    red, blue = (
        Tag.objects.using(using).create(name="red"),
        Tag.objects.using(using).create(name="blue"),
    )
    books = Category.objects.using(using).create(name="Books", slug="books")
    tools = Category.objects.using(using).create(name="Tools", slug="tools")
    novel = Product.objects.using(using).create(
        category=books, name="Novel", price="9.50", data={"pages": 300, "nested": [1, None]}
    )
    novel.tags.set([red, blue])
    Product.objects.using(using).create(category=tools, name="Saw", price="20.00")


def test_a_dump_loads_into_an_empty_database_with_values_and_links() -> None:
    make_catalog()

    result = load_text(dump_text("catalog"))

    novel = Product.objects.using("other").get(name="Novel")
    assert novel.price == Decimal("9.50")
    assert novel.data == {"pages": 300, "nested": [1, None]}
    assert novel.category.slug == "books"
    assert sorted(novel.tags.values_list("name", flat=True)) == ["blue", "red"]
    assert result.models["testapp.product"].created == 2
    assert result.m2m["testapp.product.tags"] == {"added": 2, "removed": 0}
    source = list(Product.objects.values_list("pk", "category_id", "name").order_by("pk"))
    assert (
        list(Product.objects.using("other").values_list("pk", "category_id", "name").order_by("pk"))
        == source
    )


def test_a_second_load_of_the_same_file_changes_nothing() -> None:
    make_catalog()
    text = dump_text("catalog")
    load_text(text)
    with connections["other"].cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM testapp_product ORDER BY id")
        before = cursor.fetchall()

    result = load_text(text)

    with connections["other"].cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM testapp_product ORDER BY id")
        assert cursor.fetchall() == before
    assert not result.changed
    assert result.models["testapp.product"].unchanged == 2


def test_updates_and_deletions_inside_the_filter_with_cascades_shown_in_the_plan() -> None:
    make_catalog()
    load_text(dump_text("catalog"))
    saw = Product.objects.using("other").get(name="Saw")
    Note.objects.using("other").create(product=saw, text="only on the target")
    Product.objects.filter(name="Saw").delete()
    Product.objects.filter(name="Novel").update(price="11.00")

    planned = load_text(dump_text("catalog"), plan=True)

    assert Product.objects.using("other").filter(name="Saw").exists()
    product = planned.models["testapp.product"]
    assert (product.updated, product.deleted) == (1, 1)
    assert product.samples["deleted"] == [f"{saw.pk}: Saw"]
    assert planned.models["testapp.note"].cascaded == 1
    assert planned.models["testapp.note"].samples["cascaded"][0].endswith("only on the target")

    load_text(dump_text("catalog"))

    assert not Product.objects.using("other").filter(name="Saw").exists()
    assert not Note.objects.using("other").exists()
    assert Product.objects.using("other").get(name="Novel").price == Decimal("11.00")


def test_a_row_made_only_on_the_target_inside_a_synced_parent_is_planned_then_deleted() -> None:
    make_catalog()
    load_text(dump_text("catalog:books"))
    books = Category.objects.using("other").get(slug="books")
    kettle = Product.objects.using("other").create(category=books, name="Kettle", pk=500)
    tools = Category.objects.using("other").create(pk=600, name="Other tools", slug="other")
    Product.objects.using("other").create(category=tools, name="Outside the filter")
    text = dump_text("catalog:books")
    assert '"Saw"' not in text

    planned = load_text(text, plan=True)

    assert planned.models["testapp.product"].samples["deleted"] == [f"{kettle.pk}: Kettle"]
    assert "deleted testapp.product 500: Kettle" in planned.render()
    assert Product.objects.using("other").filter(pk=500).exists()
    load_text(text)
    assert not Product.objects.using("other").filter(pk=500).exists()
    assert Product.objects.using("other").filter(name="Outside the filter").exists()
