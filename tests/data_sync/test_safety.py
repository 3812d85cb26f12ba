"""Refusals before any write: foreign specs, tampered or truncated files, missing migrations."""

from __future__ import annotations

import json

import pytest
from django.db import connections

from tests.data_sync import datasets
from tests.data_sync.conftest import dump_text, load_text, rewrite
from tests.data_sync.testapp.models import Category, Product
from tidemark_data_sync import (
    DatasetMismatch,
    InvalidDump,
    LoadFailed,
    MissingMigrations,
    TooManyDeletions,
)

pytestmark = pytest.mark.django_db(databases=["default", "other"])


@pytest.fixture
def catalog() -> str:
    books = Category.objects.create(name="Books", slug="books")
    Product.objects.create(category=books, name="Novel")
    Category.objects.using("other").create(pk=99, name="Old", slug="old")
    return dump_text("catalog")


def target_rows() -> list[tuple[object, ...]]:
    return list(Category.objects.using("other").values_list("pk", "slug").order_by("pk"))


def test_a_model_outside_the_dataset_is_refused_and_nothing_changes(catalog: str) -> None:
    def smuggle(objects: list[dict[str, object]]) -> None:
        objects.append({"model": "auth.user", "pk": 1, "fields": {"username": "evil"}})

    with pytest.raises(InvalidDump, match=r"'auth\.user' object, but the dataset's specs"):
        load_text(rewrite(catalog, smuggle))
    assert target_rows() == [(99, "old")]


def test_specs_that_differ_from_the_target_definition_are_refused(catalog: str) -> None:
    lines = catalog.splitlines(keepends=True)
    manifest = json.loads(lines[0])
    manifest["specs"][0]["delete_missing"] = True
    tampered = json.dumps(manifest) + "\n" + "".join(lines[1:])

    with pytest.raises(DatasetMismatch, match="spec 1 differs in delete_missing"):
        load_text(tampered)
    manifest["specs"].append({"model": "auth.user", "delete_missing": True})
    with pytest.raises(DatasetMismatch, match="the dump has 4 specs"):
        load_text(json.dumps(manifest) + "\n" + "".join(lines[1:]))
    assert target_rows() == [(99, "old")]


def test_a_checksum_mismatch_is_refused(catalog: str) -> None:
    tampered = catalog.replace('"Novel"', '"Nov3l"')

    with pytest.raises(InvalidDump, match="checksum does not match"):
        load_text(tampered)
    assert not Product.objects.using("other").exists()


@pytest.mark.parametrize("cut", ["line", "half"])
def test_a_truncated_file_is_refused(catalog: str, cut: str) -> None:
    lines = catalog.splitlines(keepends=True)
    truncated = "".join(lines[:-1]) if cut == "line" else catalog[: len(catalog) - 10]

    with pytest.raises(InvalidDump, match="truncated"):
        load_text(truncated)
    assert target_rows() == [(99, "old")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("not json\n", "neither a Tidemark dump"),
        ('{"format": "tidemark-data-sync", "version": 9}\n', "format version 9"),
        ('{"format": "tidemark-data-sync", "version": 2}\n', "format version 2; this Tidemark"),
        ('{"format": "tidemark-data-sync", "version": 3}\n', "lacks 'dataset'"),
        ('{"hello": 1}\n', "not a Tidemark manifest"),
        ('{"version": 7, "specs": [], "objects": []}\n', "feincms3-data dump version 7"),
    ],
)
def test_garbled_files_get_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(InvalidDump, match=message):
        load_text(text, dataset="catalog")


def test_hostile_lines_are_refused_with_their_line_number(catalog: str) -> None:
    def bad_field(objects: list[dict[str, object]]) -> None:
        objects[0]["fields"]["is_admin; DROP TABLE x"] = 1  # type: ignore[index]

    with pytest.raises(InvalidDump, match=r"Line 2: testapp.category has no field"):
        load_text(rewrite(catalog, bad_field))
    with pytest.raises(InvalidDump, match="Line 2 is not an object"):
        load_text(rewrite(catalog, lambda objects: objects.__setitem__(0, [1])))  # type: ignore[arg-type]
    with pytest.raises(InvalidDump, match="no usable 'pk'"):
        load_text(rewrite(catalog, lambda objects: objects[0].__setitem__("pk", None)))
    assert target_rows() == [(99, "old")]


def test_unknown_fields_are_skipped_with_ignorenonexistent(catalog: str) -> None:
    def extra(objects: list[dict[str, object]]) -> None:
        objects[0]["fields"]["legacy"] = "x"  # type: ignore[index]

    load_text(rewrite(catalog, extra), ignorenonexistent=True)

    assert Category.objects.using("other").get(slug="books").name == "Books"


def test_a_value_the_column_rejects_fails_cleanly(catalog: str) -> None:
    def bad_price(objects: list[dict[str, object]]) -> None:
        for obj in objects:
            if obj["model"] == "testapp.product":
                obj["fields"]["price"] = "cheap"  # type: ignore[index]

    with pytest.raises(LoadFailed, match="rejected the dump"):
        load_text(rewrite(catalog, bad_price))
    assert target_rows() == [(99, "old")]


def test_a_target_lacking_the_source_migrations_is_refused(catalog: str) -> None:
    lines = catalog.splitlines(keepends=True)
    manifest = json.loads(lines[0])
    manifest["migrations"]["testapp"].append("0002_future")

    with pytest.raises(MissingMigrations, match=r"testapp\.0002_future"):
        load_text(json.dumps(manifest) + "\n" + "".join(lines[1:]))


def test_max_delete_aborts_without_changing_anything(catalog: str) -> None:
    with pytest.raises(TooManyDeletions, match="more than 0 rows"):
        load_text(catalog, max_delete=0)
    assert target_rows() == [(99, "old")]
    assert load_text(catalog, max_delete=1).models["testapp.category"].deleted == 1


def test_a_broken_reference_rolls_everything_back() -> None:
    books = Category.objects.create(name="Books", slug="books")
    Product.objects.create(category=books, name="Novel")
    datasets.EXTRA["products"] = {"specs": lambda args: [{"model": "testapp.product"}]}
    try:
        text = dump_text("products")
        with pytest.raises(LoadFailed, match="break a constraint"):
            load_text(text)
    finally:
        datasets.EXTRA.clear()
    assert not Product.objects.using("other").exists()
    with connections["other"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'tm\\_%%'")
        assert cursor.fetchone()[0] == 0


def test_the_dataset_named_must_match_the_manifest(catalog: str) -> None:
    with pytest.raises(DatasetMismatch, match="holds dataset catalog:, not library"):
        load_text(catalog, dataset="library")
