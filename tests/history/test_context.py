"""Context: written once with the events, sent beside writes, transaction-local, every alias."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.db import (
    DataError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    connection,
    connections,
    transaction,
)
from django.db.backends.postgresql.psycopg_any import is_psycopg3
from django.test.utils import CaptureQueriesContext

import tidemark_core
import tidemark_history as history
from tests.history.conftest import events, raw
from tests.history.test_capture import create_twice
from tests.history.testapp.models import Item
from tidemark_history import delivery
from tidemark_history.models import Context

ItemEvent = Item.history.field.model  # type: ignore[attr-defined]

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


@contextmanager
def sent(using: str = "default") -> Iterator[list[str]]:
    """The SQL text Django's cursor sends (the history wrapper runs first)."""
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


def test_nested_blocks_get_rows_of_their_own_and_the_outer_events_keep_theirs() -> None:
    with history.context(user=1, reason="outer") as outer:
        Item.objects.create(name="a")
        with history.context(reason="inner", step=2) as inner:
            Item.objects.create(name="b")
            with history.context(step=2):  # adds nothing: shares the inner row
                Item.objects.create(name="c")
        Item.objects.create(name="d")

    by_name = {row["name"]: row["history_context_id"] for row in events(ItemEvent)}
    assert by_name == {"a": outer.id, "b": inner.id, "c": inner.id, "d": outer.id}
    stored = {c.id: c for c in Context.objects.all()}
    assert len(stored) == 2
    assert stored[outer.id].metadata == {"user": 1, "reason": "outer"}
    assert stored[outer.id].parent is None
    assert stored[inner.id].metadata == {"user": 1, "reason": "inner", "step": 2}
    assert stored[inner.id].parent == outer.id


def test_an_outer_block_that_records_nothing_leaves_no_row_but_its_id_as_parent() -> None:
    with history.context(job="nightly") as outer, history.context(step="prices") as inner:
        Item.objects.create(name="a")

    [stored] = Context.objects.all()
    assert stored.id == inner.id
    assert (stored.parent, stored.metadata) == (outer.id, {"job": "nightly", "step": "prices"})


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


def test_the_row_is_written_once_and_again_after_a_rollback() -> None:
    with history.context(reason="retry") as block:
        with pytest.raises(IntegrityError):
            create_twice("dup")
        assert not Context.objects.exists()  # rolled back with the events
        Item.objects.create(name="one")
        Item.objects.create(name="two")
        with transaction.atomic():
            Item.objects.create(name="three")
            with pytest.raises(IntegrityError), transaction.atomic():
                create_twice("four")  # a savepoint rollback also undoes the setting
            Item.objects.create(name="five")

    assert [c.id for c in Context.objects.all()] == [block.id]
    assert {row["name"]: row["history_context_id"] for row in events(ItemEvent)} == dict.fromkeys(
        ("one", "two", "three", "five"), block.id
    )


def test_inside_a_transaction_the_setting_is_sent_once_per_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent_values: list[str] = []
    send = delivery._with_setting

    def counting(connection: Any, value: str, run: Callable[[], Any], *args: Any) -> Any:
        sent_values.append(json.loads(value)["id"] if value.startswith("{") else f"bare {value}")
        return send(connection, value, run, *args)

    monkeypatch.setattr(delivery, "_with_setting", counting)
    with history.context(reason="batch") as block, CaptureQueriesContext(connection) as queries:
        with transaction.atomic():
            for name in "abc":
                Item.objects.create(name=name)
            with history.context(step=2) as inner:
                Item.objects.update(quantity=2)
            Item.objects.update(quantity=3)
        Item.objects.update(quantity=4)  # autocommit: sent with the statement ...
        Item.objects.update(quantity=5)  # ... then (psycopg 3) as the bare id of the stored row

    assert sent_values == [
        str(block.id),
        str(inner.id),
        str(block.id),
        str(block.id),
        f"bare {block.id}" if is_psycopg3 else str(block.id),
    ]
    assert all("tidemark" not in query["sql"] for query in queries.captured_queries)
    assert {row["history_context_id"] for row in events(ItemEvent)} == {block.id, inner.id}
    assert {c.id: c.metadata for c in Context.objects.all()} == {
        block.id: {"reason": "batch"},
        inner.id: {"reason": "batch", "step": 2},
    }


