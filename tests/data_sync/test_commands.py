"""The commands: dump_dataset, load_dataset and sync_dataset, and feincms3-data's format."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from tests.data_sync import datasets
from tests.data_sync.testapp.models import Category, Product, Tag
from tidemark_data_sync import dump, sync

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def make_catalog() -> None:
    books = Category.objects.create(name="Books", slug="books")
    Product.objects.create(category=books, name="Novel", price="9.50").tags.set(
        [Tag.objects.create(name="red")]
    )


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_dump_to_a_file_then_plan_and_load_it(tmp_path: Path) -> None:
    make_catalog()
    path = tmp_path / "catalog.jsonl"
    run("dump_dataset", "catalog", "-o", str(path))
    manifest = json.loads(path.read_text().splitlines()[0])
    assert manifest["counts"] == {"testapp.tag": 1, "testapp.category": 1, "testapp.product": 1}
    assert manifest["migrations"]["testapp"] == ["0001_initial"]

    planned = run("load_dataset", str(path), "--database", "other", "--plan")
    assert "would change (plan, nothing written)" in planned
    assert not Category.objects.using("other").exists()

    report = json.loads(run("load_dataset", str(path), "--database", "other", "--json"))
    assert report["planned"] is False
    assert [m["created"] for m in report["models"]] == [1, 1, 1]
    assert Product.objects.using("other").get().tags.get().name == "red"
    assert run("load_dataset", str(path), "--database", "other") == (
        "Dataset 'catalog' in database 'other': nothing to change, the target already "
        "matches the dump.\n"
    )


def test_dump_to_stdout_and_load_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    make_catalog()
    text = run("dump_dataset", "catalog:books")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))

    run("load_dataset", "-", "--database", "other")

    assert Category.objects.using("other").get().slug == "books"


def test_dump_writes_binary_and_text_files_alike(tmp_path: Path) -> None:
    make_catalog()
    with (tmp_path / "a").open("wb") as binary, (tmp_path / "b").open("w") as text:
        first = dump("catalog", binary)
        dump("catalog", text)
    assert first["dataset"] == "catalog"
    body = [path.read_text().splitlines()[1:] for path in (tmp_path / "a", tmp_path / "b")]
    assert body[0] == body[1]


def test_command_errors_are_precise(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Unknown dataset 'nope'"):
        run("dump_dataset", "nope")
    with pytest.raises(CommandError, match="does not exist"):
        run("load_dataset", str(tmp_path / "missing.jsonl"))
    with pytest.raises(CommandError, match="The database 'prod' is not configured"):
        run("sync_dataset", "catalog", "--from", "default", "--to", "prod")
    with pytest.raises(CommandError, match="are the same database"):
        run("sync_dataset", "catalog", "--from", "default", "--to", "default")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        run("sync_dataset", "catalog", "--from", "default", "--to", "lite")


def test_a_feincms3_data_dump_loads(tmp_path: Path) -> None:
    make_catalog()
    specs = [
        {"model": "testapp.tag"},
        {"model": "testapp.category", "filter": {}, "delete_missing": True},
        {"model": "testapp.product", "filter": {}, "delete_missing": True},
    ]
    objects = [*Tag.objects.all(), *Category.objects.all(), *Product.objects.all()]
    document = {
        "version": 1,
        "specs": specs,
        "objects": json.loads(serializers.serialize("json", objects)),
    }
    path = tmp_path / "f3.json"
    path.write_text(json.dumps(document, indent=2))
    Category.objects.using("other").create(pk=77, name="Stale", slug="stale")

    with pytest.raises(CommandError, match="names no dataset"):
        run("load_dataset", str(path), "--database", "other")
    run("load_dataset", str(path), "--database", "other", "--dataset", "catalog")

    product = Product.objects.using("other").get()
    assert (product.name, str(product.price), product.tags.get().name) == ("Novel", "9.50", "red")
    assert list(Category.objects.using("other").values_list("slug", flat=True)) == ["books"]


def test_mappers_rewrite_dumped_objects() -> None:
    def anonymise(obj: dict[str, object]) -> dict[str, object]:
        obj["fields"]["name"] = "hidden"  # type: ignore[index]
        return obj

    datasets.EXTRA["mapped"] = {
        "specs": lambda args: [{"model": "testapp.category"}],
        "mappers": {"testapp.category": anonymise},
    }
    try:
        Category.objects.create(name="Secret", slug="secret")
        run("sync_dataset", "mapped", "--from", "default", "--to", "other")
    finally:
        datasets.EXTRA.clear()
    assert Category.objects.using("other").get().name == "hidden"


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_sync_dataset_commits_into_the_other_database() -> None:
    make_catalog()
    Category.objects.using("other").create(pk=90, name="Only here", slug="here")

    planned = sync("catalog", source="default", target="other", plan=True)
    assert planned.models["testapp.category"].samples["deleted"] == ["90: Only here"]
    assert Category.objects.using("other").filter(pk=90).exists()

    out = run("sync_dataset", "catalog", "--from", "default", "--to", "other", "--json")

    assert json.loads(out)["models"][1]["deleted"] == 1
    assert list(Category.objects.using("other").values_list("slug", flat=True)) == ["books"]
    assert list(Category.objects.values_list("slug", flat=True)) == ["books"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_only_on_a_terminal() -> None:
    from django.core.management.base import OutputWrapper

    from tidemark_core.progress import progress_bar

    with progress_bar(OutputWrapper(io.StringIO())) as quiet:
        assert quiet is None
    terminal = Terminal()
    with progress_bar(OutputWrapper(terminal)) as progress:
        assert progress is not None
        progress.update("Reading the dump", 5, 10)
        progress.update("Reading the dump", 10, 10)
    assert "Reading the dump" in terminal.getvalue()
