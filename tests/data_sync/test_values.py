"""Exact values and clear refusals: lengths, decimals, duplicates, keys, lines, arguments."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from tests.data_sync import datasets
from tests.data_sync.conftest import dump_text, load_text, reseal, rewrite, snapshot
from tests.data_sync.testapp.models import Category, Product, Wide
from tidemark_data_sync import InvalidArguments, InvalidDump, dump

pytestmark = pytest.mark.django_db(databases=["default", "other"])


@pytest.fixture
def catalog() -> str:
    books = Category.objects.create(pk=1, name="Books", slug="books")
    Product.objects.create(pk=3, category=books, name="Novel", price="9.50")
    Category.objects.using("other").create(pk=99, name="Old", slug="old")
    return dump_text("catalog")


def edit(model: str, **fields: Any) -> Any:
    """A `rewrite` change setting `fields` on every object of `model`."""

    def change(objects: list[dict[str, Any]]) -> None:
        for obj in objects:
            if obj["model"] == model:
                obj["fields"].update(fields)

    return change


@pytest.mark.parametrize(
    ("model", "fields", "message"),
    [
        (
            "testapp.category",
            {"name": "x" * 101},
            r"^Line 2: testapp.category 1: the value of 'name' does not fit its column, "
            r"which takes at most 100 characters\. Nothing was loaded\.$",
        ),
        (
            "testapp.product",
            {"price": "9.999"},
            r"^Line 3: testapp.product 3: the value of 'price' does not fit its column, which "
            r"takes numbers below 10\^6 with at most 2 decimals",
        ),
        ("testapp.product", {"price": 1234567}, r"^Line 3: testapp.product 3: .* 'price'"),
    ],
)
def test_a_value_that_does_not_fit_exactly_is_refused_naming_row_and_field(
    catalog: str, model: str, fields: dict[str, Any], message: str
) -> None:
    before = snapshot()

    with pytest.raises(InvalidDump, match=message):
        load_text(rewrite(catalog, edit(model, **fields)))
    assert snapshot() == before


def test_values_that_fit_load_exactly(catalog: str) -> None:
    load_text(rewrite(catalog, edit("testapp.category", name="x" * 100)))
    assert Category.objects.using("other").get(pk=1).name == "x" * 100
    load_text(rewrite(catalog, edit("testapp.product", price="999999.99")))
    assert str(Product.objects.using("other").get(pk=3).price) == "999999.99"


def test_text_pks_and_array_items_are_checked_too() -> None:
    datasets.EXTRA["wide"] = {"specs": lambda args: [{"model": "testapp.wide"}]}
    try:
        Wide.objects.create(code="a", words=["short"])
        text = dump_text("wide")
        with pytest.raises(InvalidDump, match=r"'words' .* takes items of at most 20 characters"):
            load_text(rewrite(text, edit("testapp.wide", words=["ok", "y" * 21])))
        with pytest.raises(InvalidDump, match=r"^Line 2: testapp.wide z{21}: the value of 'code'"):
            load_text(rewrite(text, lambda objects: objects[0].__setitem__("pk", "z" * 21)))
    finally:
        datasets.EXTRA.clear()
    assert not Wide.objects.using("other").exists()


def test_the_same_pk_twice_in_one_file_is_refused(catalog: str) -> None:
    def twice(objects: list[dict[str, Any]]) -> None:
        objects.append({**objects[0], "pk": "1", "fields": {"name": "Later", "slug": "later"}})

    with pytest.raises(
        InvalidDump,
        match=r"^Lines 2 and 4 hold testapp.category rows with the same pk \(1\): a dump "
        r"holds each row once\. Nothing was loaded\.$",
    ):
        load_text(rewrite(catalog, twice))
    assert not Category.objects.using("other").filter(pk=1).exists()


def test_unknown_keys_in_a_file_spec_are_refused(catalog: str) -> None:
    lines = catalog.splitlines(keepends=True)
    manifest = json.loads(lines[0])
    manifest["specs"][1]["hello"] = "world"

    with pytest.raises(
        InvalidDump, match=r"^The dump's spec 2 \(testapp.category\) has unknown keys \['hello'\]"
    ):
        load_text(reseal(manifest, "".join(lines[1:])))
    document = {"version": 1, "specs": [{"model": "testapp.tag", "x": 1}], "objects": []}
    with pytest.raises(InvalidDump, match=r"spec 1 \(testapp.tag\) has unknown keys \['x'\]"):
        load_text(json.dumps(document), dataset="catalog")


def test_a_bad_line_is_reported_with_its_real_line_number() -> None:
    for number in range(1, 7):
        Category.objects.create(pk=number, name=f"C{number}", slug=f"c{number}")
    lines = dump_text("catalog").splitlines(keepends=True)

    for cut in (1, 4, 6):  # the first object line, one in the middle, the last
        broken = [*lines[:cut], lines[cut][:-12] + "\n", *lines[cut + 1 :]]
        with pytest.raises(InvalidDump, match=rf"^Line {cut + 1} is not a JSON object"):
            load_text("".join(broken))

    def stray(objects: list[dict[str, Any]]) -> None:
        objects[4]["fields"]["colour"] = "red"

    with pytest.raises(InvalidDump, match=r"^Line 6: testapp.category has no field\(s\) colour"):
        load_text(rewrite("".join(lines), stray))


def test_a_feincms3_data_dump_names_the_object_not_a_line() -> None:
    Category.objects.create(pk=1, name="Books", slug="books")
    objects = json.loads(serializers.serialize("json", Category.objects.all()))
    objects.append({"model": "testapp.category", "pk": 2, "fields": {"name": "x", "colour": 1}})
    document = {"version": 1, "specs": [{"model": "testapp.category"}], "objects": objects}
    datasets.EXTRA["categories"] = {"specs": lambda args: [{"model": "testapp.category"}]}
    try:
        with pytest.raises(
            InvalidDump, match=r"^Object 2 of the feincms3-data dump: testapp.category has no"
        ):
            load_text(json.dumps(document, indent=2), dataset="categories")
    finally:
        datasets.EXTRA.clear()


def test_tabs_and_carriage_returns_are_json_whitespace(catalog: str) -> None:
    lines = catalog.splitlines()
    objects = [json.loads(line) for line in lines[1:]]
    objects[0]["fields"]["name"] = "Tab\there, return\rthere"  # escaped inside strings
    body = "".join(
        "\t" + json.dumps(obj, separators=(",\t", ":\r\t")) + " \t\r\n" for obj in objects
    )
    assert "\t" in body
    assert "\r" in body

    load_text(reseal(json.loads(lines[0]), body))

    assert Category.objects.using("other").get(pk=1).name == "Tab\there, return\rthere"
    assert Product.objects.using("other").get(pk=3).name == "Novel"


@pytest.mark.parametrize("args", ["abc", "1,x"])
def test_non_integer_arguments_are_a_clear_error_everywhere(args: str) -> None:
    Category.objects.create(pk=1, name="Books", slug="books")
    good = dump_text("numbered:1")
    message = rf"^Dataset 'numbered' refused the arguments '{args}': invalid literal for int\(\)"

    with pytest.raises(InvalidArguments, match=message):
        dump(f"numbered:{args}", io.StringIO())
    with pytest.raises(CommandError, match=message):
        call_command("dump_dataset", f"numbered:{args}", stdout=io.StringIO())
    manifest = json.loads(good.partition("\n")[0])
    with pytest.raises(InvalidArguments, match=message):
        load_text(reseal({**manifest, "args": args}, good.partition("\n")[2]))
    document = {"version": 1, "specs": manifest["specs"], "objects": []}
    with pytest.raises(InvalidArguments, match=message):
        load_text(json.dumps(document), dataset=f"numbered:{args}")
    with pytest.raises(CommandError, match=message):
        call_command(
            "sync_dataset", f"numbered:{args}", "--from", "default", "--to", "other",
            stdout=io.StringIO(),
        )  # fmt: skip


def test_a_filter_that_selects_nothing_dumps_and_loads_as_no_rows() -> None:
    Category.objects.create(pk=1, name="Books", slug="books")
    Category.objects.using("other").create(pk=1, name="Kept", slug="kept")
    before = snapshot()

    text = dump_text("numbered:")  # pk__in=[]
    result = load_text(text)

    assert json.loads(text.partition("\n")[0])["counts"] == {"testapp.category": 0}
    assert text.count("\n") == 1
    assert not result.changed
    assert snapshot() == before


def test_the_spec_function_reads_the_database_being_dumped_or_loaded() -> None:
    for using in ("default", "other"):
        Category.objects.using(using).create(pk=1, name="Books", slug="books")
        Product.objects.using(using).create(pk=9, category_id=1, name="Novel")
    Product.objects.using("other").create(pk=12, category_id=1, name="Novel")  # target only
    Product.objects.using("other").create(pk=20, category_id=1, name="Saw")  # target only

    # Dumped from `other`: its function finds the Saw there (there is none on default).
    assert '"name" : "Saw"' in dump_text("named:Saw", using="other")
    # Loaded into `other`: its filter is other's Novels (9 and 12), so 12 goes.
    result = load_text(dump_text("named:Novel"))

    assert result.models["testapp.product"].samples["deleted"] == ["12: Novel"]
    assert sorted(Product.objects.using("other").values_list("pk", flat=True)) == [9, 20]
