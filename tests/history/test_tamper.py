"""Event tables are append-only, even for raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from tests.history.conftest import events, raw
from tests.history.testapp.models import Item

ItemEvent = Item.history.field.model  # type: ignore[attr-defined]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM testapp_itemevent",
        "DELETE FROM testapp_itemevent WHERE false",
        "UPDATE testapp_itemevent SET price = 0",
    ],
)
def test_raw_update_and_delete_on_an_event_table_fail(sql: str) -> None:
    Item.objects.create(name="kept", price=3)

    with pytest.raises(DatabaseError, match="History is append-only"):
        raw(sql)

    assert [(e["history_label"], e["price"]) for e in events(ItemEvent)] == [("insert", 3)]


def test_orm_delete_of_events_fails() -> None:
    Item.objects.create(name="kept")

    with pytest.raises(DatabaseError, match="append-only"):
        ItemEvent.objects.all().delete()

    assert len(events(ItemEvent)) == 1
