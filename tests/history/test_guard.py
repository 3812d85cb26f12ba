"""Against a role with DML rights only, history cannot be removed, rewritten, truncated or
skipped; the maintenance path is the owner's (and a granted role's) only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pgtrigger
import pytest
from django.db import DatabaseError, connection

import tidemark_history as history
from tests.history.conftest import events, raw
from tests.history.testapp.models import Item, Page
from tidemark_history import maintenance
from tidemark_history.exceptions import MaintenanceError
from tidemark_history.models import Context
from tidemark_history.triggers import trigger_name

ItemEvent = Item.history.field.model  # type: ignore[attr-defined]

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = "History is append-only"


@contextmanager
def role(privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> Iterator[str]:
    """Run the block as a fresh role with `privileges` on every table (not their owner)."""
    name = f"tidemark_app_{uuid.uuid4().hex[:8]}"
    raw(f"CREATE ROLE {name} NOLOGIN")
    raw(f"GRANT {privileges} ON ALL TABLES IN SCHEMA public TO {name}")
    raw(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {name}")
    raw(f"SET ROLE {name}")
    try:
        assert raw("SELECT current_user")[0][0] == name
        yield name
    finally:
        raw("RESET ROLE")
        raw(f"DROP OWNED BY {name}")
        raw(f"DROP ROLE {name}")


def pgid(model: type, name: str) -> str:
    trigger: pgtrigger.Trigger = pgtrigger.registry._registry[f"{model._meta.label}:{name}"][1]
    return trigger.get_pgid(model)


def labels() -> list[tuple[str, int]]:
    return [(e["history_label"], e["quantity"]) for e in events(ItemEvent)]


def test_the_role_writes_and_every_write_is_recorded() -> None:
    with role():
        item = Item.objects.create(name="a", quantity=1)
        Item.objects.filter(pk=item.pk).update(quantity=2)
        item.delete()
    assert labels() == [("insert", 1), ("update", 2), ("delete", 2)]


@pytest.mark.parametrize(
    "sql", ["DELETE FROM testapp_itemevent", "UPDATE testapp_itemevent SET quantity = 0"]
)
def test_pgtrigger_ignore_setting_does_not_open_the_guard(sql: str) -> None:
    Item.objects.create(name="kept", quantity=1)
    guard = pgid(ItemEvent, "append_only")
    with role(), pytest.raises(DatabaseError, match=REFUSED):
        raw(f"SELECT set_config('pgtrigger.ignore', '{{{guard}}}', false); {sql}")
    raw("RESET pgtrigger.ignore")
    assert labels() == [("insert", 1)]


def test_pgtrigger_ignore_setting_does_not_skip_capture() -> None:
    item = Item.objects.create(name="a", quantity=1)
    capture = ",".join(pgid(Item, f"{label}_itemevent") for label in ("insert", "update", "delete"))
    with role():
        raw(f"SELECT set_config('pgtrigger.ignore', '{{{capture}}}', false)")
        raw("UPDATE testapp_item SET quantity = 5")
        raw("INSERT INTO testapp_item (name, price, quantity, data) VALUES ('b', 0, 7, '{}')")
        raw("DELETE FROM testapp_item WHERE id = %s", [item.pk])
    raw("RESET pgtrigger.ignore")
    assert labels() == [("insert", 1), ("update", 5), ("insert", 7), ("delete", 5)]


def test_pgtrigger_ignore_from_python_skips_nothing() -> None:
    item = Item.objects.create(name="a", quantity=1)
    with role():
        with (
            pgtrigger.ignore("testapp.ItemEvent:append_only"),
            pytest.raises(DatabaseError, match=REFUSED),
        ):
            ItemEvent.objects.all().delete()
        with pgtrigger.ignore("testapp.Item:update_itemevent", "testapp.Item:delete_itemevent"):
            Item.objects.filter(pk=item.pk).update(quantity=3)
            item.delete()
    assert labels() == [("insert", 1), ("update", 3), ("delete", 3)]


def test_the_maintenance_setting_set_by_hand_opens_nothing() -> None:
    Item.objects.create(name="kept", quantity=1)
    with role(), pytest.raises(DatabaseError, match=REFUSED):
        raw(
            "SELECT set_config('tidemark_history.maintenance',"
            " 'testapp_itemevent'::regclass::oid::text, false);"
            " DELETE FROM testapp_itemevent"
        )
    raw("RESET tidemark_history.maintenance")
    assert labels() == [("insert", 1)]


def test_truncate_is_refused_without_the_privilege_and_with_it() -> None:
    Item.objects.create(name="kept", quantity=1)
    with role(), pytest.raises(DatabaseError, match="permission denied"):
        raw("TRUNCATE testapp_itemevent")
    with role("ALL PRIVILEGES"):
        with pytest.raises(DatabaseError, match=f"{REFUSED}: TRUNCATE of testapp_itemevent"):
            raw("TRUNCATE testapp_itemevent")
        with pytest.raises(DatabaseError, match=REFUSED):
            raw("DELETE FROM testapp_itemevent")
    assert labels() == [("insert", 1)]


def test_a_temporary_table_named_like_the_event_table_catches_nothing() -> None:
    with role() as name:
        raw(f"GRANT TEMPORARY ON DATABASE {connection.settings_dict['NAME']} TO {name}")
        raw("CREATE TEMPORARY TABLE testapp_itemevent (LIKE public.testapp_itemevent)")
        Item.objects.bulk_create([Item(name="a", quantity=1), Item(name="b", quantity=1)])
        Item.objects.filter(name="a").update(quantity=2)  # one row: the trigger's own plan
        Item.objects.update(quantity=3)  # several: a join planned when it runs (EXECUTE)
        caught = raw("SELECT count(*) FROM pg_temp.testapp_itemevent")[0][0]
        raw("DROP TABLE pg_temp.testapp_itemevent")
        raw(f"REVOKE TEMPORARY ON DATABASE {connection.settings_dict['NAME']} FROM {name}")
    assert caught == 0
    assert labels() == [("insert", 1), ("insert", 1), ("update", 2), ("update", 3), ("update", 3)]


def test_a_temporary_table_named_like_the_context_table_catches_no_context_row() -> None:
    # create_event() stores its context row by calling the store function directly, outside
    # any trigger's pinned search path.
    page = Page.objects.create(title="a")
    with role() as name:
        raw(f"GRANT TEMPORARY ON DATABASE {connection.settings_dict['NAME']} TO {name}")
        raw(
            "CREATE TEMPORARY TABLE tidemark_history_context"
            " (LIKE public.tidemark_history_context INCLUDING ALL)"
        )
        with history.context(reason="audit") as block:
            history.create_event(page, label="audit")
        caught = raw("SELECT count(*) FROM pg_temp.tidemark_history_context")[0][0]
        raw("DROP TABLE pg_temp.tidemark_history_context")
        raw(f"REVOKE TEMPORARY ON DATABASE {connection.settings_dict['NAME']} FROM {name}")
    assert caught == 0
    assert Context.objects.get(pk=block.id).metadata == {"reason": "audit"}


def test_the_owner_deletes_and_redacts_through_the_maintenance_path() -> None:
    kept = Item.objects.create(name="kept", quantity=1)
    gone = Item.objects.create(name="gone", quantity=2)
    Item.objects.filter(pk=gone.pk).update(quantity=3)

    assert (
        maintenance.delete(ItemEvent.objects.filter(history_object_id=gone.pk), batch_size=1) == 2
    )
    assert maintenance.update(ItemEvent.objects.all(), name="(redacted)", data={"k": [1]}) == 1

    assert [(e["history_object_id"], e["name"], e["data"]) for e in events(ItemEvent)] == [
        (kept.pk, "(redacted)", {"k": [1]})
    ]
    # The path closes behind itself: a direct delete is refused again.
    with pytest.raises(DatabaseError, match=REFUSED):
        raw("DELETE FROM testapp_itemevent")


def test_the_role_cannot_take_the_maintenance_path_until_granted() -> None:
    Item.objects.create(name="a", quantity=1)
    with role() as name:
        with pytest.raises(MaintenanceError, match="may not run the history maintenance"):
            maintenance.delete(ItemEvent.objects.all())
        with pytest.raises(MaintenanceError, match="GRANT EXECUTE"):
            maintenance.update(ItemEvent.objects.all(), name="x")
        raw("RESET ROLE")
        raw(maintenance.GRANT_SQL.format(role=name))
        raw(f"SET ROLE {name}")
        assert maintenance.update(ItemEvent.objects.all(), quantity=9) == 1
        assert labels() == [("insert", 9)]
        assert maintenance.delete(ItemEvent.objects.all()) == 1
    assert labels() == []


def test_the_maintenance_functions_refuse_other_tables_and_bad_changes() -> None:
    Item.objects.create(name="a", quantity=1)
    with pytest.raises(DatabaseError, match="testapp_item is not a history table"):
        raw("SELECT tidemark_history_delete('testapp_item', ARRAY['1'])")
    with pytest.raises(
        DatabaseError, match=r"'history_id', 'nope' cannot be set on public\.testapp_itemevent"
    ):
        raw(
            "SELECT tidemark_history_update('testapp_itemevent', ARRAY['1'],"
            ' \'{"history_id": 5, "nope": 1}\')'
        )
    with pytest.raises(DatabaseError, match="non-empty JSON object"):
        raw("SELECT tidemark_history_update('testapp_itemevent', ARRAY['1'], '[]')")
    with pytest.raises(MaintenanceError, match=r"testapp\.Item is not a history model"):
        maintenance.delete(Item.objects.all())
    with pytest.raises(MaintenanceError, match="no field 'history_id'"):
        maintenance.update(ItemEvent.objects.all(), history_id=1)
    with pytest.raises(MaintenanceError, match="no field 'nope'"):
        maintenance.update(ItemEvent.objects.all(), nope=1)
    with pytest.raises(MaintenanceError, match="at least one field"):
        maintenance.update(ItemEvent.objects.all())
    with pytest.raises(MaintenanceError, match="batch_size"):
        maintenance.delete(ItemEvent.objects.all(), batch_size=0)
    assert labels() == [("insert", 1)]


@pytest.mark.django_db(transaction=False)
def test_trigger_names_of_long_event_models_never_collide() -> None:
    first = trigger_name("update", "averyveryverylongeventmodelnamethatgoesonandon_a")
    second = trigger_name("update", "averyveryverylongeventmodelnamethatgoesonandon_b")
    assert first != second
    assert len(first) <= pgtrigger.core.MAX_NAME_LENGTH - 4
    assert first.startswith("update_averyvery")
    assert trigger_name("update", "itemevent") == "update_itemevent"
    assert trigger_name("group.add", "itemevent") != trigger_name("group_add", "itemevent")
    assert "." not in trigger_name("group.add", "itemevent")


def test_w001_warns_when_the_connection_owns_the_history_tables() -> None:
    from django.core.checks import registry

    from tidemark_history.checks import check_connection_does_not_own_history as check

    assert check in registry.registry.get_checks(include_deployment_checks=True)
    assert check not in registry.registry.get_checks(include_deployment_checks=False)
    assert check(databases=None) == []
    (warning,) = check(databases=["default"])  # the tests connect as a superuser
    assert warning.id == "tidemark_history.W001"
    assert "owns (or, as a superuser, controls) the history tables" in warning.msg
    assert "testapp_itemevent" in warning.msg
    assert "more" in warning.msg
    with role():
        assert check(databases=["default"]) == []
    assert check(databases=["lite"]) == []


def test_contexts_are_append_only_for_the_role_and_its_writes_keep_their_context() -> None:
    from tidemark_history import context
    from tidemark_history.models import Context

    with role() as name:
        with context(reason="import"):
            Item.objects.create(name="a", quantity=1)
        (row,) = Context.objects.all()
        for sql in (
            "UPDATE tidemark_history_context SET metadata = '{}'",
            "DELETE FROM tidemark_history_context",
            "DELETE FROM tidemark_history_context WHERE false",
        ):
            with pytest.raises(DatabaseError, match=REFUSED):
                raw(sql)
        with (
            pgtrigger.ignore("tidemark_history.Context:append_only"),
            pytest.raises(DatabaseError, match=REFUSED),
        ):
            Context.objects.all().delete()
        with pytest.raises(DatabaseError, match="permission denied"):
            raw("TRUNCATE tidemark_history_context")
        with pytest.raises(MaintenanceError, match="may not run"):
            maintenance.delete(Context.objects.all())
        raw("RESET ROLE")
        raw(f"GRANT TRUNCATE ON tidemark_history_context TO {name}")
        raw(f"SET ROLE {name}")
        with pytest.raises(DatabaseError, match=f"{REFUSED}: TRUNCATE of tidemark_history_context"):
            raw("TRUNCATE tidemark_history_context")
    assert [(c.id, c.metadata) for c in Context.objects.all()] == [(row.id, {"reason": "import"})]
    (event,) = events(ItemEvent)
    assert event["history_context_id"] == row.id


def test_the_owner_prunes_and_redacts_contexts_through_the_maintenance_path() -> None:
    from tidemark_history import context
    from tidemark_history.models import Context

    with context(user="ada"):
        Item.objects.create(name="a", quantity=1)
    with context(user="bob"):
        Item.objects.create(name="b", quantity=2)
    ada = Context.objects.get(metadata__user="ada")

    assert maintenance.update(Context.objects.filter(pk=ada.pk), metadata={"user": None}) == 1
    assert maintenance.delete(Context.objects.exclude(pk=ada.pk)) == 1

    assert [(c.id, c.metadata) for c in Context.objects.all()] == [(ada.id, {"user": None})]
    with pytest.raises(DatabaseError, match=REFUSED):
        raw("DELETE FROM tidemark_history_context")


@pytest.mark.parametrize(
    "function",
    ["tidemark_history_current_context()", "tidemark_history_store_context()"],
)
def test_the_role_cannot_replace_how_the_triggers_read_or_store_the_context(
    function: str,
) -> None:
    with role():
        # Refused by the schema (PostgreSQL 15+), else by ownership.
        with pytest.raises(DatabaseError, match=r"permission denied for schema|must be owner"):
            raw(
                f"CREATE OR REPLACE FUNCTION {function} RETURNS uuid "
                "LANGUAGE sql STABLE AS 'SELECT NULL::uuid'"
            )
        with history.context(reason="kept") as block:
            Item.objects.create(name="a", quantity=1)
    assert [e["history_context_id"] for e in events(ItemEvent)] == [block.id]
    assert Context.objects.get().metadata == {"reason": "kept"}
