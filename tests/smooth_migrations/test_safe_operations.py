"""The safe operations do their recipe on a real database, can run again, and reverse."""

# Migration sources and expected messages are quoted whole, so some lines are long.
# ruff: noqa: E501

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, NotSupportedError, connection, models

import tidemark_smooth_migrations as smooth
from tests.smooth_migrations.lint_support import LintApp, empty

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

HEAD = "class Migration(migrations.Migration):\n"
SMOOTH = "import tidemark_smooth_migrations as smooth\nfrom django.db import"


def order(**extra: Any) -> dict[str, Any]:
    return {
        "name": models.CharField(max_length=50),
        "total": models.IntegerField(default=0),
        **extra,
    }


def rows(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def migrate(target: str | None = None) -> None:
    call_command("migrate", "lintapp", *([target] if target else []), verbosity=0)


def use(lintapp: LintApp, name: str, old: str, new: str, *, atomic: bool = False) -> None:
    lintapp.edit(name, old, new)
    lintapp.edit(name, "from django.db import", SMOOTH)
    if not atomic:
        lintapp.edit(name, HEAD, HEAD + "    atomic = False\n")


def indexes() -> dict[str, bool]:
    return dict(
        rows(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'lintapp_order'::regclass"
        )
    )


def constraints() -> dict[str, tuple[str, bool]]:
    return {
        name: (kind, valid)
        for name, kind, valid in rows(
            "SELECT conname, contype, convalidated FROM pg_constraint "
            "WHERE conrelid = 'lintapp_order'::regclass AND contype <> 'n'"
        )
    }


def test_add_and_remove_index_concurrently(lintapp: LintApp) -> None:
    index = models.Index(fields=["name"], name="order_name_idx")
    lintapp.release({"Order": order()})
    add = lintapp.release({"Order": order(Meta={"indexes": [index]})})
    use(lintapp, add, "migrations.AddIndex(", "smooth.AddIndexConcurrently(")
    remove = lintapp.release({"Order": order()})
    use(lintapp, remove, "migrations.RemoveIndex(", "smooth.RemoveIndexConcurrently(")
    migrate("0001")
    rows("INSERT INTO lintapp_order (name, total) VALUES ('a', 1), ('b', 2)")

    migrate(add)
    assert indexes()["order_name_idx"] is True
    migrate(remove)
    assert "order_name_idx" not in indexes()
    migrate(add)  # backwards through RemoveIndexConcurrently
    assert indexes()["order_name_idx"] is True
    migrate("0001")  # backwards through AddIndexConcurrently
    assert "order_name_idx" not in indexes()


def test_add_index_concurrently_replaces_an_invalid_leftover(lintapp: LintApp) -> None:
    index = models.Index(fields=["name"], name="order_name_idx")
    lintapp.release({"Order": order()})
    add = lintapp.release({"Order": order(Meta={"indexes": [index]})})
    use(lintapp, add, "migrations.AddIndex(", "smooth.AddIndexConcurrently(")
    migrate("0001")
    rows("INSERT INTO lintapp_order (name, total) VALUES ('a', 2)")
    with pytest.raises(Exception, match="division by zero"):
        rows("CREATE INDEX CONCURRENTLY order_name_idx ON lintapp_order ((1 / (total - 2)))")
    assert indexes() == {"lintapp_order_pkey": True, "order_name_idx": False}

    migrate(add)

    assert indexes()["order_name_idx"] is True
    [(definition,)] = rows("SELECT indexdef FROM pg_indexes WHERE indexname = 'order_name_idx'")
    assert definition.endswith("(name)")


def test_concurrent_operations_refuse_to_run_in_a_transaction(lintapp: LintApp) -> None:
    index = models.Index(fields=["name"], name="order_name_idx")
    lintapp.release({"Order": order()})
    add = lintapp.release({"Order": order(Meta={"indexes": [index]})})
    use(lintapp, add, "migrations.AddIndex(", "smooth.AddIndexConcurrently(", atomic=True)

    with pytest.raises(NotSupportedError, match="atomic = False"):
        migrate()
    assert "order_name_idx" not in indexes()


def test_add_unique_constraint_concurrently(lintapp: LintApp) -> None:
    unique = models.UniqueConstraint(fields=["name"], name="order_name_unique")
    lintapp.release({"Order": order()})
    add = lintapp.release({"Order": order(Meta={"constraints": [unique]})})
    use(lintapp, add, "migrations.AddConstraint(", "smooth.AddUniqueConstraintConcurrently(")
    migrate("0001")
    rows("INSERT INTO lintapp_order (name, total) VALUES ('a', 1), ('a', 2)")

    with pytest.raises(IntegrityError):
        migrate(add)
    assert "order_name_unique" not in indexes()  # the invalid index was dropped

    rows("DELETE FROM lintapp_order WHERE total = 2")
    migrate(add)
    assert constraints()["order_name_unique"] == ("u", True)
    call_command("migrate", "lintapp", "0001", fake=True, verbosity=0)
    migrate(add)  # again, the constraint already there
    assert constraints()["order_name_unique"] == ("u", True)
    with pytest.raises(IntegrityError):
        rows("INSERT INTO lintapp_order (name, total) VALUES ('a', 3)")
    migrate("0001")
    assert "order_name_unique" not in constraints()
    assert "order_name_unique" not in indexes()


def test_add_unique_constraint_concurrently_with_a_condition_stays_an_index(
    lintapp: LintApp,
) -> None:
    unique = models.UniqueConstraint(
        fields=["name"], condition=models.Q(total__gt=0), name="order_name_paid_unique"
    )
    lintapp.release({"Order": order()})
    add = lintapp.release({"Order": order(Meta={"constraints": [unique]})})
    use(lintapp, add, "migrations.AddConstraint(", "smooth.AddUniqueConstraintConcurrently(")
    migrate(add)

    assert indexes()["order_name_paid_unique"] is True
    assert "order_name_paid_unique" not in constraints()
    rows("INSERT INTO lintapp_order (name, total) VALUES ('a', 0), ('a', 0)")
    with pytest.raises(IntegrityError):
        rows("INSERT INTO lintapp_order (name, total) VALUES ('a', 1), ('a', 2)")
    migrate("0001")
    assert "order_name_paid_unique" not in indexes()


def test_foreign_key_not_valid_then_validated(lintapp: LintApp) -> None:
    customer = {"name": models.CharField(max_length=50)}
    fk = models.ForeignKey("Customer", models.CASCADE, null=True, db_index=False)
    lintapp.release({"Customer": customer, "Order": order()})
    add = lintapp.release({"Customer": customer, "Order": order(customer=fk)})
    lintapp.edit(add, "migrations.AddField(", "smooth.AddForeignKeyNotValid(")
    lintapp.edit(add, "from django.db import", SMOOTH)
    assert lintapp.lint(add).findings == []
    migrate(add)
    [(name, _kind, valid)] = rows(
        "SELECT conname, contype, convalidated FROM pg_constraint "
        "WHERE conrelid = 'lintapp_order'::regclass AND contype = 'f'"
    )
    assert valid is False
    with pytest.raises(IntegrityError):
        rows("INSERT INTO lintapp_order (name, total, customer_id) VALUES ('x', 1, 999)")

    validate = empty(
        lintapp,
        {"Customer": customer, "Order": order(customer=fk)},
        'smooth.ValidateForeignKey("order", "customer")',
    )
    assert lintapp.lint(validate).findings == []
    migrate(validate)
    assert rows("SELECT convalidated FROM pg_constraint WHERE conname = %s", [name]) == [(True,)]
    migrate(validate)  # again: nothing left to validate
    migrate("0001")
    assert rows("SELECT 1 FROM pg_constraint WHERE conname = %s", [name]) == []


def test_add_foreign_key_not_valid_refuses_an_index_or_a_plain_field() -> None:
    with pytest.raises(ValueError, match="db_index=False"):
        smooth.AddForeignKeyNotValid(
            "order", "customer", models.ForeignKey("Customer", models.CASCADE)
        )
    with pytest.raises(TypeError, match="ForeignKey"):
        smooth.AddForeignKeyNotValid("order", "total", models.IntegerField())


def test_set_not_null_backfills_validates_and_sets(lintapp: LintApp) -> None:
    lintapp.release({"Order": order(code=models.CharField(max_length=3, default="EUR", null=True))})
    name = lintapp.release({"Order": order(code=models.CharField(max_length=3, default="EUR"))})
    use(lintapp, name, "migrations.AlterField(", "smooth.SetNotNull(")
    lintapp.edit(name, "max_length=3),", "max_length=3),\n            batch_size=2,")
    migrate("0001")
    rows(
        "INSERT INTO lintapp_order (name, total, code) VALUES ('a', 1, NULL), ('b', 1, NULL), "
        "('c', 1, 'USD'), ('d', 1, NULL), ('e', 1, NULL)"
    )

    migrate(name)

    assert rows("SELECT name, code FROM lintapp_order ORDER BY name") == [
        ("a", "EUR"),
        ("b", "EUR"),
        ("c", "USD"),
        ("d", "EUR"),
        ("e", "EUR"),
    ]
    assert rows(
        "SELECT is_nullable FROM information_schema.columns "
        "WHERE table_name = 'lintapp_order' AND column_name = 'code'"
    ) == [("NO",)]
    assert [kind for kind, _valid in constraints().values()] == ["p"]  # no CHECK left
    migrate("0001")
    rows("INSERT INTO lintapp_order (name, total, code) VALUES ('f', 1, NULL)")


def test_set_not_null_without_default_fails_on_null_rows_and_leaves_the_column(
    lintapp: LintApp,
) -> None:
    lintapp.release({"Order": order(code=models.CharField(max_length=3, null=True))})
    name = lintapp.release({"Order": order(code=models.CharField(max_length=3, default="X"))})
    use(lintapp, name, "migrations.AlterField(", "smooth.SetNotNull(")
    lintapp.edit(name, "default='X', ", "")
    migrate("0001")
    rows("INSERT INTO lintapp_order (name, total, code) VALUES ('a', 1, NULL)")

    with pytest.raises(IntegrityError):
        migrate(name)
    assert rows(
        "SELECT is_nullable FROM information_schema.columns "
        "WHERE table_name = 'lintapp_order' AND column_name = 'code'"
    ) == [("YES",)]
    rows("UPDATE lintapp_order SET code = 'EUR'")
    migrate(name)  # runs again from the start
    assert [kind for kind, _valid in constraints().values()] == ["p"]


def test_set_not_null_refuses_other_changes_and_nullable_fields() -> None:
    with pytest.raises(ValueError, match="null=False"):
        smooth.SetNotNull("order", "code", models.CharField(max_length=3, null=True))
    with pytest.raises(ValueError, match="batch_size"):
        smooth.SetNotNull("order", "code", models.CharField(max_length=3), batch_size=0)


def test_set_not_null_with_another_change_is_refused(lintapp: LintApp) -> None:
    lintapp.release({"Order": order(code=models.CharField(max_length=3, default="EUR", null=True))})
    name = lintapp.release({"Order": order(code=models.CharField(max_length=5, default="EUR"))})
    use(lintapp, name, "migrations.AlterField(", "smooth.SetNotNull(")
    migrate("0001")

    with pytest.raises(ValueError, match="SetNotNull changes only null"):
        migrate(name)


def test_safety_assured_needs_a_reason_and_known_rules() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        smooth.safety_assured(reason=" ", rules=["PG012"])
    with pytest.raises(ValueError, match="unknown rule code"):
        smooth.safety_assured(reason="checked", rules=["PG999"])
    with pytest.raises(ValueError, match="name the rules"):
        smooth.safety_assured(reason="checked", rules=[])
    with pytest.raises(ValueError, match="list of rule codes"):
        smooth.safety_assured(reason="checked", rules="PG012")
    marker = smooth.safety_assured(reason="checked", rules=["pg012"])
    assert marker.rules == ("PG012",)
    assert marker.describe() == "Safety assured for PG012: checked"
    assert marker.deconstruct() == ("SafetyAssured", [], {"reason": "checked", "rules": ["PG012"]})
