"""The shapes the anchor's suite covers: MTI, cycles, natural keys, save_as_new, m2m, PROTECT."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from tests.data_sync import datasets
from tests.data_sync.conftest import dump_text, load_text
from tests.data_sync.testapp.models import (
    Author,
    Bar,
    Book,
    Category,
    Kind,
    Page,
    Place,
    Product,
    Restaurant,
    Section,
    Tag,
    Thing,
)
from tidemark_data_sync import LoadFailed

pytestmark = pytest.mark.django_db(databases=["default", "other"])


@pytest.fixture
def extra() -> Iterator[dict[str, Any]]:
    """Define datasets for one test: ``extra["name"] = {"specs": ...}``."""
    yield datasets.EXTRA
    datasets.EXTRA.clear()


def test_multi_table_inheritance_loads_parents_and_children() -> None:
    Restaurant.objects.create(name="Luigi's", serves_pizza=True)
    Bar.objects.create(name="Moe's", happy_hour=True)
    load_text(dump_text("places"))
    Bar.objects.filter(name="Moe's").delete()

    result = load_text(dump_text("places"))

    assert list(Restaurant.objects.using("other").values_list("name", "serves_pizza")) == [
        ("Luigi's", True)
    ]
    assert not Bar.objects.using("other").exists()
    assert list(Place.objects.using("other").values_list("name", flat=True)) == ["Luigi's"]
    assert result.models["testapp.bar"].deleted == 1


def test_a_child_landing_on_a_sibling_row_is_refused() -> None:
    Bar.objects.using("other").create(pk=5, name="Moe's")
    Restaurant.objects.create(pk=5, name="Luigi's")

    with pytest.raises(LoadFailed, match=r"pks 5, which exist as testapp.bar rows"):
        load_text(dump_text("places"))
    assert Bar.objects.using("other").get().name == "Moe's"
    assert not Restaurant.objects.using("other").exists()


def test_foreign_key_cycles_load() -> None:
    author = Author.objects.create(name="Le Guin")
    book = Book.objects.create(author=author, title="The Dispossessed")
    author.favourite = book
    author.save()

    load_text(dump_text("library"))

    loaded = Author.objects.using("other").get()
    assert loaded.favourite.title == "The Dispossessed"  # type: ignore[union-attr]
    assert loaded.favourite.author_id == loaded.pk  # type: ignore[union-attr]


def test_unique_values_move_between_rows() -> None:
    a = Category.objects.create(name="A", slug="first")
    b = Category.objects.create(name="B", slug="second")
    load_text(dump_text("catalog"))
    Category.objects.filter(pk=a.pk).update(slug="tmp")
    Category.objects.filter(pk=b.pk).update(slug="first")
    Category.objects.filter(pk=a.pk).update(slug="second")

    result = load_text(dump_text("catalog"))

    assert dict(Category.objects.using("other").values_list("pk", "slug")) == {
        a.pk: "second",
        b.pk: "first",
    }
    assert result.models["testapp.category"].updated == 2


def test_a_target_row_holding_a_dumped_unique_value_is_deleted_first() -> None:
    Category.objects.using("other").create(pk=50, name="Old books", slug="books")
    Category.objects.create(pk=1, name="Books", slug="books")

    result = load_text(dump_text("catalog"))

    assert list(Category.objects.using("other").values_list("pk", "slug")) == [(1, "books")]
    assert result.models["testapp.category"].samples["deleted"] == ["50: Old books"]


def test_identity_matches_target_rows_by_natural_key() -> None:
    Kind.objects.using("other").create(pk=1, app="b", name="y")
    Kind.objects.using("other").create(pk=7, app="a", name="x")
    ax = Kind.objects.create(pk=1, app="a", name="x")
    az = Kind.objects.create(pk=2, app="a", name="z")
    Thing.objects.create(kind=ax, label="one")
    Thing.objects.create(kind=az, label="two")

    planned = load_text(dump_text("kinds"), plan=True)
    loaded = load_text(dump_text("kinds"))

    assert planned.models["testapp.kind"].created == loaded.models["testapp.kind"].created == 1
    # The plan shows the pk the load gives (matched rows draw no number from the sequence).
    assert planned.models["testapp.kind"].samples == loaded.models["testapp.kind"].samples

    things = dict(Thing.objects.using("other").values_list("label", "kind__app"))
    assert things == {"one": "a", "two": "a"}
    assert Thing.objects.using("other").get(label="one").kind_id == 7
    assert Kind.objects.using("other").get(pk=1).name == "y"
    new = Kind.objects.using("other").get(app="a", name="z")
    assert new.pk not in (1, 2, 7)
    assert not load_text(dump_text("kinds")).changed


def test_save_as_new_copies_a_graph_and_remaps_every_reference() -> None:
    Page.objects.using("other").create(pk=1, title="Unrelated")
    Section.objects.using("other").create(page_id=1, body="keep")
    root = Page.objects.create(pk=1, title="Root")
    child = Page.objects.create(pk=2, title="Child", parent=root)
    child.related.set([root])
    Section.objects.create(page=root, body="intro")

    result = load_text(dump_text("pages:1"))

    new_root = Page.objects.using("other").get(title="Root")
    new_child = Page.objects.using("other").get(title="Child")
    assert new_root.pk != 1
    assert new_child.parent_id == new_root.pk
    assert list(new_child.related.values_list("pk", flat=True)) == [new_root.pk]
    assert list(new_root.sections.values_list("body", flat=True)) == ["intro"]
    assert Section.objects.using("other").get(body="keep").page_id == 1
    assert result.models["testapp.page"].created == 2


def _last_value(model: Any) -> int:
    """The last number the target's pk sequence of `model` gave out."""
    with connections["other"].cursor() as cursor:
        cursor.execute(
            "SELECT last_value FROM pg_sequences WHERE sequencename = %s",
            [f"{model._meta.db_table}_id_seq"],
        )
        return int(cursor.fetchone()[0])


