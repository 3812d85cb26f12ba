"""The feincms3-data drop-in: ad-hoc specs in Python and on the command line, lists of specs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.data_sync.conftest import load_text, rewrite, snapshot
from tests.data_sync.testapp.models import Category, Product
from tidemark_data_sync import (
    DatasetMismatch,
    OutsideScope,
    dump_specs,
    get_dataset,
    iter_dump,
    load,
    load_dump,
    sync,
)

pytestmark = pytest.mark.django_db(databases=["default", "other"])

SPECS = [
    {"model": "testapp.category", "filter": {"slug__in": ["books"]}, "delete_missing": True},
    {"model": "testapp.product", "filter": {"category__slug__in": ["books"]}},
]


@pytest.fixture
def books() -> None:
    category = Category.objects.create(pk=1, name="Books", slug="books")
    Product.objects.create(pk=1, category=category, name="Novel")
    Category.objects.create(pk=2, name="Tools", slug="tools")
    Category.objects.using("other").create(pk=2, name="Tools", slug="tools")


@pytest.mark.usefixtures("books")
def test_ad_hoc_specs_dump_and_load_without_a_dataset() -> None:
    text = dump_specs(SPECS)
    assert text.splitlines()[1:] == "".join(iter_dump(SPECS)).splitlines()[1:]

    result = load_dump(text, using="other")

    assert result.dataset == ""
    assert result.render().startswith("Ad-hoc specs changed in database 'other':")
    assert Product.objects.using("other").get().name == "Novel"
    assert load_dump(text.encode(), using="other", specs=SPECS).changed is False


@pytest.mark.usefixtures("books")
def test_a_dump_of_ad_hoc_specs_names_what_it_may_touch() -> None:
    text = dump_specs(SPECS)

    with pytest.raises(DatasetMismatch, match="A dump of ad-hoc specs names no dataset"):
        load_text(text)
    with pytest.raises(DatasetMismatch, match="spec 2 differs in delete_missing"):
        load_text(text, dataset=[SPECS[0], {**SPECS[1], "delete_missing": True}])
    assert load_text(text, dataset=SPECS).models["testapp.product"].created == 1


@pytest.mark.usefixtures("books")
def test_a_trusted_ad_hoc_dump_still_stays_inside_its_own_filters() -> None:
    def smuggle(objects: list[dict[str, object]]) -> None:
        objects.append(
            {"model": "testapp.category", "pk": 2, "fields": {"name": "Mine", "slug": "x"}}
        )

    before = snapshot()
    with pytest.raises(OutsideScope, match="2: Tools"):
        load_dump(rewrite(dump_specs(SPECS), smuggle), using="other")
    assert snapshot() == before


@pytest.mark.usefixtures("books")
def test_load_dataset_takes_the_specs_of_an_ad_hoc_dump_from_a_dataset(tmp_path: Path) -> None:
    from tests.data_sync import datasets

    path = tmp_path / "books.jsonl"
    path.write_text(dump_specs(SPECS))
    with pytest.raises(CommandError, match="names no dataset"):
        call_command("load_dataset", str(path), "--database", "other", stdout=io.StringIO())
    datasets.EXTRA["books"] = {"specs": SPECS}
    try:
        call_command(
            "load_dataset", str(path), "--database", "other", "--dataset", "books",
            stdout=io.StringIO(),
        )  # fmt: skip
    finally:
        datasets.EXTRA.clear()
    assert Product.objects.using("other").get().name == "Novel"


@pytest.mark.usefixtures("books")
def test_sync_and_load_accept_a_list_of_specs() -> None:
    planned = sync(SPECS, source="default", target="other", plan=True)
    assert planned.models["testapp.category"].created == 1

    result = sync(SPECS, source="default", target="other")

    assert (result.dataset, result.name) == ("", "ad-hoc specs")
    assert Category.objects.using("other").filter(slug="books").exists()
    assert not load(io.StringIO(dump_specs(SPECS)), using="other", dataset=SPECS).changed
    assert not sync(get_dataset("catalog", "books"), source="default", target="other").changed
