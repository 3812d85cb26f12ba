"""Nothing silent: history_verify and check W002 report missing, disabled and outdated triggers.

Each test changes triggers inside its own transaction, which is rolled back after it.
"""

from __future__ import annotations

import io
import json

import pgtrigger
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.history.conftest import raw
from tests.history.testapp.models import Item
from tidemark_history.checks import check_triggers
from tidemark_history.verify import expected_triggers, unmigrated_apps, verify_triggers

ItemEvent = Item.history.field.model  # type: ignore[attr-defined]

pytestmark = pytest.mark.django_db


def pgid(model: type, name: str) -> str:
    trigger: pgtrigger.Trigger = pgtrigger.registry._registry[f"{model._meta.label}:{name}"][1]
    return trigger.get_pgid(model)


def verify(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("history_verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing(*args: str) -> tuple[str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("history_verify", *args, stdout=out, stderr=err)
    return str(raised.value), out.getvalue(), err.getvalue()


def test_every_trigger_is_verified_and_passes() -> None:
    expected = expected_triggers("default")
    names = {f"{model._meta.label}:{trigger.name}" for model, trigger in expected}
    assert {
        "testapp.Item:insert_itemevent",
        "testapp.Item:update_itemevent",
        "testapp.Item:delete_itemevent",
        "testapp.ItemEvent:append_only",
        "testapp.ItemEvent:append_only_truncate",
    } <= names
    out, err = verify()
    count = len(expected)
    assert (
        out == f"All {count} Tidemark triggers on 'default' are installed, enabled and current.\n"
    )
    assert err == ""
    assert check_triggers(databases=["default"]) == []


def test_a_disabled_capture_trigger_fails() -> None:
    trigger = pgid(Item, "update_itemevent")
    raw(f"ALTER TABLE testapp_item DISABLE TRIGGER {trigger}")

    error, _out, err = failing()

    count = len(expected_triggers("default"))
    assert error == (
        f"1 of the {count} Tidemark triggers on 'default' is missing, disabled or outdated: "
        "changes may go unrecorded or history unprotected."
    )
    assert (
        err == f"testapp.Item: trigger update_itemevent ({trigger}) on testapp_item is disabled\n"
    )
    (warning,) = check_triggers(databases=["default"])
    assert warning.id == "tidemark_history.W002"
    assert f"update_itemevent ({trigger}) on testapp_item is disabled" in warning.msg
    assert warning.obj == "testapp.Item"


def test_a_replica_only_trigger_counts_as_disabled() -> None:
    raw(f"ALTER TABLE testapp_item ENABLE REPLICA TRIGGER {pgid(Item, 'insert_itemevent')}")
    _error, _out, err = failing()
    assert "is disabled (it fires only with session_replication_role)" in err


def test_a_dropped_guard_and_a_dropped_capture_trigger_fail() -> None:
    guard, capture = pgid(ItemEvent, "append_only"), pgid(Item, "delete_itemevent")
    raw(f"DROP TRIGGER {guard} ON testapp_itemevent")
    raw(f"DROP TRIGGER {capture} ON testapp_item")

    error, _out, err = failing("--database", "default")

    assert error.startswith("2 of the ")
    assert err.splitlines() == [
        f"testapp.Item: trigger delete_itemevent ({capture}) on testapp_item is missing "
        "(run migrate; if it says there is nothing to do, run makemigrations)",
        f"testapp.ItemEvent: trigger append_only ({guard}) on testapp_itemevent is missing "
        "(run migrate; if it says there is nothing to do, run makemigrations)",
    ]


def test_a_replaced_function_or_another_version_is_outdated() -> None:
    capture = pgid(Item, "insert_itemevent")
    raw(
        f"CREATE OR REPLACE FUNCTION {capture}() RETURNS trigger"
        " AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql"
    )
    guard = pgid(ItemEvent, "append_only_truncate")
    raw(f"COMMENT ON TRIGGER {guard} ON testapp_itemevent IS 'an older version'")

    _error, _out, err = failing()

    assert err.splitlines() == [
        f"testapp.Item: trigger insert_itemevent ({capture}) on testapp_item is outdated: its "
        "function was replaced in the database (run pgtrigger's install)",
        f"testapp.ItemEvent: trigger append_only_truncate ({guard}) on testapp_itemevent is "
        "outdated: not the version this code renders (run makemigrations, then migrate)",
    ]


def test_json_output() -> None:
    trigger = pgid(Item, "update_itemevent")
    raw(f"ALTER TABLE testapp_item DISABLE TRIGGER {trigger}")

    error, out, err = failing("--json")

    document = json.loads(out)
    assert document["ok"] is False
    assert document["triggers"] == len(expected_triggers("default"))
    assert document["problems"] == [
        {
            "model": "testapp.Item",
            "table": "testapp_item",
            "trigger": "update_itemevent",
            "pgid": trigger,
            "problem": "disabled",
        }
    ]
    assert err == ""
    assert error.startswith("1 of the ")


def test_the_check_skips_apps_not_migrated_and_other_databases() -> None:
    raw(f"ALTER TABLE testapp_item DISABLE TRIGGER {pgid(Item, 'update_itemevent')}")
    assert unmigrated_apps("default") == frozenset()
    count, problems = verify_triggers("default", skip_apps=frozenset({"testapp"}))
    assert problems == []
    assert count > 0
    assert check_triggers(databases=["lite"]) == []
    assert check_triggers(databases=None) == []
    assert verify_triggers("lite") == (0, [])
