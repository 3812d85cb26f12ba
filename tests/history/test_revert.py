"""Undo: event.revert() and revert_context(), atomic, recorded, refusing what they cannot do."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

import tidemark_history as history
from tests.history.testapp.models import Category, Item, Page

pytestmark = pytest.mark.django_db(transaction=True)

ItemEvent = history.event_model(Item)
PriceChange = history.event_model(Page)


def test_revert_restores_an_earlier_version_and_records_it_in_its_own_context() -> None:
    item = Item.objects.create(name="tea", price=Decimal("2.00"), quantity=1)
    Item.objects.filter(pk=item.pk).update(price=Decimal("3.00"), quantity=9)
    first = ItemEvent.objects.order_by("history_id").first()

    restored = first.revert()

    item.refresh_from_db()
    assert (item.price, item.quantity) == (Decimal("2.00"), 1)
    assert restored == item
    newest = history.events(item).first()
    assert newest.history_label == "update"  # type: ignore[union-attr]
    assert newest.diff() == {  # type: ignore[union-attr]
        "price": (Decimal("3.00"), Decimal("2.00")),
        "quantity": (9, 1),
    }
    assert newest.context.reverted_event == f"testapp.itemevent:{first.history_id}"  # type: ignore[union-attr]


def test_revert_of_a_delete_re_creates_the_row() -> None:
    food = Category.objects.create(name="food")
    item = Item.objects.create(name="tea", quantity=4, category=food, data={"a": 1})
    pk = item.pk
    item.delete()
    delete = history.events(model=Item).first()

    delete.revert()  # type: ignore[union-attr]

    again = Item.objects.get(pk=pk)
    assert (again.name, again.quantity, again.category_id, again.data) == (
        "tea",
        4,
        food.pk,
        {"a": 1},
    )
    assert history.events(model=Item).first().history_label == "insert"  # type: ignore[union-attr]


def test_revert_keeps_untracked_fields_and_refuses_a_row_it_cannot_rebuild() -> None:
    page = Page.objects.create(title="p", price=1, notes="kept")
    Page.objects.filter(pk=page.pk).update(price=5, notes="changed")
    first = PriceChange.objects.order_by("history_id").first()
    first.revert()
    page.refresh_from_db()
    assert (page.price, page.notes) == (1, "changed")

    # PriceChange copies the price only; Page.title has no default: no re-creation.
    Page.objects.filter(pk=page.pk).delete()
    before = Page.objects.count()
    with pytest.raises(history.RevertError, match=r"no value for \['title', 'notes'\]"):
        first.revert()
    assert Page.objects.count() == before


def test_revert_refuses_a_null_for_a_field_that_refuses_null() -> None:
    item = Item.objects.create(name="tea")
    event = ItemEvent.objects.get()
    # An event recorded before the column existed holds NULL for it (event columns are
    # nullable: a field added later leaves the earlier events without a value).
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO testapp_itemevent (history_label, history_object_id, name, price,"
                " quantity, data) VALUES ('update', %s, 'tea', 0, NULL, '{}')",
                [item.pk],
            )
        old = ItemEvent.objects.order_by("history_id").last()
        assert old.history_id != event.history_id
        with pytest.raises(history.RevertError, match=r"no value for \['quantity'\]"):
            old.revert()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE testapp_itemevent DISABLE TRIGGER USER")
            cursor.execute("DELETE FROM testapp_itemevent WHERE quantity IS NULL")
            cursor.execute("ALTER TABLE testapp_itemevent ENABLE TRIGGER USER")


def test_revert_context_undoes_a_whole_unit_of_work_newest_first() -> None:
    kept = Item.objects.create(name="kept", quantity=1)
    doomed = Item.objects.create(name="doomed", quantity=2)
    doomed_pk = doomed.pk
    with history.context(reason="import") as block:
        snacks = Category.objects.create(name="snacks")
        crisps = Item.objects.create(name="crisps", category=snacks)
        Item.objects.filter(pk=kept.pk).update(quantity=10)
        Item.objects.filter(pk=kept.pk).update(quantity=11)
        Item.objects.filter(pk=doomed_pk).delete()

    plan = history.plan_revert_context(block)
    assert [str(step) for step in plan.steps] == [
        f"re-create testapp.Item {doomed_pk}",
        f"update testapp.Item {kept.pk}",
        f"delete testapp.Item {crisps.pk}",
    ]
    assert plan.conflicts == []
    assert plan.problems == []

    done = history.revert_context(block)

    assert sorted(Item.objects.values_list("name", "quantity")) == [("doomed", 2), ("kept", 1)]
    assert Item.objects.get(name="doomed").pk == doomed_pk
    assert Category.objects.filter(name="snacks").exists()  # untracked: not reverted
    assert done.reverted == block.id
    assert [str(step) for step in done.steps] == [str(step) for step in plan.steps]
    assert {e.context.reverted_context for e in history.events(context=done.context_id)} == {  # type: ignore[union-attr]
        str(block.id)
    }
    assert history.events(context=done.context_id).count() == 3


def test_revert_context_refuses_later_changes_unless_forced() -> None:
    with history.context(reason="bulk") as block:
        item = Item.objects.create(name="tea", quantity=1)
        other = Item.objects.create(name="cake", quantity=1)
    Item.objects.filter(pk=item.pk).update(quantity=5)

    with pytest.raises(history.RevertConflict) as refused:
        history.revert_context(block.id)
    assert f"update of Item {item.pk}" in str(refused.value)
    assert "force=True" in str(refused.value)
    assert [e.history_object_id for e in refused.value.conflicts] == [item.pk]
    assert Item.objects.count() == 2  # nothing done

    history.revert_context(str(block.id), force=True)
    assert not Item.objects.filter(pk__in=[item.pk, other.pk]).exists()


def test_revert_context_is_atomic_and_refuses_what_it_cannot_restore() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE testapp_item DISABLE TRIGGER USER")
        untracked = Item.objects.create(name="from before tracking", quantity=1)
        cursor.execute("ALTER TABLE testapp_item ENABLE TRIGGER USER")
    with history.context(reason="mixed") as block:
        fresh = Item.objects.create(name="fresh")
        Item.objects.filter(pk=untracked.pk).update(quantity=2)

    with pytest.raises(history.RevertError, match="no baseline event"):
        history.revert_context(block)
    assert Item.objects.filter(pk=fresh.pk).exists()
    with history.context(reason="untracked only") as untracked_only:
        Category.objects.create(name="c")
    with pytest.raises(history.RevertError, match="no tracked change"):
        history.revert_context(untracked_only)

    page = Page.objects.create(title="p", price=1)
    with history.context(reason="cleanup") as cleanup:
        Item.objects.filter(pk=fresh.pk).delete()
        Page.objects.filter(pk=page.pk).delete()
    with pytest.raises(history.RevertError, match=r"no value for \['title', 'notes'\]"):
        history.revert_context(cleanup)
    assert not Item.objects.filter(pk=fresh.pk).exists()  # the item was not re-created


def test_a_context_includes_its_nested_blocks_for_reading_and_reverting() -> None:
    with history.context(request="r1") as request:
        Item.objects.create(name="outer")
        with history.context(step="import"):
            Item.objects.create(name="inner")
            with history.context(step="deeper"):
                Item.objects.create(name="deepest")
    with history.context(request="r2"):
        Item.objects.create(name="elsewhere")

    assert sorted(e.name for e in history.events(context=request)) == [
        "deepest",
        "inner",
        "outer",
    ]
    plan = history.plan_revert_context(request)
    assert plan.conflicts == []  # the nested blocks' events are the context's own
    history.revert_context(request)
    assert list(Item.objects.values_list("name", flat=True)) == ["elsewhere"]


def test_a_block_that_recorded_nothing_itself_still_leads_to_its_nested_blocks() -> None:
    with history.context(request="quiet") as request, history.context(step="work"):
        Item.objects.create(name="nested only")
    assert [e.name for e in history.events(context=request.id)] == ["nested only"]
