"""Linter rules PG012-PG019 and PG100-PG106 on migrations makemigrations wrote."""

# Migration sources and expected messages are quoted whole, so some lines are long.
# ruff: noqa: E501

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection, models

import tidemark_smooth_migrations as smooth
from tests.smooth_migrations.lint_support import LintApp, codes, empty, errors

pytestmark = pytest.mark.django_db(databases=["default", "other"])

SMOOTH = "import tidemark_smooth_migrations as smooth\nfrom django.db import"
HEAD = "class Migration(migrations.Migration):\n"


def order(**extra: Any) -> dict[str, Any]:
    return {
        "name": models.CharField(max_length=50),
        "total": models.IntegerField(default=0),
        **extra,
    }


def quiet(result: smooth.LintResult) -> bool:
    return result.findings == [] and not result.failed(warnings_as_errors=True)


# PG012: dropping columns.


def test_pg012_fires_when_a_column_is_dropped_without_deprecation(lintapp: LintApp) -> None:
    lintapp.release({"Order": order(legacy=models.CharField(max_length=20))})
    name = lintapp.release({"Order": order()})

    result = lintapp.lint(name)

    assert codes(result) == [("PG012", name)]
    assert "'column does not exist'" in result.findings[0].message
    assert "smooth.deprecated_field" in result.findings[0].fix


def test_pg012_quiet_after_deprecated_field_in_an_earlier_release(lintapp: LintApp) -> None:
    lintapp.release({"Order": order(legacy=models.CharField(max_length=20))})
    deprecate = lintapp.release(
        {"Order": order(legacy=smooth.deprecated_field(models.CharField(max_length=20)))}
    )
    drop = lintapp.release({"Order": order()})

    assert quiet(lintapp.lint(deprecate))
    assert quiet(lintapp.lint(drop))
    # Deprecated and dropped in one release: the previous release still uses the column.
    together = lintapp.lint(deprecate, drop)
    assert codes(together) == [("PG012", drop)]
    assert f"relaxed only in lintapp.{deprecate}" in together.findings[0].message