def test_manual_transactions_get_the_setting_in_each_transaction() -> None:
    transaction.set_autocommit(False)
    try:
        with history.context(reason="manual") as block:
            Item.objects.create(name="a")
            transaction.commit()
            with transaction.atomic():
                Item.objects.create(name="b")
            transaction.commit()
            with transaction.atomic():
                Item.objects.create(name="c")
            transaction.commit()
    finally:
        transaction.set_autocommit(True)

    assert [row["history_context_id"] for row in events(ItemEvent)] == [block.id] * 3
    assert Context.objects.get().id == block.id


def test_the_users_sql_is_what_errors_queries_and_the_log_show(
    caplog: pytest.LogCaptureFixture,
) -> None:
    Item.objects.create(name="taken")
    item = Item.objects.create(name="free")
    update = "UPDATE testapp_item SET name = 'taken' WHERE id = %s"
    with (
        history.context(user=1),
        CaptureQueriesContext(connection) as queries,
        caplog.at_level(logging.DEBUG, logger="django.db.backends"),
    ):
        Item.objects.filter(pk=item.pk).update(quantity=5)
        with pytest.raises(IntegrityError) as failure:
            raw(update, [item.pk])
        with pytest.raises(ProgrammingError) as typo:
            raw("UPDATE testapp_item SET nme = 'x'")

    assert [query["sql"] for query in queries.captured_queries] == [
        f'UPDATE "testapp_item" SET "quantity" = 5 WHERE "testapp_item"."id" = {item.pk}',
        update % item.pk,
        "UPDATE testapp_item SET nme = 'x'",
    ]
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == 3
    assert not any("tidemark" in message for message in logged)
    assert "tidemark" not in str(failure.value)
    assert "tidemark" not in str(typo.value)
    assert "LINE 1: UPDATE testapp_item SET nme = 'x'" in str(typo.value)


def test_no_row_without_an_event() -> None:
    item = Item.objects.create(name="a")
    with history.context(reason="nothing recorded"):
        User.objects.create(username="ada")  # an untracked model
        Item.objects.filter(pk=item.pk).update(name="a")  # no tracked field changed
        Item.objects.filter(pk=-1).delete()  # no row
    with history.context(reason="recorded") as block:
        Item.objects.filter(pk=item.pk).update(name="b")

    assert [(c.id, c.metadata) for c in Context.objects.all()] == [
        (block.id, {"reason": "recorded"})
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-a-uuid", "holds 'not-a-uuid', which is not a history context"),
        ('{"id":"00000000-0000-0000-0000-000000000001",}', "which is not a history context"),
        (
            '{"id":"00000000-0000-0000-0000-000000000001","parent":"x","metadata":{}}',
            "which is not a history context",
        ),
        (
            '{"id":"00000000-0000-0000-0000-000000000001","parent":null,"metadata":[]}',
            "which is not a history context",
        ),
        ("00000000-0000-0000-0000-00000000000G", "which is not a history context"),
        # Only the lowercase 8-4-4-4-12 form, which the delivery sends, though PostgreSQL's
        # uuid type reads all of these.
        ("00000000-0000-0000-0000-00000000000A", "which is not a history context"),
        ("000000000-000-0000-0000-000000000001", "which is not a history context"),
        ("{00000000-0000-0000-0000-000000000001}", "which is not a history context"),
        ("00000000000000000000000000000001----", "which is not a history context"),
        ('{"id":"00000000-0000-0000-0000-00000000000A","parent":null,"metadata":{}}', "which is"),
        ('{"id":"00000000-0000-0000-0000-000000000001"}', "which is not a history context"),
    ],
)
def test_a_setting_set_by_hand_that_is_no_context_is_a_clear_error(
    value: str, message: str
) -> None:
    item = Item.objects.create(name="a")
    with transaction.atomic():
        raw("SELECT set_config('tidemark_history.context', %s, true)", [value])
        with pytest.raises(DataError) as failure:
            raw("UPDATE testapp_item SET quantity = 3 WHERE id = %s", [item.pk])

    assert "The setting tidemark_history.context holds" in str(failure.value)
    assert message in str(failure.value)
    assert [row["quantity"] for row in events(ItemEvent)] == [0]
    assert not Context.objects.exists()


