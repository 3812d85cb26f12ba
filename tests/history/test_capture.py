"""Completeness: every way a row changes produces the right events, and nothing else does."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat

import tidemark_history as history
from tests.history.conftest import events, raw
from tests.history.testapp.models import Category, Item, Page, Sku
from tidemark_history.models import Context

ItemEvent = Item.history.field.model  # type: ignore[attr-defined]
SkuEvent = Sku.history.field.model  # type: ignore[attr-defined]

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


def labels(model: type, using: str = "default") -> list[tuple[str, object]]:
    return [(e["history_label"], e["history_object_id"]) for e in events(model, using)]


def test_save_records_insert_update_and_delete_with_the_row_values() -> None:
    category = Category.objects.create(name="tools")
    item = Item.objects.create(name="hammer", price=Decimal("9.50"), category=category)
    item.price = Decimal("11.00")
    item.save()
    pk = item.pk
    item.delete()

    rows = events(ItemEvent)
    assert [(r["history_label"], r["history_object_id"]) for r in rows] == [
        ("insert", pk),
        ("update", pk),
        ("delete", pk),
    ]
    assert [r["price"] for r in rows] == [Decimal("9.50"), Decimal("11.00"), Decimal("11.00")]
    assert {r["category_id"] for r in rows} == {category.pk}
    assert all(r["history_context_id"] is None for r in rows)
    assert rows[0]["history_at"] is not None


def test_reverse_accessor_lists_the_events_of_one_row() -> None:
    item = Item.objects.create(name="saw")
    Item.objects.create(name="drill")
    item.quantity = 3
    item.save()

    assert [e.history_label for e in item.history.order_by("history_id")] == ["insert", "update"]


def test_queryset_update_records_each_changed_row_only() -> None:
    Item.objects.bulk_create([Item(name=f"n{i}", quantity=i % 2) for i in range(10)])
    raw("SELECT 1")  # separate statement, no effect

    updated = Item.objects.filter(quantity=1).update(quantity=F("quantity") + 1)

    assert updated == 5
    rows = [r for r in events(ItemEvent) if r["history_label"] == "update"]
    assert sorted(r["name"] for r in rows) == [f"n{i}" for i in range(1, 10, 2)]
    assert {r["quantity"] for r in rows} == {2}


def test_bulk_create_and_bulk_update_record_every_row() -> None:
    items = Item.objects.bulk_create([Item(name=f"b{i}") for i in range(5)])
    for item in items:
        item.price = Decimal("1.25")
    Item.objects.bulk_update(items, ["price"])

    rows = events(ItemEvent)
    assert [r["history_label"] for r in rows] == ["insert"] * 5 + ["update"] * 5
    assert {r["history_object_id"] for r in rows} == {item.pk for item in items}
    assert {r["price"] for r in rows[5:]} == {Decimal("1.25")}


def test_queryset_delete_records_every_row_with_its_last_values() -> None:
    Item.objects.bulk_create([Item(name=f"d{i}", quantity=i) for i in range(4)])

    Item.objects.filter(quantity__gte=2).delete()

    deleted = [r for r in events(ItemEvent) if r["history_label"] == "delete"]
    assert sorted((r["name"], r["quantity"]) for r in deleted) == [("d2", 2), ("d3", 3)]


def test_an_update_that_changes_no_tracked_field_records_nothing() -> None:
    item = Item.objects.create(name="same", quantity=1)

    Item.objects.filter(pk=item.pk).update(quantity=1)
    item.save()

    assert labels(ItemEvent) == [("insert", item.pk)]


def create_twice(name: str) -> None:
    """Two rows with the same unique name in one transaction: it rolls back."""
    with transaction.atomic():
        Item.objects.create(name=name)
        Item.objects.create(name=name)


def test_a_rolled_back_transaction_records_nothing() -> None:
    with pytest.raises(IntegrityError):
        create_twice("twice")

    assert events(ItemEvent) == []
    assert not Item.objects.exists()


def test_raw_sql_from_another_connection_is_recorded() -> None:
    # A plain DB-API connection (psycopg or psycopg2, whichever Django uses): no Django, no
    # execute wrapper, as another service would connect.
    django_connection = connections["default"]
    outsider = django_connection.Database.connect(**django_connection.get_connection_params())
    try:
        outsider.autocommit = True
        with outsider.cursor() as cursor:
            cursor.execute(
                "INSERT INTO testapp_item (name, price, quantity, data) VALUES ('x', 5, 1, '{}')"
            )
            cursor.execute("UPDATE testapp_item SET price = 6 WHERE name = 'x'")
            cursor.execute("DELETE FROM testapp_item WHERE name = 'x'")
    finally:
        outsider.close()

    rows = events(ItemEvent)
    assert [r["history_label"] for r in rows] == ["insert", "update", "delete"]
    assert [r["price"] for r in rows] == [Decimal(5), Decimal(6), Decimal(6)]


def test_an_update_that_changes_the_primary_key_is_recorded() -> None:
    Sku.objects.create(code="A-1", label="anchor")
    Sku.objects.create(code="B-1", label="buoy")

    Sku.objects.filter(code="A-1").update(code="A-2")
    raw("UPDATE testapp_sku SET code = code || '-x', label = 'renamed' WHERE code = 'B-1'")

    assert labels(SkuEvent) == [
        ("insert", "A-1"),
        ("insert", "B-1"),
        ("update", "A-2"),
        ("update", "B-1-x"),
    ]
    assert events(SkuEvent)[-1]["label"] == "renamed"


def test_conditions_old_rows_excluded_fields_and_a_second_decorator() -> None:
    PageEvent = Page.history.field.model  # type: ignore[attr-defined]
    PriceChange = Page.price_changes.field.model  # type: ignore[attr-defined]
    page = Page.objects.create(title="t", price=10, notes="n")

    Page.objects.filter(pk=page.pk).update(notes="changed")  # no tracker cares
    Page.objects.filter(pk=page.pk).update(price=12)
    Page.objects.filter(pk=page.pk).update(status="live")

    page_events = events(PageEvent)
    assert [(e["history_label"], e["price"]) for e in page_events] == [
        ("before_price", 10),  # the old row
        ("published", 12),
    ]
    assert "notes" not in page_events[0]
    assert [(e["history_label"], e["price"]) for e in events(PriceChange)] == [
        ("insert", 10),
        ("update", 12),
    ]
    assert set(events(PriceChange)[0]) == {
        "history_id",
        "history_at",
        "history_label",
        "history_object_id",
        "history_context_id",
        "price",
    }


def test_tracking_works_on_another_alias() -> None:
    item = Item.objects.using("other").create(name="elsewhere")
    Item.objects.using("other").filter(pk=item.pk).update(quantity=7)

    assert labels(ItemEvent, "other") == [("insert", item.pk), ("update", item.pk)]
    assert events(ItemEvent) == []


@pytest.mark.parametrize("rows", [1, 3])
def test_one_row_and_several_rows_are_recorded_alike(rows: int) -> None:
    # An update trigger takes one statement for a single row and another for several.
    Sku.objects.bulk_create([Sku(code=f"C-{i}", label="same") for i in range(rows)])
    pages = Page.objects.bulk_create([Page(title=f"p{i}", price=10) for i in range(rows)])
    PageEvent = Page.history.field.model  # type: ignore[attr-defined]

    Sku.objects.filter(code__startswith="C-").update(label="same")  # no change
    Sku.objects.filter(code__startswith="X-").update(label="none")  # no row
    Sku.objects.update(code=Concat(F("code"), Value("-x")))  # primary keys change
    with history.context(reason="reprice"):
        Page.objects.update(price=F("price") + 2)  # row="old": the rows before

    codes = [f"C-{i}" for i in range(rows)]
    assert sorted(labels(SkuEvent)) == sorted(
        [("insert", code) for code in codes] + [("update", f"{code}-x") for code in codes]
    )
    recorded = events(PageEvent)
    assert sorted((e["history_label"], e["history_object_id"], e["price"]) for e in recorded) == [
        ("before_price", page.pk, 10) for page in pages
    ]
    (context,) = Context.objects.all()
    assert {e["history_context_id"] for e in recorded} == {context.pk}
    assert context.metadata == {"reason": "reprice"}


def explained(action: Callable[[], Any]) -> list[str]:
    """The plans of the statements `action` runs, nested ones (triggers') included."""
    connection = connections["default"]
    raw("LOAD 'auto_explain'")
    for setting, value in [
        ("log_min_duration", "0"),
        ("log_nested_statements", "on"),
        ("log_level", "notice"),
    ]:
        raw(f"SET auto_explain.{setting} = {value}")
    notices: list[str] = []
    driver = connection.connection
    if hasattr(driver, "add_notice_handler"):  # psycopg 3

        def handler(notice: Any) -> None:
            notices.append(notice.message_primary)

        driver.add_notice_handler(handler)
        try:
            action()
        finally:
            driver.remove_notice_handler(handler)
    else:  # psycopg2 keeps the last 50
        driver.notices.clear()
        action()
        notices.extend(driver.notices)
    raw("SET auto_explain.log_min_duration = -1")
    return notices


def test_a_bulk_update_after_single_row_updates_is_planned_for_its_size() -> None:
    # PostgreSQL keeps the plan of a trigger function's statement for the session. The
    # join of the old and new rows, planned once for a single-row update (a nested loop),
    # made a later bulk update of the session quadratic: 80 times slower at 20,000 rows.
    connections["default"].close()  # a new session: no plan kept yet
    items = Item.objects.bulk_create([Item(name=f"p{i}") for i in range(2000)])
    for item in items[:10]:
        Item.objects.filter(pk=item.pk).update(quantity=1)

    plans = explained(lambda: Item.objects.update(quantity=F("quantity") + 2))

    inserts = [plan for plan in plans if "Insert on testapp_itemevent" in plan]
    assert len(inserts) == 1
    assert "Nested Loop" not in inserts[0]
    assert "Join" in inserts[0]
    assert len([e for e in events(ItemEvent) if e["history_label"] == "update"]) == 2010