def test_pg012_quiet_for_a_column_added_in_the_same_release(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    add = lintapp.release({"Order": order(extra=models.IntegerField(null=True))})
    drop = lintapp.release({"Order": order()})

    assert quiet(lintapp.lint(add, drop))


def test_pg012_accepted_by_safety_assured(lintapp: LintApp) -> None:
    lintapp.release({"Order": order(note=models.TextField(null=True))})
    name = lintapp.release({"Order": order()})
    lintapp.edit(name, "from django.db import", SMOOTH)
    lintapp.edit(
        name,
        "operations = [\n",
        'operations = [\n        smooth.safety_assured(reason="note deprecated in 1.4", rules=["PG012"]),\n',
    )

    result = lintapp.lint(name)

    assert result.findings == []
    [suppressed] = result.suppressed
    assert (suppressed.code, suppressed.suppressed_by) == ("PG012", "note deprecated in 1.4")
    assert not result.failed()


# PG013: dropping tables.


def test_pg013_fires_on_delete_model_and_not_for_a_table_of_the_same_release(
    lintapp: LintApp,
) -> None:
    lintapp.release({"Order": order()})
    create = lintapp.release(
        {"Order": order(), "Coupon": {"code": models.CharField(max_length=10)}}
    )
    delete = lintapp.release({"Order": order()})

    result = lintapp.lint(delete)
    assert codes(result) == [("PG013", delete)]
    assert "smooth.deprecate_model" in result.findings[0].fix
    assert 'rules=["PG013"]' in result.findings[0].fix
    assert quiet(lintapp.lint(create, delete))


# PG014 / PG015: renames.


def test_pg014_fires_on_rename_field_and_not_when_the_column_keeps_its_name(
    lintapp: LintApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import call_command

    from tests.smooth_migrations.lint_support import define

    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    lintapp.release({"Order": order()})
    define({"Order": order(total=None, amount=models.IntegerField(default=0))})
    call_command("makemigrations", "lintapp", interactive=True, verbosity=0)
    rename = lintapp.names()[-1]
    result = lintapp.lint(rename)
    assert codes(result) == [("PG014", rename)]
    assert 'db_column="total"' in result.findings[0].fix

    define({"Order": order(total=None, price=models.IntegerField(default=0, db_column="amount"))})
    call_command("makemigrations", "lintapp", interactive=True, verbosity=0)
    keep = lintapp.names()[-1]
    assert quiet(lintapp.lint(keep))


def test_pg015_fires_on_rename_model_and_not_with_db_table_kept(
    lintapp: LintApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import call_command

    from tests.smooth_migrations.lint_support import define

    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    lintapp.release({"Order": order()})
    define({"Purchase": order()})
    call_command("makemigrations", "lintapp", interactive=True, verbosity=0)
    rename = lintapp.names()[-1]
    result = lintapp.lint(rename)
    assert codes(result) == [("PG015", rename)]
    assert 'db_table = "lintapp_order"' in result.findings[0].fix

    # Renamed in Python only: Django renames the table and back in one transaction.
    define({"Sale": order(Meta={"db_table": "lintapp_purchase"})})
    call_command("makemigrations", "lintapp", interactive=True, verbosity=0)
    assert quiet(lintapp.lint(lintapp.names()[-1]))


# PG016-PG019: raw SQL that locks or empties tables.


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("TRUNCATE lintapp_order", "PG019"),
        ("TRUNCATE TABLE lintapp_order CASCADE", "PG019"),
        ("REINDEX TABLE lintapp_order", "PG017"),
        ("VACUUM FULL lintapp_order", "PG018"),
        ("ALTER TABLE lintapp_order SET LOGGED", "PG018"),
    ],
)
def test_raw_sql_that_locks_or_empties_a_table(lintapp: LintApp, sql: str, code: str) -> None:
    lintapp.release({"Order": order()})
    name = empty(lintapp, {"Order": order()}, f"migrations.RunSQL({sql!r}, migrations.RunSQL.noop)")

    result = lintapp.lint(name)

    assert codes(result) == [(code, name)]
    if "CASCADE" in sql:
        assert "CASCADE empties every table that references it" in result.findings[0].message


def test_pg019_quiet_for_batched_deletes(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    delete = "DELETE FROM lintapp_order WHERE id IN (SELECT id FROM lintapp_order LIMIT 1000)"
    name = empty(
        lintapp,
        {"Order": order()},
        f"migrations.RunSQL({delete!r}, migrations.RunSQL.noop)",
        atomic=False,
    )

    assert quiet(lintapp.lint(name))


def test_pg016_fires_on_an_exclusion_constraint(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    sql = "ALTER TABLE lintapp_order ADD CONSTRAINT no_overlap EXCLUDE USING gist (total WITH =)"
    name = empty(lintapp, {"Order": order()}, f"migrations.RunSQL({sql!r}, migrations.RunSQL.noop)")

    assert codes(lintapp.lint(name)) == [("PG016", name)]


# PG100: lock_timeout.


def test_pg100_fires_without_a_lock_timeout(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    name = lintapp.release({"Order": order(extra=models.IntegerField(null=True))})

    result = lintapp.lint(name, lock_timeout=None)

    assert codes(result) == [("PG100", name)]
    assert result.findings[0].severity == "warning"
    assert "SET LOCAL lock_timeout" in result.findings[0].fix
    assert not result.failed()
    assert result.failed(warnings_as_errors=True)


def test_pg100_quiet_with_a_lock_timeout_in_the_migration_or_the_session(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    name = lintapp.release({"Order": order(extra=models.IntegerField(null=True))})
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")
        try:
            assert quiet(lintapp.lint(name, lock_timeout=None))
        finally:
            cursor.execute("RESET lock_timeout")

    lintapp.edit(
        name,
        "operations = [\n",
        "operations = [\n        migrations.RunSQL(\"SET LOCAL lock_timeout = '2s'\", migrations.RunSQL.noop),\n",
    )
    assert quiet(lintapp.lint(name, lock_timeout=None))


# PG101: locks held across long steps.


def test_pg101_fires_on_ddl_and_backfill_in_one_transaction(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    name = empty(
        lintapp,
        {"Order": order()},
        'migrations.AddField("order", "code", models.CharField(max_length=3, null=True))',
        "migrations.RunSQL(\"UPDATE lintapp_order SET code = 'EUR'\", migrations.RunSQL.noop)",
    )

    result = lintapp.lint(name)

    assert codes(result) == [("PG101", name)]
    finding = result.findings[0]
    assert finding.operation == 2
    assert "taken by operation 1 is held until the migration commits" in finding.message


def test_pg101_quiet_when_the_backfill_has_its_own_migration(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    add = lintapp.release({"Order": order(code=models.CharField(max_length=3, null=True))})
    backfill = empty(
        lintapp,
        {"Order": order(code=models.CharField(max_length=3, null=True))},
        "migrations.RunSQL(\"UPDATE lintapp_order SET code = 'EUR' WHERE code IS NULL\", migrations.RunSQL.noop)",
        atomic=False,
    )

    assert quiet(lintapp.lint(add))
    assert quiet(lintapp.lint(backfill))


# PG102 / PG103: non-atomic migrations.


def test_pg102_fires_on_a_concurrent_build_in_an_atomic_migration(lintapp: LintApp) -> None:
    index = models.Index(fields=["name"], name="order_name_idx")
    lintapp.release({"Order": order()})
    name = lintapp.release({"Order": order(Meta={"indexes": [index]})})
    lintapp.edit(name, "migrations.AddIndex(", "smooth.AddIndexConcurrently(")
    lintapp.edit(name, "from django.db import", SMOOTH)

    assert codes(lintapp.lint(name)) == [("PG102", name)]


def test_pg103_fires_on_two_operations_that_cannot_run_again(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    first = models.Index(fields=["name"], name="order_name_idx")
    second = models.Index(fields=["total"], name="order_total_idx")
    name = lintapp.release({"Order": order(Meta={"indexes": [first, second]})})
    lintapp.edit(name, HEAD, HEAD + "    atomic = False\n")
    lintapp.edit(
        name,
        "from django.db import",
        "from django.contrib.postgres.operations import AddIndexConcurrently\nfrom django.db import",
    )
    lintapp.edit(name, "migrations.AddIndex(", "AddIndexConcurrently(")

    result = lintapp.lint(name)
    assert codes(result) == [("PG103", name)]
    assert result.findings[0].operation is None

    lintapp.edit(name, "AddIndexConcurrently(", "smooth.AddIndexConcurrently(")
    lintapp.edit(name, "from django.db import", SMOOTH)
    assert quiet(lintapp.lint(name))


# PG104 / PG105: irreversible and unreadable operations.


def test_pg104_fires_without_a_reverse_and_not_with_noop(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    irreversible = empty(lintapp, {"Order": order()}, 'migrations.RunSQL("SELECT 1")')
    reversible = empty(
        lintapp, {"Order": order()}, 'migrations.RunSQL("SELECT 1", migrations.RunSQL.noop)'
    )

    result = lintapp.lint(irreversible)
    assert codes(result) == [("PG104", irreversible)]
    assert "RunSQL without reverse_sql" in result.findings[0].message
    assert quiet(lintapp.lint(reversible))


def test_pg105_fires_on_sql_it_cannot_read(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    block = "DO $$ BEGIN PERFORM 1; END $$"
    function = "CREATE OR REPLACE FUNCTION lintapp_one() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$"
    name = empty(
        lintapp, {"Order": order()}, f"migrations.RunSQL({block!r}, migrations.RunSQL.noop)"
    )
    readable = empty(
        lintapp, {"Order": order()}, f"migrations.RunSQL({function!r}, migrations.RunSQL.noop)"
    )

    result = lintapp.lint(name)
    assert codes(result) == [("PG105", name)]
    assert result.findings[0].severity == "warning"
    assert quiet(lintapp.lint(readable))


# PG106: unique columns with a callable default.


def test_pg106_fires_on_a_unique_uuid_default(lintapp: LintApp) -> None:
    lintapp.release({"Order": order()})
    name = lintapp.release({"Order": order(ref=models.UUIDField(default=uuid.uuid4, unique=True))})

    assert sorted(errors(lintapp.lint(name))) == [("PG003", name), ("PG008", name), ("PG106", name)]


def test_pg106_quiet_for_a_new_table(lintapp: LintApp) -> None:
    name = lintapp.release({"Order": order(ref=models.UUIDField(default=uuid.uuid4, unique=True))})

    assert quiet(lintapp.lint(name))
