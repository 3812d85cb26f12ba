"""Output a person can act on: field-level plans, row labels, one-line summaries, pipes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.data_sync.conftest import dump_text, load_text, snapshot
from tests.data_sync.testapp.models import Category, Kind, Product, Thing
from tidemark_data_sync import InvalidDump, load_many

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def collision() -> str:
    """The source's Hammer has the pk of the target's Kettle."""
    for using in ("default", "other"):
        Category.objects.using(using).create(pk=1, name="Tools", slug="tools")
    Product.objects.create(pk=3, category_id=1, name="Hammer", price="12.50")
    Product.objects.create(pk=4, category_id=1, name="Saw", price="20.00")
    Product.objects.using("other").create(pk=3, category_id=1, name="Kettle", price="10.00")
    Product.objects.using("other").create(pk=8, category_id=1, name="Old", price="1.00")
    return dump_text("catalog")


def test_a_plan_shows_field_changes_and_labels_rows(collision: str) -> None:
    result = load_text(collision, plan=True)

    assert result.render() == (
        "Dataset 'catalog' would change (plan, nothing written) in database 'other':\n"
        "  model               created    updated  unchanged    deleted   cascaded\n"
        "  testapp.tag               0          0          0          0          0\n"
        "  testapp.category          0          0          1          0          0\n"
        "  testapp.product           1          1          0          1          0\n"
        "  updated testapp.product 3: Kettle (name: 'Kettle' → 'Hammer', price: 10.00 → 12.50)\n"
        "  created testapp.product 4: Saw\n"
        "  deleted testapp.product 8: Old\n"
    )
    assert result.models["testapp.product"].diffs == {
        "3": {"name": ["Kettle", "Hammer"], "price": ["10.00", "12.50"]}
    }
    assert result.to_dict()["models"][2]["diffs"] == result.models["testapp.product"].diffs
    assert Product.objects.using("other").get(pk=3).name == "Kettle"


def test_identity_rows_are_labelled_by_their_identity() -> None:
    Kind.objects.using("other").create(pk=7, app="a", name="x")
    ax = Kind.objects.create(pk=1, app="a", name="x")
    Kind.objects.create(pk=2, app="a", name="z")
    Thing.objects.create(kind=ax, label="one")

    planned = load_text(dump_text("kinds"), plan=True)

    [created] = planned.models["testapp.kind"].samples["created"]
    assert re.fullmatch(r"\d+: app='a', name='z'", created)
    assert planned.models["testapp.thing"].samples == {"created": [planned_thing(planned)]}


def planned_thing(result: object) -> str:
    [label] = result.models["testapp.thing"].samples["created"]  # type: ignore[attr-defined]
    assert label.endswith(": one")
    return str(label)


def test_a_load_that_changes_nothing_says_only_that(collision: str, tmp_path: Path) -> None:
    load_text(collision)
    path = tmp_path / "catalog.jsonl"
    path.write_text(collision)

    assert run("load_dataset", str(path), "--database", "other", "--plan") == (
        "Dataset 'catalog' in database 'other': nothing to change, the target already "
        "matches the dump.\n",
        "",
    )
    assert run("load_dataset", str(path), str(path), "--database", "other") == (
        "Nothing to change in database 'other': the target already matches the dumps "
        "(catalog, catalog).\n",
        "",
    )


def test_several_files_load_in_order_in_one_transaction(collision: str, tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text(collision)
    Product.objects.filter(pk=3).update(name="Mallet")
    second = tmp_path / "second.jsonl"
    second.write_text(dump_text("catalog"))
    broken = tmp_path / "broken.jsonl"
    broken.write_text(collision.replace("Saw", "Sew"))
    before = snapshot()

    with pytest.raises(InvalidDump, match="checksum"):
        load_many([first, broken], using="other")
    assert snapshot() == before

    out, _err = run("load_dataset", str(first), str(second), "--database", "other", "--json")
    report = json.loads(out)
    assert report["ok"] is True
    assert [item["models"][2]["updated"] for item in report["results"]] == [1, 1]
    assert Product.objects.using("other").get(pk=3).name == "Mallet"
    load_many([second, first], using="other")
    assert Product.objects.using("other").get(pk=3).name == "Hammer"


def test_max_delete_counts_the_deletions_of_every_file(collision: str) -> None:
    from tidemark_data_sync import TooManyDeletions

    with pytest.raises(TooManyDeletions, match="more than 0 rows"):
        load_many([io.BytesIO(collision.encode()), io.BytesIO(collision.encode())],
                  using="other", max_delete=0)  # fmt: skip
    results = load_many(
        [io.BytesIO(collision.encode()), io.BytesIO(collision.encode())],
        using="other",
        max_delete=1,
    )
    assert [result.deleted for result in results] == [1, 0]


def test_dump_dataset_prints_a_one_line_summary_on_stderr(collision: str, tmp_path: Path) -> None:
    path = tmp_path / "catalog.jsonl"

    out, err = run("dump_dataset", "catalog", "-o", str(path))

    assert out == ""
    size = path.stat().st_size
    assert re.fullmatch(
        rf"Dumped catalog from database 'default' to {re.escape(str(path))}: testapp.tag 0, "
        rf"testapp.category 1, testapp.product 2 \(3 rows, {size:,} bytes, \d+\.\d\d s\)\.\n",
        err,
    )
    out, err = run("dump_dataset", "catalog")
    assert out.splitlines()[1:] == path.read_text().splitlines()[1:]
    assert err.startswith("Dumped catalog from database 'default' to stdout: ")
    assert run("dump_dataset", "catalog", "-o", str(path), "-v", "0") == ("", "")


def test_a_file_that_cannot_be_written_is_a_clear_error(collision: str, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"Cannot write the dump to .*: No such file or dir"):
        run("dump_dataset", "catalog", "-o", str(tmp_path / "missing" / "catalog.jsonl"))


def closed_pipe() -> io.TextIOWrapper:
    read, write = os.pipe()
    os.close(read)
    return os.fdopen(write, "w")


def test_a_closed_pipe_ends_the_dump_quietly(collision: str) -> None:
    out, err = closed_pipe(), io.StringIO()
    try:
        with pytest.raises(SystemExit) as exit_:
            call_command("dump_dataset", "catalog", stdout=out, stderr=err)
    finally:
        with contextlib.suppress(BrokenPipeError):
            out.close()
    assert exit_.value.code == 1
    assert err.getvalue() == ""


def test_a_closed_stdout_is_pointed_at_dev_null(
    collision: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = closed_pipe()
    monkeypatch.setattr(sys, "stdout", out)
    err = io.StringIO()

    with pytest.raises(SystemExit):
        call_command("dump_dataset", "catalog", stderr=err)

    out.write("more")
    out.close()  # the descriptor now leads to /dev/null: no broken pipe at exit
    assert err.getvalue() == ""
