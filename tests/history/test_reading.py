"""Reading history: event models, diffs, previous, context attributes, as_of and deleted."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection

import tidemark_history as history
from tests.history.conftest import raw
from tests.history.testapp.models import Category, Item, Page, Sku
from tidemark_history.models import Context

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

ItemEvent = history.event_model(Item)


def now() -> datetime.datetime:
    [(value,)] = raw("SELECT clock_timestamp()")
    return value  # type: ignore[no-any-return]


def test_event_models_are_found_without_private_attributes() -> None:
    assert history.event_models(Item) == [ItemEvent]
    assert history.event_models("testapp.Item") == [ItemEvent]
    assert history.event_models(Item(name="x")) == [ItemEvent]
    assert ItemEvent is Item.history.field.model  # type: ignore[attr-defined]
    assert issubclass(ItemEvent, history.Event)
    assert ItemEvent.tracked_model() is Item
    page_models = history.event_models(Page)
    assert [m.__name__ for m in page_models] == ["PageEvent", "PriceChange"]
    # Of several, the one that records inserts, updates and deletes (then more fields).
    assert history.event_model(Page).__name__ == "PriceChange"
    assert history.event_models(Category) == []
    with pytest.raises(history.HistoryError, match="Category is not tracked"):
        history.event_model(Category)
    with pytest.raises(history.HistoryError, match=r"'app_label\.ModelName'"):
        history.event_models("nope.Nothing")


def test_diff_previous_and_kind_of_each_event() -> None:
    food = Category.objects.create(name="food")
    item = Item.objects.create(name="tea", price=Decimal("2.00"), quantity=1)
    Item.objects.filter(pk=item.pk).update(price=Decimal("2.50"), category=food)
    Item.objects.filter(pk=item.pk).update(quantity=5)
    Item.objects.filter(pk=item.pk).delete()
    insert, price, quantity, delete = ItemEvent.objects.order_by("history_id")

    assert insert.kind is history.Kind.INSERT
    assert insert.previous is None
    assert insert.diff() == {
        "name": (None, "tea"),
        "price": (None, Decimal("2.00")),
        "quantity": (None, 1),
        "category": (None, None),
        "data": (None, {}),
    }
    assert price.previous == insert
    assert price.diff() == {
        "price": (Decimal("2.00"), Decimal("2.50")),
        "category": (None, food.pk),
    }
    assert quantity.previous == price
    assert quantity.diff() == {"quantity": (1, 5)}
    assert delete.kind is history.Kind.DELETE
    assert delete.diff() == {
        "name": ("tea", None),
        "price": (Decimal("2.50"), None),
        "quantity": (5, None),
        "category": (food.pk, None),
        "data": ({}, None),
    }


def test_an_update_of_a_row_tracked_late_diffs_against_nothing() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE testapp_item DISABLE TRIGGER USER")
        item = Item.objects.create(name="old", quantity=1)
        cursor.execute("ALTER TABLE testapp_item ENABLE TRIGGER USER")
    Item.objects.filter(pk=item.pk).update(quantity=2)

    [update] = ItemEvent.objects.all()
    assert update.previous is None
    assert update.diff()["quantity"] == (None, 2)


def test_context_metadata_reads_as_attributes() -> None:
    with history.context(user=42, path="/admin/", **{"user-agent": "curl"}):
        Item.objects.create(name="a")
    event = ItemEvent.objects.get()

    assert isinstance(event.context, Context)
    assert event.context.user == 42
    assert event.context.path == "/admin/"
    assert event.context.metadata["user-agent"] == "curl"
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = event.context.missing
    assert not hasattr(event.context, "_private")
    Item.objects.create(name="b")
    assert ItemEvent.objects.order_by("history_id").last().context is None


def test_as_of_follows_inserts_updates_deletes_and_re_creations() -> None:
    tea = Item.objects.create(name="tea", price=Decimal("2.00"))
    cake = Item.objects.create(name="cake", price=Decimal("3.00"))
    t1 = now()
    Item.objects.filter(pk=tea.pk).update(price=Decimal("2.50"))
    Item.objects.filter(pk=cake.pk).delete()
    t2 = now()
    Item.objects.create(pk=cake.pk, name="cake", price=Decimal("4.00"))
    Item.objects.create(name="jam", price=Decimal("5.00"))
    t3 = now()

    def state(when: datetime.datetime) -> list[tuple[int, str, Decimal]]:
        return sorted((row.pk, row.name, row.price) for row in history.as_of(Item, when))

    assert state(t1) == [(tea.pk, "tea", Decimal("2.00")), (cake.pk, "cake", Decimal("3.00"))]
    assert state(t2) == [(tea.pk, "tea", Decimal("2.50"))]
    jam = Item.objects.get(name="jam")
    assert state(t3) == [
        (tea.pk, "tea", Decimal("2.50")),
        (cake.pk, "cake", Decimal("4.00")),
        (jam.pk, "jam", Decimal("5.00")),
    ]
    assert list(history.as_of(Item, t1 - datetime.timedelta(seconds=1))) == []
    # Filterable with the tracked fields and the primary key; instances of the model.
    [row] = history.as_of(Item, t1).filter(price__gt=Decimal("2.50"))
    assert isinstance(row, Item)
    assert row.pk == cake.pk
    assert history.as_of(Item, t3).get(pk=tea.pk).price == Decimal("2.50")
    assert history.as_of(Item, t3).exclude(id=tea.pk).count() == 2
    assert [r.name for r in history.as_of(Item, t3).order_by("-pk")] == ["jam", "cake", "tea"]
    # One event as the row it recorded.
    first = ItemEvent.objects.order_by("history_id").first()
    as_recorded = first.as_instance()
    assert isinstance(as_recorded, Item)
    assert (as_recorded.pk, as_recorded.price) == (tea.pk, Decimal("2.00"))


def test_as_of_is_one_query_and_untracked_fields_are_deferred() -> None:
    # Page's full-lifecycle tracker copies the price only.
    page = Page.objects.create(title="p", notes="secret", price=1)
    t1 = now()
    Page.objects.filter(pk=page.pk).update(title="q", price=2)

    with pytest.raises(AssertionError):  # sanity: the helper counts queries
        with_queries(0, lambda: list(history.as_of(Page, t1)))
    [row] = with_queries(1, lambda: list(history.as_of(Page, t1)))
    assert row.price == 1
    assert row.get_deferred_fields() == {"title", "status", "notes"}
    assert row.title == "q"  # read from the live row: not tracked


def with_queries(expected: int, action):  # type: ignore[no-untyped-def]
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = action()
    assert len(queries) == expected, [q["sql"] for q in queries]
    return result


def test_as_of_rows_existing_before_tracking_need_a_baseline() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE testapp_item DISABLE TRIGGER USER")
        old = Item.objects.create(name="untracked")
        cursor.execute("ALTER TABLE testapp_item ENABLE TRIGGER USER")
    t1 = now()
    assert list(history.as_of(Item, t1)) == []
    Item.objects.filter(pk=old.pk).update(quantity=3)
    assert [r.quantity for r in history.as_of(Item, now())] == [3]


def test_as_of_errors() -> None:
    with pytest.raises(history.HistoryError, match="timezone-aware"):
        history.as_of(Item, datetime.datetime(2026, 1, 1))
    with pytest.raises(history.HistoryError, match="needs a datetime"):
        history.as_of(Item, "2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(history.HistoryError, match="not tracked"):
        history.as_of(Category, now())


def test_deleted_lists_each_deleted_row_once_with_its_last_values() -> None:
    gone = Item.objects.create(name="gone", quantity=1)
    Item.objects.filter(pk=gone.pk).update(quantity=2)
    Item.objects.filter(pk=gone.pk).delete()
    back = Item.objects.create(name="back")
    back_pk = back.pk
    back.delete()
    Item.objects.create(pk=back_pk, name="back")
    Item.objects.create(name="kept")

    [event] = history.deleted(Item)
    assert (event.history_object_id, event.name, event.quantity) == (gone.pk, "gone", 2)
    restored = event.revert()
    assert Item.objects.get(pk=gone.pk).quantity == 2
    assert restored.pk == gone.pk
    assert list(history.deleted("testapp.Item")) == []


def test_sku_with_a_natural_key_reads_back() -> None:
    Sku.objects.create(code="A1", label="first")
    t1 = now()
    Sku.objects.filter(code="A1").update(label="second")
    assert history.as_of(Sku, t1).get(pk="A1").label == "first"
    assert history.as_of(Sku, now()).get(code="A1").label == "second"


def test_what_a_model_tracked_without_deletes_or_state_can_and_cannot_read() -> None:
    from django.db import models

    from tests.app_registry import forget_models

    class Inserted(models.Model):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "testapp"

        def __str__(self) -> str:
            return self.name

    class Removed(models.Model):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "testapp"

        def __str__(self) -> str:
            return self.name

    try:
        history.track(history.InsertEvent(), history.UpdateEvent())(Inserted)
        history.track(history.DeleteEvent())(Removed)
        with pytest.raises(history.HistoryError, match="without a DeleteEvent"):
            history.as_of(Inserted, now())
        assert history.event_model(Inserted).__name__ == "InsertedEvent"
        with pytest.raises(history.HistoryError, match="records the row's state"):
            history.event_model(Removed)
    finally:
        forget_models("testapp", ["Inserted", "Removed"])


def test_kinds_of_trackers_and_of_labels_no_tracker_declares() -> None:
    class Audited(history.ManualEvent):
        kind = history.Kind.DELETE

    assert history.Kind.INSERT.is_state
    assert not history.Kind.DELETE.is_state
    from tidemark_history.event import kind_of

    assert kind_of(Audited("gone")) is history.Kind.DELETE
    assert kind_of(history.UpdateEvent(row="old")) is history.Kind.BEFORE
    item = Item.objects.create(name="tea")
    baseline = ItemEvent.objects.create(
        history_label="baseline",
        history_object_id=item.pk,
        name="tea",
        price=0,
        quantity=0,
        data={},
    )
    assert baseline.kind is history.Kind.SNAPSHOT  # history_backfill's baselines
    assert baseline.diff() == {}  # the same values as the insert before it


def test_the_timeline_on_another_alias_and_with_nothing_to_read() -> None:
    assert history.events().using("other").count() == 0
    Item.objects.using("other").create(name="elsewhere")
    assert [e.name for e in history.events(using="other")[:5]] == ["elsewhere"]
    assert history.events().using("other").first().name == "elsewhere"  # type: ignore[union-attr]
    assert history.events(model=Item)[:5] == []
    assert history.events(label="nope")[:5] == []
