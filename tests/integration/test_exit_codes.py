"""One meaning for previews and exit codes, across every Tidemark command.

A preview exits non-zero exactly when the real run would refuse, and every ``--json``
document says ``"ok": true`` exactly when the command exits 0 (docs: Commands).
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from tests.integration.shop.models import Category
from tests.migration_sources import ALPHA_0001, add_field
from tests.migration_support import Release
from tidemark_core import MIGRATION_LOCK, OpenRun, Plan, advisory_lock, applied_migrations
from tidemark_migration_state import save_state

from .test_deploy import V1, V2

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

IRREVERSIBLE = """
from django.db import migrations

class Migration(migrations.Migration):
    dependencies = [("alpha", "0001_initial")]
    operations = [migrations.RunSQL("SELECT 1")]
"""


def outcome(name: str, *args: str) -> tuple[int, dict | None]:
    """The exit status of ``manage.py name args`` and its JSON document, if it printed one."""
    out = StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=StringIO(), no_color=True)
        status = 0
    except CommandError as error:
        status = error.returncode
    except SystemExit as error:
        status = int(error.code or 0)
    text = out.getvalue()
    return status, json.loads(text) if "--json" in args else None


def agree(name: str, *args: str) -> int:
    """Run with --json: the document's ``ok`` agrees with the exit status; the status."""
    status, document = outcome(name, *args, "--json")
    assert document is not None
    assert document["ok"] is (status == 0), (name, args, status, document)
    if status:
        assert document.get("error") or document.get("findings"), document
    return status


def test_apply_migrations(release: Release) -> None:
    release(alpha={"0001_initial": ALPHA_0001})
    assert agree("apply_migrations", "--check") == 1  # pending, as migrate --check
    assert agree("apply_migrations", "--plan") == 0
    assert agree("apply_migrations") == 0
    assert agree("apply_migrations", "--check") == 0
    release(alpha={"0001_initial": ALPHA_0001, "0002_irreversible": IRREVERSIBLE})

    # Refused: the preview fails as the run does, and both say why.
    assert agree("apply_migrations", "--plan") == 1
    assert agree("apply_migrations") == 1
    assert agree("apply_migrations", "--plan", "--allow-irreversible") == 0
    assert agree("apply_migrations", "--plan", "--atomic") == 0  # one transaction undoes it
    assert agree("lint_migrations", "alpha") == 1  # PG104: no reverse_sql
    assert agree("apply_migrations", "--plan", "--atomic", "--lint") == 1
    # An interrupted run: every preview refuses, as the run would.
    with advisory_lock(MIGRATION_LOCK) as lock:
        OpenRun.begin(Plan.build(applied_migrations()), lock=lock, command="apply_migrations")
    connections["default"].close()  # its session is gone, and the run with it
    for name, args in [
        ("apply_migrations", ["--plan", "--allow-irreversible"]),
        ("apply_migrations", ["--allow-irreversible"]),
        ("apply_migrations", ["--recover", "--plan"]),
    ]:
        expected = 0 if "--recover" in args else 1
        assert agree(name, *args) == expected, (name, args)


def test_rollback_and_save_migrations_state(release: Release) -> None:
    release(alpha={"0001_initial": ALPHA_0001})
    call_command("apply_migrations", stdout=StringIO())
    save_state(V1)
    release(
        alpha={
            "0001_initial": ALPHA_0001,
            "0002_size": add_field("alpha", "0001_initial", "size"),
            "0003_irreversible": IRREVERSIBLE.replace("0001_initial", "0002_size"),
        }
    )
    call_command("apply_migrations", "--allow-irreversible", stdout=StringIO())
    assert agree("save_migrations_state", "--check") == 1  # drift: not saved yet
    assert agree("save_migrations_state", "--commit", V2) == 0
    assert agree("save_migrations_state", "--check") == 0
    assert agree("rollback_migrations", "--list") == 0

    for preview in ("--plan", "--fake", "--sql"):
        assert agree("rollback_migrations", preview) == 1  # 0003 cannot be unapplied
    assert agree("rollback_migrations", "--no-input") == 1
    assert agree("rollback_migrations", "-c", V2[:7], "--plan") == 0
    assert agree("rollback_migrations", "-t", "no-such-tag", "--plan") == 1


def test_data_sync_and_show_migration_changes() -> None:
    Category.objects.create(name="Books", slug="books")
    Category.objects.using("other").create(pk=90, name="Only there", slug="there")
    sync = ["catalog", "--from", "default", "--to", "other"]

    assert agree("sync_dataset", *sync, "--plan", "--max-delete", "0") == 1
    assert agree("sync_dataset", *sync, "--max-delete", "0") == 1
    assert agree("sync_dataset", *sync, "--plan") == 0
    assert agree("lint_migrations", "shop") == 0
    assert agree("lint_migrations", "no_such_app") == 1
    assert agree("show_migration_changes", "--check") == 0  # in no saved release yet
    save_state(V1)
    save_state(V2)  # the test app's changes outlived one saved release
    assert agree("show_migration_changes") == 0
    assert agree("show_migration_changes", "--check") == 1