def test_a_context_set_by_hand_is_attribution_anyone_can_claim() -> None:
    with history.context(user="alice") as alice:
        Item.objects.create(name="a")
    claimed = json.dumps(
        {"id": str(alice.id), "parent": None, "metadata": {"user": "eve"}}, separators=(",", ":")
    )
    with transaction.atomic():
        raw("SELECT set_config('tidemark_history.context', %s, true)", [str(alice.id)])
        raw("UPDATE testapp_item SET quantity = 3")
        raw("SELECT set_config('tidemark_history.context', %s, true)", [claimed])
        raw("UPDATE testapp_item SET quantity = 4")

    assert [row["history_context_id"] for row in events(ItemEvent)] == [alice.id] * 3
    # A recorded context is never changed, whatever a session claims.
    assert Context.objects.get().metadata == {"user": "alice"}


def test_reads_are_never_touched_and_nothing_is_touched_without_a_context() -> None:
    with sent() as outside:
        Item.objects.create(name="a")
    with history.context(reason="x"), sent() as inside:
        list(Item.objects.all())
        raw("SELECT 1")
        Item.objects.update(quantity=3)

    assert not any("tidemark_history" in sql for sql in outside + inside)
    assert [sql.split(" ", 1)[0] for sql in inside] == ["SELECT", "SELECT", "UPDATE"]
    rows = events(ItemEvent)
    assert [row["history_context_id"] is None for row in rows] == [True, False]


def test_a_percent_sign_in_raw_sql_keeps_working() -> None:
    item = Item.objects.create(name="x")
    with history.context(reason="100% sure"):
        raw("UPDATE testapp_item SET name = 'fifty%' WHERE name = 'x'")
        raw("UPDATE testapp_item SET quantity = %s WHERE name LIKE 'fifty%%'", [4])

    item.refresh_from_db()
    assert (item.name, item.quantity) == ("fifty%", 4)
    assert Context.objects.get().metadata == {"reason": "100% sure"}


def test_raw_sql_with_several_statements_inside_a_context() -> None:
    two = "UPDATE testapp_item SET quantity = {0}; UPDATE testapp_item SET name = 'n{0}'"
    Item.objects.create(name="a")
    with history.context(reason="raw") as block:
        raw(two.format(1))  # autocommit: a transaction of its own
        with transaction.atomic():
            raw(two.format(2))
        with pytest.raises(ProgrammingError):
            raw(two.format(3) + "; UPDATE nowhere SET x = 1")  # rolled back as a whole

    rows = events(ItemEvent)
    assert [(row["name"], row["quantity"]) for row in rows] == [
        ("a", 0),
        ("a", 1),
        ("n1", 1),
        ("n1", 2),
        ("n2", 2),
    ]
    assert {row["history_context_id"] for row in rows[1:]} == {block.id}
    assert Context.objects.get().id == block.id


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
    with history.context(day=datetime.date(2026, 1, 2), note="caf\u00e9 \u2603"):
        Item.objects.create(name="a")
    assert Context.objects.get().metadata == {"day": "2026-01-02", "note": "caf\u00e9 \u2603"}

    with pytest.raises(history.ContextError, match="JSON-serialisable"):
        history.context(obj=object())


