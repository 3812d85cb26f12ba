"""A file cannot touch more than the receiver's dataset allows: seals, scope, pinned args."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest

from tests.data_sync.conftest import dump_text, load_text, reseal, rewrite, snapshot
from tests.data_sync.testapp.models import Category, Product
from tidemark_data_sync import DatasetMismatch, DataSyncError, InvalidDump, OutsideScope, load

pytestmark = pytest.mark.django_db(databases=["default", "other"])

TEN = "numbered:" + ",".join(str(n) for n in range(1, 11))


@pytest.fixture
def numbered() -> str:
    """A dump of categories 1..10; the target holds categories 1..30 of its own."""
    for number in range(1, 31):
        Category.objects.using("other").create(pk=number, name=f"Old {number}", slug=f"o{number}")
    for number in range(1, 11):
        Category.objects.create(pk=number, name=f"New {number}", slug=f"n{number}")
    return dump_text(TEN)


def split(text: str) -> tuple[bytes, bytes]:
    """The manifest line (with its newline) and the rest, as bytes."""
    first, _sep, rest = text.encode().partition(b"\n")
    return first + b"\n", rest


def flipped(data: bytes, position: int, bit: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 1 << bit
    return bytes(changed)


def test_one_flipped_bit_anywhere_in_the_manifest_is_refused(numbered: str) -> None:
    manifest, objects = split(numbered)
    before = snapshot()

    # Every bit of every byte of the manifest ("...,9,10" -> "...,9,18" among them).
    flips = [(position, bit) for position in range(len(manifest)) for bit in range(8)]
    refusals: Counter[str] = Counter()
    accepted = []
    for position, bit in flips:
        try:
            load(io.BytesIO(flipped(manifest, position, bit) + objects), using="other")
        except DataSyncError as error:
            refusals[type(error).__name__] += 1
            continue
        accepted.append((position, bit, chr(manifest[position])))

    assert accepted == []
    assert snapshot() == before
    # Most flips break the JSON; the others are caught by what they change.
    assert set(refusals) >= {"InvalidDump", "DatasetMismatch", "UnknownDataset"}
    assert refusals["InvalidDump"] > len(flips) // 2
    assert load_text(numbered).models["testapp.category"].updated == 10  # the file itself loads


def test_widened_arguments_need_a_new_seal_and_are_refused_when_pinned(numbered: str) -> None:
    manifest = json.loads(numbered.splitlines()[0])
    body = numbered.partition("\n")[2]
    twenty = ",".join(str(n) for n in range(1, 21))
    widened = json.dumps({**manifest, "args": twenty}) + "\n" + body
    before = snapshot()

    with pytest.raises(InvalidDump, match="checksum does not match its manifest"):
        load_text(widened)
    resealed = reseal({**manifest, "args": twenty}, body)
    with pytest.raises(DatasetMismatch, match=f"holds dataset numbered:{twenty}, not {TEN}"):
        load_text(resealed, dataset=TEN)
    assert snapshot() == before

    # Unpinned and unsigned, a resealed file chooses its arguments: the documented reason
    # to pin --dataset or to require signatures (see test_signing).
    result = load_text(resealed, plan=True)
    assert result.models["testapp.category"].deleted == 10


def test_resealed_rows_outside_the_filter_are_refused(numbered: str) -> None:
    def smuggle(objects: list[dict[str, object]]) -> None:
        objects.append(
            {"model": "testapp.category", "pk": 15, "fields": {"name": "x", "slug": "x"}}
        )
        objects.append(
            {"model": "testapp.category", "pk": 99, "fields": {"name": "y", "slug": "y"}}
        )

    before = snapshot()
    with pytest.raises(
        OutsideScope,
        match=r"^The dump would change testapp.category rows that lie outside dataset "
        rf"'{TEN}' on database 'other' before the load: 15: Old 15\. ",
    ):
        load_text(rewrite(numbered, smuggle))
    Category.objects.using("other").filter(pk=15).delete()
    with pytest.raises(
        OutsideScope,
        match=r"^The dump holds testapp.category rows outside dataset "
        rf"'{TEN}' on database 'other': 15: x; 99: y\. A dump may only write rows",
    ):
        load_text(rewrite(numbered, smuggle))
    before.pop("testapp_category")
    after = snapshot()
    after.pop("testapp_category")
    assert after == before
    assert not Category.objects.using("other").filter(pk__in=[15, 99]).exists()


def test_a_row_moved_into_the_filter_from_outside_it_is_refused() -> None:
    books = Category.objects.create(pk=1, name="Books", slug="books")
    tools = Category.objects.create(pk=2, name="Tools", slug="tools")
    Category.objects.using("other").create(pk=1, name="Books", slug="books")
    Category.objects.using("other").create(pk=2, name="Tools", slug="tools")
    Product.objects.using("other").create(pk=7, category_id=2, name="Kettle")
    Product.objects.create(pk=7, category=tools, name="Kettle")
    Product.objects.filter(pk=7).update(category=books)
    before = snapshot()

    with pytest.raises(
        OutsideScope, match=r"testapp.product rows that lie outside dataset 'catalog:books'"
    ):
        load_text(dump_text("catalog:books"))
    assert snapshot() == before
    # A dataset holding the row where it is and where it goes moves it.
    load_text(dump_text("catalog:books,tools"))
    assert Product.objects.using("other").get(pk=7).category_id == 1


def test_a_forged_file_cannot_rewrite_rows_of_other_categories() -> None:
    Category.objects.create(pk=1, name="Books", slug="books")
    Category.objects.using("other").create(pk=1, name="Books", slug="books")
    Category.objects.using("other").create(pk=2, name="Tools", slug="tools")
    Product.objects.using("other").create(pk=7, category_id=2, name="Saw")

    def hijack(objects: list[dict[str, object]]) -> None:
        objects.append(
            {"model": "testapp.product", "pk": 7, "fields": {"category": 1, "name": "Owned"}}
        )

    with pytest.raises(OutsideScope, match="7: Saw"):
        load_text(rewrite(dump_text("catalog:books"), hijack))
    assert Product.objects.using("other").get(pk=7).name == "Saw"