def test_a_plan_leaves_the_pk_sequences_as_they_were() -> None:
    own = Page.objects.using("other").create(title="Target's own")  # the sequence was called
    Section.objects.using("other").create(page=own, body="keep")
    root = Page.objects.create(pk=50, title="Root")
    Page.objects.create(pk=60, title="Child", parent=root)
    Section.objects.create(page=root, body="intro")
    before = _last_value(Page), _last_value(Section)

    planned = load_text(dump_text("pages:50"), plan=True)

    # Sequences are not transactional: a plan that drew or set them would change the target.
    assert (_last_value(Page), _last_value(Section)) == before
    assert planned.models["testapp.page"].created == 2
    assert planned.models["testapp.section"].created == 1
    loaded = load_text(dump_text("pages:50"))
    assert loaded.models["testapp.page"].created == 2
    new_root = Page.objects.using("other").get(title="Root")
    assert new_root.pk == before[0] + 1  # the first number the sequence had left
    assert Page.objects.using("other").get(title="Child").parent_id == new_root.pk


def test_ignore_missing_m2m_drops_links_to_absent_rows(extra: dict[str, Any]) -> None:
    specs = [{"model": "testapp.category"}, {"model": "testapp.product"}]
    extra["strict"] = {"specs": lambda args: specs}
    extra["lenient"] = {
        "specs": lambda args: [specs[0], {**specs[1], "ignore_missing_m2m": ["tags"]}]
    }
    category = Category.objects.create(name="Books", slug="books")
    Product.objects.create(category=category, name="Novel").tags.set(
        [Tag.objects.create(name="red")]
    )

    with pytest.raises(LoadFailed, match="break a constraint"):
        load_text(dump_text("strict"))
    result = load_text(dump_text("lenient"))

    assert Product.objects.using("other").get().tags.count() == 0
    assert result.m2m["testapp.product.tags"] == {"added": 0, "removed": 0}


def test_m2m_links_are_removed_from_both_sides(extra: dict[str, Any]) -> None:
    extra["tagged"] = {
        "specs": lambda args: [
            {"model": "testapp.tag", "delete_missing": True},
            {"model": "testapp.category"},
            {"model": "testapp.product"},
        ]
    }
    red, blue, green = (Tag.objects.create(name=n) for n in ("red", "blue", "green"))
    novel = Product.objects.create(
        category=Category.objects.create(name="Books", slug="books"), name="Novel"
    )
    novel.tags.set([red, blue, green])
    load_text(dump_text("tagged"))
    novel.tags.remove(red)
    green.delete()

    result = load_text(dump_text("tagged"))

    assert sorted(Product.objects.using("other").get().tags.values_list("name", flat=True)) == [
        "blue"
    ]
    assert result.m2m["testapp.product.tags"] == {"added": 0, "removed": 2}
    assert result.models["testapp.tag"].deleted == 1


def test_protected_rows_are_deleted_children_first() -> None:
    tools = Category.objects.create(name="Tools", slug="tools")
    Product.objects.create(category=tools, name="Saw")
    Category.objects.create(name="Books", slug="books")
    load_text(dump_text("catalog"))
    Product.objects.filter(name="Saw").delete()
    tools.delete()

    load_text(dump_text("catalog"))

    assert list(Category.objects.using("other").values_list("slug", flat=True)) == ["books"]


def test_a_protected_reference_outside_the_dataset_blocks_the_load(extra: dict[str, Any]) -> None:
    extra["categories"] = {
        "specs": lambda args: [{"model": "testapp.category", "delete_missing": True}]
    }
    tools = Category.objects.using("other").create(pk=50, name="Tools", slug="tools")
    Product.objects.using("other").create(category=tools, name="Saw")
    Category.objects.create(name="Books", slug="books")

    with pytest.raises(LoadFailed, match=r"blocked by protected references from testapp\.product"):
        load_text(dump_text("categories"))
    assert Category.objects.using("other").get().slug == "tools"
    assert not Category.objects.using("other").filter(slug="books").exists()


def test_overlapping_specs_dump_each_row_once() -> None:
    root = Page.objects.create(title="Root")
    Page.objects.create(title="Child", parent=root)
    text = dump_text(f"pages:{root.pk}")

    assert text.count('"model": "testapp.page"') == 2
    assert load_text(text).models["testapp.page"].created == 2
