"""Context: stored once, delivered only with writes, transaction-local, on every alias."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import IntegrityError, connections, transaction

import tidemark_core
import tidemark_history as history
from tests.history.conftest import events, raw
from tests.history.test_capture import create_twice
from tests.history.testapp.models import Item
from tidemark_history.models import Context

ItemEvent = Item.history.field.model  # type: ignore[attr-defined]

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


@contextmanager
def sent(using: str = "default") -> Iterator[list[str]]:
    """The SQL text the database receives (after the context prefix, if any)."""
    statements: list[str] = []

    def spy(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        statements.append(sql)
        return execute(sql, *args)

    with connections[using].execute_wrapper(spy):
        yield statements


def test_events_reference_one_context_row_holding_the_metadata() -> None:
    with history.context(user=7, reason="import") as block:
        first = Item.objects.create(name="a")
        Item.objects.filter(pk=first.pk).update(quantity=2)
        Item.objects.bulk_create([Item(name="b"), Item(name="c")])
        context_id = block.id

    rows = events(ItemEvent)
    assert len(rows) == 4
    assert {row["history_context_id"] for row in rows} == {context_id}
    assert rows[0]["history_object_id"] == first.pk  # RETURNING still reads the insert
    [stored] = Context.objects.all()
    assert stored.id == context_id
    assert stored.metadata == {"user": 7, "reason": "import"}
    assert block.id == context_id  # still known after the block


def test_nested_blocks_merge_into_the_outer_context() -> None:
    with history.context(user=1, reason="outer") as outer:
        Item.objects.create(name="a")
        with history.context(reason="inner", step=2):
            Item.objects.create(name="b")
        Item.objects.create(name="c")

    assert {row["history_context_id"] for row in events(ItemEvent)} == {outer.id}
    [stored] = Context.objects.all()
    assert stored.metadata == {"user": 1, "reason": "inner", "step": 2}


def test_as_decorator_each_call_is_a_new_context() -> None:
    @history.context(job="nightly")
    def job(name: str) -> None:
        Item.objects.create(name=name)

    job("a")
    job("b")

    assert len({row["history_context_id"] for row in events(ItemEvent)}) == 2
    assert [c.metadata for c in Context.objects.all()] == [{"job": "nightly"}] * 2


def test_async_with_and_async_decorator() -> None:
    create = sync_to_async(Item.objects.create)

    @history.context(via="decorator")
    async def decorated() -> None:
        await create(name="b")

    async def main() -> None:
        async with history.context(via="async with"):
            await create(name="a")
        await decorated()
        await sync_to_async(connections.close_all)()  # the worker thread's connection

    asyncio.run(main())

    assert sorted(c.metadata["via"] for c in Context.objects.all()) == ["async with", "decorator"]
    assert all(row["history_context_id"] for row in events(ItemEvent))


def test_core_history_context_reaches_the_events() -> None:
    with tidemark_core.history_context(command="rollback_migrations", release="v1"):
        Item.objects.create(name="a")

    [stored] = Context.objects.all()
    assert stored.metadata == {"command": "rollback_migrations", "release": "v1"}
    assert events(ItemEvent)[0]["history_context_id"] == stored.id


def test_metadata_is_stored_once_and_again_after_a_rollback() -> None:
    with history.context(reason="retry") as block:
        with pytest.raises(IntegrityError):
            create_twice("dup")
        assert not Context.objects.exists()  # rolled back with the events
        with sent() as statements:
            Item.objects.create(name="one")
            Item.objects.create(name="two")
            with transaction.atomic():
                Item.objects.create(name="three")
                Item.objects.create(name="four")

    assert [c.id for c in Context.objects.all()] == [block.id]
    assert ["tidemark_history_context" in sql for sql in statements] == [
        True,  # stored, committed in autocommit
        False,
        False,
        False,
    ]
    assert len(events(ItemEvent)) == 4


def test_reads_are_never_touched_and_nothing_is_touched_without_a_context() -> None:
    with sent() as outside:
        Item.objects.create(name="a")
    with history.context(reason="x"), sent() as inside:
        list(Item.objects.all())
        raw("SELECT 1")
        Item.objects.update(quantity=3)

    assert not any("tidemark_history" in sql for sql in outside)
    touched = [sql for sql in inside if "tidemark_history.context" in sql]
    assert len(touched) == 1
    assert touched[0].rsplit("; ", 1)[1].startswith("UPDATE")
    assert all(sql.startswith("SELECT") for sql in inside if sql not in touched)


def test_a_percent_sign_in_raw_sql_keeps_working() -> None:
    item = Item.objects.create(name="x")
    with history.context(reason="100% sure"):
        raw("UPDATE testapp_item SET name = 'fifty%' WHERE name = 'x'")
        raw("UPDATE testapp_item SET quantity = %s WHERE name LIKE 'fifty%%'", [4])

    item.refresh_from_db()
    assert (item.name, item.quantity) == ("fifty%", 4)
    assert Context.objects.get().metadata == {"reason": "100% sure"}


def test_executemany_inside_a_context() -> None:
    Item.objects.bulk_create([Item(name="a"), Item(name="b")])
    with history.context(reason="many"), connections["default"].cursor() as cursor:
        cursor.executemany(
            "UPDATE testapp_item SET quantity = %s WHERE name = %s", [(1, "a"), (2, "b")]
        )

    updates = [row for row in events(ItemEvent) if row["history_label"] == "update"]
    assert sorted((row["name"], row["quantity"]) for row in updates) == [("a", 1), ("b", 2)]
    assert {row["history_context_id"] for row in updates} == {Context.objects.get().id}


def test_the_setting_is_transaction_local() -> None:
    with history.context(reason="x"):
        Item.objects.create(name="a")
    Item.objects.create(name="b")  # same session, after the block

    assert [row["history_context_id"] is None for row in events(ItemEvent)] == [False, True]
    assert raw("SELECT current_setting('tidemark_history.context', true)") in ([("",)], [(None,)])


def test_context_reaches_another_alias_with_server_side_binding() -> None:
    with history.context(reason="other"):
        item = Item.objects.using("other").create(name="a")
        Item.objects.using("other").filter(pk=item.pk).update(quantity=9)
        Item.objects.using("other").filter(pk=item.pk).update(quantity=10)

    rows = events(ItemEvent, "other")
    assert [row["history_object_id"] for row in rows] == [item.pk] * 3
    stored = Context.objects.using("other").get()
    assert {row["history_context_id"] for row in rows} == {stored.id}
    assert stored.metadata == {"reason": "other"}


def test_dates_are_converted_and_unserialisable_metadata_is_refused() -> None:
    with history.context(day=datetime.date(2026, 1, 2)):
        Item.objects.create(name="a")
    assert Context.objects.get().metadata == {"day": "2026-01-02"}

    with pytest.raises(history.ContextError, match="JSON-serialisable"):
        history.context(obj=object())


def test_writes_pass_untouched_until_the_context_table_exists() -> None:
    # As on a database migrated from scratch inside a context (apply_migrations does that).
    connections["default"].close()  # a new session, which has not seen the table yet
    with connections["default"].cursor() as cursor:
        cursor.execute("ALTER TABLE tidemark_history_context RENAME TO context_away")
    try:
        with history.context(command="apply_migrations"):
            Item.objects.create(name="early")
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("ALTER TABLE context_away RENAME TO tidemark_history_context")
    with history.context(command="apply_migrations"):
        Item.objects.create(name="later")

    early, later = ItemEvent.objects.order_by("history_id")
    assert (early.name, early.history_context_id) == ("early", None)
    assert later.name == "later"
    assert later.history_context.metadata == {"command": "apply_migrations"}
