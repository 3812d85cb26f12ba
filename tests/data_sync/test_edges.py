"""Less common shapes and inputs: wide rows, text pks, binary and array values, odd files."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.data_sync import datasets
from tests.data_sync.conftest import dump_text, load_text, rewrite
from tests.data_sync.testapp.models import (
    Category,
    Kind,
    Page,
    Place,
    Product,
    Pub,
    Restaurant,
    Section,
    Thing,
    Wide,
)
from tidemark_data_sync import InvalidDump, LoadFailed, load, plan, staging
from tidemark_data_sync.specs import normalize_spec, normalize_specs

pytestmark = pytest.mark.django_db(databases=["default", "other"])


@pytest.fixture
def extra() -> Iterator[dict[str, Any]]:
    yield datasets.EXTRA
    datasets.EXTRA.clear()


def test_wide_rows_text_pks_binary_arrays_and_escapes_round_trip(extra: dict[str, Any]) -> None:
    extra["wide"] = {"specs": lambda args: [{"model": "testapp.wide", "delete_missing": True}]}
    text = 'C:\\temp\t"quoted"\nnext line \u00e9'
    Wide.objects.create(code="a/1", blob=b"\x00\xffbytes", words=["x", "y"], text=text, f54=54)
    Wide.objects.using("other").create(code="stale")

    load_text(dump_text("wide"))

    row = Wide.objects.using("other").get()
    assert (row.code, bytes(row.blob), row.words, row.text, row.f54) == (  # type: ignore[attr-defined]
        "a/1",
        b"\x00\xffbytes",
        ["x", "y"],
        text,
        54,
    )


def test_a_mti_child_without_columns_and_timestamps_load() -> None:
    Pub.objects.create(name="The Crown")
    books = Category.objects.create(name="Books", slug="books")
    moment = datetime.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=datetime.UTC)
    Product.objects.create(category=books, name="Novel", created=moment)

    load_text(dump_text("places"))
    load_text(dump_text("catalog"))

    assert Pub.objects.using("other").get().name == "The Crown"
    assert Product.objects.using("other").get().created == moment


def test_save_as_new_on_a_child_whose_parent_is_outside_the_dataset(extra: dict[str, Any]) -> None:
    extra["orphans"] = {
        "specs": lambda args: [{"model": "testapp.restaurant", "save_as_new": True}]
    }
    Restaurant.objects.create(name="Luigi's")

    with pytest.raises(LoadFailed, match=r"pk is the relation to testapp\.place"):
        load_text(dump_text("orphans"))
    assert not Place.objects.using("other").exists()


def test_two_dumped_rows_with_one_identity_are_refused() -> None:
    Kind.objects.using("other").create(pk=5, app="a", name="x")
    Kind.objects.create(pk=1, app="a", name="x")
    Thing.objects.create(kind_id=1, label="one")

    def twin(objects: list[dict[str, Any]]) -> None:
        objects.insert(1, {**objects[0], "pk": 2})

    with pytest.raises(
        InvalidDump,
        match=r"^Lines 2 and 3 hold testapp.kind rows with the same identity \(app, name\) "
        r"\(a, x\): a dump holds each row once",
    ):
        load_text(rewrite(dump_text("kinds"), twin))
    assert list(Kind.objects.using("other").values_list("pk", flat=True)) == [5]


def test_a_mapped_delete_filter_naming_no_dumped_row_deletes_nothing() -> None:
    Page.objects.using("other").create(pk=999, title="Target page")
    Section.objects.using("other").create(page_id=999, body="keep")

    result = plan(dump_text("pages:999").splitlines(keepends=True), using="other")

    assert result.planned
    assert result.deleted == 0
    load_text(dump_text("pages:999"))
    assert Section.objects.using("other").get().body == "keep"


def test_malformed_specs_and_manifests_are_refused() -> None:
    Category.objects.create(name="Books", slug="books")
    lines = dump_text("catalog").splitlines(keepends=True)
    manifest = json.loads(lines[0])

    def variant(**changes: Any) -> str:
        return json.dumps({**manifest, **changes}) + "\n" + "".join(lines[1:])

    with pytest.raises(InvalidDump, match="malformed spec"):
        load_text(variant(specs=["testapp.tag"]))
    with pytest.raises(InvalidDump, match="malformed 'sha256'"):
        load_text(variant(sha256="abc"))
    with pytest.raises(InvalidDump, match="malformed 'counts' or 'migrations'"):
        load_text(variant(counts={"testapp.tag": -1}))
    with pytest.raises(InvalidDump, match="lists of 'specs' and 'objects'"):
        load_text('{"version": 1, "specs": [], "objects": {}}\n', dataset="catalog")


def test_loads_read_open_text_files_in_chunks_with_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(30):
        Category.objects.create(name=f"Category {number}", slug=f"c{number}")
    path = tmp_path / "catalog.jsonl"
    path.write_text(dump_text("catalog"))
    monkeypatch.setattr(staging, "FLUSH_BYTES", 500)
    calls: list[tuple[str, int, int | None]] = []

    with path.open() as text:
        load(text, using="other", progress=lambda *args: calls.append(args))

    assert Category.objects.using("other").count() == 30
    assert len(calls) > 2
    assert calls[-1] == ("Reading the dump", 30, 30)


def test_spec_details(extra: dict[str, Any]) -> None:
    from tests.data_sync.testapp.models import CheapProduct

    category = Category(pk=3, name="x", slug="x")
    spec = normalize_spec(
        {
            "model": Category,
            "filter": {"pk__in": {3}, "name__in": ("x",)},
        }
    )
    assert spec.label == "testapp.category"
    assert spec.to_json()["filter"] == {"pk__in": [3], "name__in": ["x"]}
    owned = normalize_spec({"model": "testapp.product", "filter": {"category": category}})
    assert owned.to_json()["filter"] == {"category": 3}
    product = normalize_spec({"model": "testapp.product", "ignore_missing_m2m": "tags"})
    assert product.ignore_missing_m2m == ("tags",)
    dated = normalize_spec(
        {"model": "testapp.product", "filter": {"created__date__gte": datetime.date(2024, 1, 1)}}
    )
    assert dated.to_json()["filter"] == {"created__date__gte": "2024-01-01"}
    Category.objects.create(pk=7, name="Books", slug="books")
    queried = normalize_spec(
        {"model": "testapp.product", "filter": {"category__in": Category.objects.all()}}
    )
    assert queried.to_json()["filter"] == {"category__in": [7]}
    deferred = normalize_spec({"model": "testapp.category", "defer_values": ["slug"]})
    assert deferred.flags()["defer_values"] == ["slug"]
    with pytest.raises(Exception, match="concrete model, not a proxy"):
        normalize_specs([{"model": CheapProduct}])
    with pytest.raises(Exception, match="needs an auto-incrementing primary key"):
        normalize_specs([{"model": "testapp.wide", "save_as_new": True}])


def test_a_dump_streamed_from_a_binary_file_object() -> None:
    Category.objects.create(name="Books", slug="books")

    load(io.BytesIO(dump_text("catalog").encode()), using="other")

    assert Category.objects.using("other").get().slug == "books"


def test_an_identity_that_is_not_unique_on_the_target_is_refused(extra: dict[str, Any]) -> None:
    extra["by_name"] = {"specs": lambda args: [{"model": "testapp.category", "identity": "name"}]}
    Category.objects.create(name="Books", slug="books")
    Category.objects.using("other").create(name="Books", slug="b1")
    Category.objects.using("other").create(name="Books", slug="b2")

    with pytest.raises(LoadFailed, match="a dumped row matches several target rows"):
        load_text(dump_text("by_name"))
    assert sorted(Category.objects.using("other").values_list("slug", flat=True)) == ["b1", "b2"]


def test_malformed_signatures_and_delete_maps_in_a_file_are_refused() -> None:
    Category.objects.create(name="Books", slug="books")
    lines = dump_text("catalog").splitlines(keepends=True)
    manifest = json.loads(lines[0])

    with pytest.raises(InvalidDump, match="malformed 'signature'"):
        load_text(json.dumps({**manifest, "signature": 5}) + "\n" + "".join(lines[1:]))
    manifest["specs"][1]["delete_missing"] = {"map": [["only one"]]}
    with pytest.raises(InvalidDump, match="spec 2 has a malformed 'delete_missing'"):
        load_text(json.dumps(manifest) + "\n" + "".join(lines[1:]))


def test_a_row_whose_str_fails_is_named_by_its_pk(monkeypatch: pytest.MonkeyPatch) -> None:
    Category.objects.create(pk=4, name="Books", slug="books")

    def broken(self: Category) -> str:
        raise Category.DoesNotExist("a row this load writes later")

    monkeypatch.setattr(Category, "__str__", broken)
    result = plan(dump_text("catalog").splitlines(keepends=True), using="other")

    assert result.models["testapp.category"].samples["created"] == ["4"]