HOSTILE = {
    "quote": "O'Brien'); DROP TABLE testapp_item; --",
    "backslash": "C:\\temp\\new \\' E'\\x41'",
    "percent": "100% %s %(name)s {}",
    "dollar": "$$ $tag$ $1",
    "json": '{"id":"00000000-0000-0000-0000-000000000000","metadata":{}}',
}


@pytest.mark.parametrize("where", ["autocommit", "atomic", "raw without parameters"])
def test_metadata_that_looks_like_sql_arrives_as_written(where: str) -> None:
    # The setting is quoted by the driver into the statement's text (once per value): no
    # value can end the literal, and the row holds exactly what was given.
    with history.context(**HOSTILE) as block:
        if where == "autocommit":
            Item.objects.create(name="a")
            Item.objects.update(quantity=2)  # psycopg 3: the bare id, quoted likewise
        elif where == "atomic":
            with transaction.atomic():
                Item.objects.create(name="a")
                Item.objects.update(quantity=2)
        else:
            raw("INSERT INTO testapp_item (name, price, quantity, data) VALUES ('a', 1, 1, '{}')")
            raw("UPDATE testapp_item SET quantity = 2")

    assert Context.objects.get().metadata == HOSTILE
    assert [row["history_context_id"] for row in events(ItemEvent)] == [block.id] * 2
    assert Item.objects.get().quantity == 2


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"path": "/items/\x00x"}, r"metadata\['path'\] contains a NUL character"),
        ({"tags": ["ok", "\x00"]}, r"metadata\['tags'\]\[1\] contains a NUL character"),
        ({"nested": {"k\x00": 1}}, r"a key of metadata\['nested'\] contains a NUL"),
        ({"name": "half \ud800 pair"}, r"metadata\['name'\] contains a lone surrogate"),
        ({"ratio": float("nan")}, "NaN and infinities are refused"),
        ({"ratio": float("inf")}, "NaN and infinities are refused"),
    ],
)
def test_what_postgresql_cannot_store_is_refused_at_once(
    metadata: dict[str, Any], message: str
) -> None:
    with pytest.raises(history.ContextError, match=message):
        history.context(**metadata)


def test_a_terminated_session_fails_one_write_cleanly_and_the_context_goes_on() -> None:
    with history.context(reason="cut") as block:
        Item.objects.create(name="before")
        [(pid,)] = raw("SELECT pg_backend_pid()")
        killer = connections.create_connection("default")
        try:
            with killer.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            killer.close()
        # Django's error, as for any write on a lost session: nothing half-done to undo.
        # (A new value, so the setting is quoted on the lost session too.)
        with pytest.raises(OperationalError), history.context(step="lost"):
            Item.objects.create(name="lost")
        connection.close_if_unusable_or_obsolete()  # what Django does between requests
        Item.objects.create(name="after")  # a new session, the same block

    assert [(row["name"], row["history_context_id"]) for row in events(ItemEvent)] == [
        ("before", block.id),
        ("after", block.id),
    ]
    assert list(Item.objects.values_list("name", flat=True).order_by("pk")) == ["before", "after"]
    assert Context.objects.get().id == block.id


def test_writes_pass_untouched_until_the_context_functions_exist() -> None:
    # As on a database migrated from scratch inside a context (apply_migrations does that).
    connections["default"].close()  # a new session, which has not seen the functions yet
    rename = "ALTER FUNCTION {}() RENAME TO {}"
    raw(rename.format("tidemark_history_store_context", "away"))
    try:
        with history.context(command="apply_migrations"):
            Item.objects.create(name="early")
    finally:
        raw(rename.format("away", "tidemark_history_store_context"))
    with history.context(command="apply_migrations"):
        Item.objects.create(name="later")

    early, later = ItemEvent.objects.order_by("history_id")
    assert (early.name, early.history_context_id) == ("early", None)
    assert later.name == "later"
    assert later.history_context.metadata == {"command": "apply_migrations"}
