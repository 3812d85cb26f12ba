"""events(): one timeline across every event model, filtered, newest first, paginated."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

import tidemark_history as history
from tests.history.testapp.models import Category, Item, Page, Sku
from tidemark_history import timeline as timeline_module

pytestmark = pytest.mark.django_db(transaction=True)

ItemEvent = history.event_model(Item)
UTC = datetime.UTC


def describe(events: list[history.Event]) -> list[tuple[str, str, object]]:
    return [
        (type(e).__name__, e.history_label, e.history_object_id)  # type: ignore[attr-defined]
        for e in events
    ]


def test_newest_first_across_event_models() -> None:
    item = Item.objects.create(name="tea")
    page = Page.objects.create(title="p")
    Item.objects.filter(pk=item.pk).update(quantity=3)
    Sku.objects.create(code="A", label="a")

    assert describe(history.events()[:10]) == [
        ("SkuEvent", "insert", "A"),
        ("ItemEvent", "update", item.pk),
        ("PriceChange", "insert", page.pk),
        ("ItemEvent", "insert", item.pk),
    ]
    assert history.events().count() == len(history.events()) == 4
    assert describe(history.events()[1:3]) == describe(list(history.events())[1:3])
    assert describe([history.events()[0]]) == [("SkuEvent", "insert", "A")]
    assert history.events().first().history_label == "insert"  # type: ignore[union-attr]
    assert history.events()[5:5] == []
    assert history.events(label="nope").first() is None
    with pytest.raises(IndexError):
        history.events()[10]
    with pytest.raises(history.HistoryError, match="negative"):
        history.events()[-1]
    with pytest.raises(history.HistoryError, match="non-negative bounds"):
        history.events()[::2]


def test_the_newest_by_time_even_when_an_earlier_transaction_committed_later() -> None:
    """A transaction that started first has the earlier history_at but may get larger ids."""
    base = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    item = Item.objects.create(name="x")
    ItemEvent.objects.all()  # the insert above is the newest by time
    for minute in (50, 40, 30, 20, 10):  # larger ids, older times
        ItemEvent.objects.create(
            history_label="update",
            history_object_id=item.pk,
            history_at=base + datetime.timedelta(minutes=minute),
            name="x",
        )
    newest = history.events(model=Item)[:3]
    assert [e.history_at.minute for e in newest[1:]] == [50, 40]
    assert newest[0].history_at > base + datetime.timedelta(days=1)
    every = list(history.events(model=Item))
    assert [e.history_at for e in every] == sorted((e.history_at for e in every), reverse=True)


def test_filters_by_object_model_label_and_time() -> None:
    tea = Item.objects.create(name="tea")
    cake = Item.objects.create(name="cake")
    Item.objects.filter(pk=tea.pk).update(quantity=1)
    [(middle,)] = _clock()
    Item.objects.filter(pk=tea.pk).update(quantity=2)
    Page.objects.create(title="p")

    assert describe(history.events(tea)[:10]) == [
        ("ItemEvent", "update", tea.pk),
        ("ItemEvent", "update", tea.pk),
        ("ItemEvent", "insert", tea.pk),
    ]
    assert describe(history.events(obj=cake)[:10]) == [("ItemEvent", "insert", cake.pk)]
    assert history.events(model="testapp.Item").count() == 4
    assert history.events(model=[Page]).count() == 1
    assert history.events(label="update").count() == 2
    assert history.events(label=["insert"], model=Item).count() == 2
    assert history.events(since=middle).count() == 2
    assert describe(history.events(until=middle, label="update")[:5]) == [
        ("ItemEvent", "update", tea.pk)
    ]
    assert history.events(tea).filter(since=middle).count() == 1
    assert history.events(model=Item).filter(model=Page).count() == 0
    assert history.events(label="update").filter(label=["update", "insert"]).count() == 2
    with pytest.raises(history.HistoryError, match="timezone-aware"):
        history.events(since=datetime.datetime(2026, 1, 1))
    with pytest.raises(history.HistoryError, match="saved row"):
        history.events(Item(name="unsaved"))


def _clock() -> list[tuple[datetime.datetime]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchall()


def test_one_object_reads_only_its_own_event_tables_in_one_query_each() -> None:
    item = Item.objects.create(name="tea")
    Page.objects.create(title="p")
    with CaptureQueriesContext(connection) as queries:
        page = history.events(item)[:50]
    assert len(page) == 1
    assert len(queries) == 1
    assert "testapp_itemevent" in queries[0]["sql"]
    assert "ORDER BY" in queries[0]["sql"]
    assert "LIMIT 50" in queries[0]["sql"]


def test_references_finds_events_pointing_at_a_row() -> None:
    food, drink = Category.objects.create(name="food"), Category.objects.create(name="drink")
    tea = Item.objects.create(name="tea", category=drink)
    Item.objects.create(name="cake", category=food)
    Item.objects.filter(pk=tea.pk).update(category=food)
    Sku.objects.create(code="A", label="a")
    Sku.objects.create(code="B", label="b", replaced_by_id="A")

    assert describe(history.events(references=food)[:10]) == [
        ("ItemEvent", "update", tea.pk),
        ("ItemEvent", "insert", Item.objects.get(name="cake").pk),
    ]
    assert history.events(references=drink).count() == 1
    assert describe(history.events(references=Sku.objects.get(code="A"))[:5]) == [
        ("SkuEvent", "insert", "B")
    ]
    with pytest.raises(history.HistoryError, match="saved row"):
        history.events(references=Category(name="unsaved"))


def test_filters_by_context_and_its_metadata() -> None:
    with history.context(user=42, path="/admin/shop/") as admin_block:
        tea = Item.objects.create(name="tea")
        Page.objects.create(title="p")
    with history.context(user=7, path="/api/items/") as api_block:
        Item.objects.filter(pk=tea.pk).update(quantity=3)
    Item.objects.create(name="no context")

    assert describe(history.events(context=admin_block)[:10]) == [
        ("PriceChange", "insert", Page.objects.get().pk),
        ("ItemEvent", "insert", tea.pk),
    ]
    assert history.events(context=str(api_block.id)).count() == 1
    assert history.events(context=api_block.id).count() == 1
    assert history.events(context=[admin_block, api_block]).count() == 3
    context = history.events(context=api_block).first().context  # type: ignore[union-attr]
    assert history.events(context=context).count() == 1
    assert history.events(user=42).count() == 2
    assert history.events(user=7, model=Item).count() == 1
    assert history.events(path__startswith="/admin/").count() == 2
    assert history.events(user=42, path__startswith="/api/").count() == 0
    assert history.events(context=admin_block).filter(context=api_block).count() == 0
    with pytest.raises(history.HistoryError, match="not a Context"):
        history.events(context="not-a-uuid")


def test_paginated_with_django_paginator() -> None:
    Item.objects.bulk_create([Item(name=f"item {i}", price=Decimal(i)) for i in range(25)])
    paginator = Paginator(history.events(model=Item), 10)

    assert paginator.count == 25
    assert paginator.num_pages == 3
    names = [e.name for number in (1, 2, 3) for e in paginator.page(number)]  # type: ignore[attr-defined]
    assert sorted(names) == sorted(f"item {i}" for i in range(25))
    assert len(set(names)) == 25


def test_iteration_reads_in_chunks_and_keeps_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline_module, "CHUNK", 3)
    Item.objects.bulk_create([Item(name=f"item {i}") for i in range(7)])
    for code in "ABCD":
        Sku.objects.create(code=code, label=code)
    every = list(history.events())
    assert len(every) == 11
    keys = [(e.history_at, e.history_id) for e in every if isinstance(e, ItemEvent)]
    assert keys == sorted(keys, reverse=True)
    assert "item" in repr(history.events(model=Item)) or "insert" in repr(history.events())


def test_an_untracked_model_is_refused() -> None:
    with pytest.raises(history.HistoryError, match="Category is not tracked"):
        history.events(model=Category)
    with pytest.raises(history.HistoryError, match="Category is not tracked"):
        history.events(Category.objects.create(name="c"))


def test_a_page_of_the_whole_timeline_reads_each_table_with_a_limit() -> None:
    Item.objects.bulk_create([Item(name=f"item {i}") for i in range(30)])
    Sku.objects.create(code="A", label="a")
    Page.objects.create(title="p")
    with CaptureQueriesContext(connection) as queries:
        page = history.events()[:10]
    assert len(page) == 10
    assert page[0].context is None  # loaded with the row: no query
    # The floors of every table, then one UNION ALL of the tables with events, each branch
    # ordered and limited on its own.
    floors, union = (query["sql"] for query in queries)
    assert floors.count("LIMIT 10") == len(timeline_module.all_specs())
    assert union.count("LIMIT 10") == 3
    assert union.count("UNION ALL") == 2
    assert describe(page[:2]) == [
        ("PriceChange", "insert", Page.objects.get().pk),
        ("SkuEvent", "insert", "A"),
    ]


def test_exists_count_once_and_an_empty_whole_timeline() -> None:
    assert history.events()[:10] == []  # every table empty: no floor, nothing to ask
    assert not history.events().exists()
    Item.objects.create(name="tea")
    timeline = history.events()
    assert timeline.exists()
    assert timeline.count() == 1
    Item.objects.create(name="cake")
    assert timeline.count() == 1  # counted once, as a paginator expects
    assert history.events().count() == 2


def test_a_metadata_lookup_matching_many_contexts_reads_them_in_a_subquery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for path in ("/a/", "/b/", "/c/"):
        with history.context(user=5, path=path):
            Item.objects.create(name=path)
    assert history.events(user=5).count() == 3  # three ids, listed
    monkeypatch.setattr(timeline_module, "CONTEXTS_LISTED", 2)
    with CaptureQueriesContext(connection) as queries:
        assert [e.name for e in history.events(user=5)[:2]] == ["/c/", "/b/"]
    assert "@>" in queries[-1]["sql"]  # the lookup inside the events' query
