"""track() declarations, the generated event models and create_event()."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

import tidemark_history as history
from tests.history.conftest import events
from tests.history.testapp.models import Category, Item, Page, Sku
from tidemark_history.models import Context
from tidemark_history.trackers import _rewrite

ItemEvent = Item.history.field.model  # type: ignore[attr-defined]
PageEvent = Page.history.field.model  # type: ignore[attr-defined]


def test_event_model_columns_and_constraints() -> None:
    fields = {field.name: field for field in ItemEvent._meta.get_fields()}
    assert [f.name for f in ItemEvent._meta.concrete_fields] == [
        "history_id",
        "history_at",
        "history_label",
        "history_object",
        "history_context",
        "name",
        "price",
        "quantity",
        "category",
        "data",
    ]
    assert isinstance(fields["history_id"], models.BigAutoField)
    assert fields["name"].unique is False
    assert fields["category"].db_constraint is False  # type: ignore[attr-defined]
    assert fields["history_object"].db_constraint is False  # type: ignore[attr-defined]
    assert fields["history_context"].related_model is Context
    assert ItemEvent._meta.app_label == "testapp"
    assert ItemEvent.__name__ == "ItemEvent"
    from tests.history.testapp.models import ItemEvent as imported  # type: ignore[attr-defined]

    assert imported is ItemEvent


@pytest.mark.django_db
def test_event_table_has_no_constraints_but_the_primary_key_and_the_read_indexes() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contype FROM pg_constraint WHERE conrelid = 'testapp_itemevent'::regclass"
            " AND contype <> 'n'"
        )
        assert [row[0] for row in cursor.fetchall()] == ["p"]
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'testapp_itemevent' ORDER BY 1"
        )
        indexes = sorted(row[0].split(" USING ")[1] for row in cursor.fetchall())
    assert indexes == [
        "brin (history_at)",
        "btree (history_context_id) WHERE (history_context_id IS NOT NULL)",
        "btree (history_id)",
        "btree (history_object_id, history_at)",
    ]


@pytest.mark.django_db(transaction=True)
def test_create_event_records_a_manual_event_in_the_active_context() -> None:
    page = Page.objects.create(title="t", price=3)

    with history.context(reason="review") as block:
        event = history.create_event(page, label="audit")

    assert [(e["history_label"], e["title"], e["price"]) for e in events(PageEvent)] == [
        ("audit", "t", 3)
    ]
    assert event.history_context_id == block.id  # type: ignore[attr-defined]
    assert Context.objects.get().metadata == {"reason": "review"}
    assert str(Context.objects.get()) == str(block.id)
    assert str(event).startswith(f"audit of Page {page.pk} at ")


@pytest.mark.django_db
def test_create_event_errors() -> None:
    with pytest.raises(history.TrackingError, match="no tracker labelled 'nope'"):
        history.create_event(Page.objects.create(title="t"), label="nope")
    with pytest.raises(history.TrackingError, match="it is not tracked"):
        history.create_event(Category.objects.create(name="c"), label="audit")
    with pytest.raises(history.TrackingError, match="save it first"):
        history.create_event(Page(title="unsaved"), label="audit")


def test_a_foreign_key_to_self_is_copied_without_constraint() -> None:
    SkuEvent = Sku.history.field.model  # type: ignore[attr-defined]
    copy = SkuEvent._meta.get_field("replaced_by")

    assert copy.related_model is Sku
    assert copy.db_constraint is False  # type: ignore[attr-defined]
    assert copy.target_field.name == "code"  # type: ignore[attr-defined]


def test_fields_that_clash_with_the_event_columns_are_refused() -> None:
    class Clash(models.Model):
        history_label = models.CharField(max_length=10)

        class Meta:
            app_label = "testapp"

        def __str__(self) -> str:
            return self.history_label

    try:
        with pytest.raises(history.TrackingError, match="clash with the event model"):
            history.track()(Clash)
    finally:
        del apps.all_models["testapp"]["clash"]
        apps.clear_cache()


def test_conditions_written_in_lowercase_are_pointed_at_the_transition_tables() -> None:
    assert _rewrite('old."price" <> new."price"') == '_old."price" <> _new."price"'


def test_declaration_errors() -> None:
    class Abstract(models.Model):
        class Meta:
            abstract = True
            app_label = "testapp"

    with pytest.raises(history.TrackingError, match="concrete model"):
        history.track()(Abstract)
    with pytest.raises(history.TrackingError, match="not concrete, non-primary-key"):
        history.track(fields=["missing"])(Item)
    with pytest.raises(history.TrackingError, match="several trackers"):
        history.track(history.InsertEvent(), history.InsertEvent())(Item)
    with pytest.raises(history.TrackingError, match="lowercase letters"):
        history.ManualEvent("Bad Label")
    with pytest.raises(history.TrackingError, match='"new" or "old"'):
        history.UpdateEvent(row="both")  # type: ignore[arg-type]
    with pytest.raises(history.TrackingError, match="has no field 'missing'"):
        history.Changed("missing").resolve(Item)
