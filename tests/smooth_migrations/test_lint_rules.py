"""Each linter rule fires on a migration makemigrations wrote, and stays quiet on its safe form.

Every test defines lintapp's models for each release, lets makemigrations write the
migrations (editing them only as the linter's fix tells a developer to), and lints them.
"""

# Migration sources and expected messages are quoted whole, so some lines are long.
# ruff: noqa: E501

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now

import tidemark_smooth_migrations as smooth
from tests.smooth_migrations.lint_support import LintApp, codes, empty, errors

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def customer() -> dict[str, Any]:
    return {"name": models.CharField(max_length=50)}


def order(**extra: Any) -> dict[str, Any]:
    return {
        "name": models.CharField(max_length=50),
        "total": models.IntegerField(default=0),
        **extra,
    }


def two_releases(
    lintapp: LintApp, second: dict[str, Any], first: dict[str, Any] | None = None
) -> str:
    """Release 1 with `first` (an Order), release 2 with `second`; the name of release 2's migration."""
    lintapp.release({"Order": first or order()})
    return lintapp.release({"Order": second})


def quiet(result: smooth.LintResult) -> bool:
    return result.findings == [] and not result.failed(warnings_as_errors=True)


# PG001 / PG002: indexes.


def test_pg001_fires_on_add_index(lintapp: LintApp) -> None:
    index = models.Index(fields=["name"], name="order_name_idx")
    name = two_releases(lintapp, order(Meta={"indexes": [index]}))

    result = lintapp.lint(name)

    assert codes(result) == [("PG001", name)]
    [finding] = result.findings
    assert finding.table == "lintapp_order"
    assert finding.lock == "SHARE"
    assert finding.effect == "blocks writes to lintapp_order while the index builds"
    assert (
        "smooth.AddIndexConcurrently(\"order\", models.Index(fields=['name'], name='order_name_idx'))"
        in finding.fix
    )
    assert "atomic = False" in finding.fix
    assert finding.operation == 1
    assert finding.path
    assert finding.path.endswith(f"{name}.py")


def test_pg001_fires_on_db_index_and_foreign_key_index(lintapp: LintApp) -> None:
    lintapp.release({"Customer": customer(), "Order": order()})
    name = lintapp.release(
        {
            "Customer": customer(),
            "Order": order(
                customer=models.ForeignKey("Customer", models.CASCADE, null=True),
                code=models.CharField(max_length=10, null=True, db_index=True),
            ),
        }
    )

    result = lintapp.lint(name)

    # The FK's index, code's index and its _like index; and the lock of the first ADD COLUMN
    # is held while the second operation's indexes build.
    assert sorted(codes(result)) == [("PG001", name)] * 3 + [("PG101", name)]
    assert "db_index=False" in result.findings[0].fix


def test_pg001_quiet_for_an_index_of_a_new_table(lintapp: LintApp) -> None:
    index = models.Index(fields=["name"], name="order_name_idx")
    name = lintapp.release({"Order": order(Meta={"indexes": [index]})})

    assert quiet(lintapp.lint(name))


def test_pg001_quiet_for_add_index_concurrently_which_builds_the_index(lintapp: LintApp) -> None:
    from django.db import connection

    index = models.Index(fields=["name"], name="order_name_idx")
    name = two_releases(lintapp, order(Meta={"indexes": [index]}))
    lintapp.edit(name, "migrations.AddIndex(", "smooth.AddIndexConcurrently(")
    lintapp.edit(
        name,
        "class Migration(migrations.Migration):\n",
        "class Migration(migrations.Migration):\n    atomic = False\n",
    )
    lintapp.edit(
        name,
        "from django.db import",
        "import tidemark_smooth_migrations as smooth\nfrom django.db import",
    )

    assert quiet(lintapp.lint(name))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the linter connection stays usable


def test_pg001_fires_on_concurrent_builds_of_postgresql_14_0_to_14_3(lintapp: LintApp) -> None:
    index = models.Index(fields=["name"], name="order_name_idx")
    name = two_releases(lintapp, order(Meta={"indexes": [index]}))
    lintapp.edit(name, "migrations.AddIndex(", "smooth.AddIndexConcurrently(")
    lintapp.edit(
        name,
        "class Migration(migrations.Migration):\n",
        "class Migration(migrations.Migration):\n    atomic = False\n",
    )
    lintapp.edit(
        name,
        "from django.db import",
        "import tidemark_smooth_migrations as smooth\nfrom django.db import",
    )

    broken = lintapp.lint(name, server_version=(14, 3))
    fixed = lintapp.lint(name, server_version=(14, 4))

    assert codes(broken) == [("PG001", name)]
    assert "14.4" in broken.findings[0].fix
    assert quiet(fixed)


def test_pg002_fires_on_remove_index_and_not_on_remove_index_concurrently(lintapp: LintApp) -> None:
    index = models.Index(fields=["name"], name="order_name_idx")
    lintapp.release({"Order": order(Meta={"indexes": [index]})})
    name = lintapp.release({"Order": order()})

    result = lintapp.lint(name)
    assert codes(result) == [("PG002", name)]
    assert result.findings[0].severity == "warning"
    assert result.findings[0].table == "lintapp_order"
    assert 'smooth.RemoveIndexConcurrently("order", "order_name_idx")' in result.findings[0].fix

    lintapp.edit(name, "migrations.RemoveIndex(", "smooth.RemoveIndexConcurrently(")
    lintapp.edit(
        name,
        "class Migration(migrations.Migration):\n",
        "class Migration(migrations.Migration):\n    atomic = False\n",
    )
    lintapp.edit(
        name,
        "from django.db import",
        "import tidemark_smooth_migrations as smooth\nfrom django.db import",
    )
    assert quiet(lintapp.lint(name))


# PG003 / PG004: unique constraints and primary keys.


def test_pg003_fires_on_unique_constraint_and_unique_field(lintapp: LintApp) -> None:
    unique = models.UniqueConstraint(fields=["name"], name="order_name_unique")
    first = two_releases(lintapp, order(Meta={"constraints": [unique]}))
    second = lintapp.release(
        {
            "Order": order(
                Meta={"constraints": [unique]}, total=models.IntegerField(default=0, unique=True)
            )
        }
    )

    assert codes(lintapp.lint(first)) == [("PG003", first)]
    result = lintapp.lint(second)
    assert codes(result) == [("PG003", second)]
    assert "AddUniqueConstraintConcurrently" in result.findings[0].fix
    assert (
        "models.UniqueConstraint(fields=('total',), name='order_total_unique')"
        in result.findings[0].fix
    )


def test_pg003_quiet_for_add_unique_constraint_concurrently(lintapp: LintApp) -> None:
    unique = models.UniqueConstraint(fields=["name"], name="order_name_unique")
    name = two_releases(lintapp, order(Meta={"constraints": [unique]}))
    lintapp.edit(name, "migrations.AddConstraint(", "smooth.AddUniqueConstraintConcurrently(")
    lintapp.edit(
        name,
        "class Migration(migrations.Migration):\n",
        "class Migration(migrations.Migration):\n    atomic = False\n",
    )
    lintapp.edit(
        name,
        "from django.db import",
        "import tidemark_smooth_migrations as smooth\nfrom django.db import",
    )

    assert quiet(lintapp.lint(name))


def test_pg004_fires_on_a_new_primary_key(lintapp: LintApp) -> None:
    lintapp.release({"Order": order(code=models.CharField(max_length=10, default="x"))})
    name = lintapp.release(
        {
            "Order": {
                "name": models.CharField(max_length=50),
                "total": models.IntegerField(default=0),
                "code": models.CharField(max_length=10, primary_key=True),
            }
        }
    )

    assert ("PG004", name) in errors(lintapp.lint(name))


def test_pg004_quiet_for_the_primary_key_of_a_new_table(lintapp: LintApp) -> None:
    name = lintapp.release({"Order": {"code": models.CharField(max_length=10, primary_key=True)}})

    assert quiet(lintapp.lint(name))


# PG005: foreign keys.


def test_pg005_fires_when_an_existing_column_becomes_a_constrained_foreign_key(
    lintapp: LintApp,
) -> None:
    lintapp.release(
        {
            "Customer": customer(),
            "Order": order(
                customer=models.ForeignKey(
                    "Customer", models.CASCADE, null=True, db_constraint=False, db_index=False
                )
            ),
        }
    )
    name = lintapp.release(
        {
            "Customer": customer(),
            "Order": order(
                customer=models.ForeignKey("Customer", models.CASCADE, null=True, db_index=False)
            ),
        }
    )

    result = lintapp.lint(name)

    assert codes(result) == [("PG005", name)]
    assert result.findings[0].lock == "SHARE ROW EXCLUSIVE"
    assert "lintapp_customer" in result.findings[0].effect
    assert "smooth.AddForeignKeyNotValid" in result.findings[0].fix
    assert 'smooth.ValidateForeignKey("order", "customer")' in result.findings[0].fix


def test_pg005_fires_on_a_not_null_foreign_key_column_with_a_default(lintapp: LintApp) -> None:
    lintapp.release({"Customer": customer(), "Order": order()})
    name = lintapp.release(
        {
            "Customer": customer(),
            "Order": order(
                customer=models.ForeignKey("Customer", models.CASCADE, default=1, db_index=False)
            ),
        }
    )

    assert sorted(errors(lintapp.lint(name))) == [("PG005", name), ("PG008", name)]


def test_pg005_quiet_for_a_nullable_foreign_key_and_for_add_foreign_key_not_valid(
    lintapp: LintApp,
) -> None:
    lintapp.release({"Customer": customer(), "Order": order()})
    name = lintapp.release(
        {
            "Customer": customer(),
            "Order": order(
                customer=models.ForeignKey("Customer", models.CASCADE, null=True, db_index=False)
            ),
        }
    )

    assert quiet(lintapp.lint(name))  # a new all-NULL column: PostgreSQL checks nothing

    lintapp.edit(name, "migrations.AddField(", "smooth.AddForeignKeyNotValid(")
    lintapp.edit(
        name,
        "from django.db import",
        "import tidemark_smooth_migrations as smooth\nfrom django.db import",
    )
    assert quiet(lintapp.lint(name))


# PG006: CHECK constraints.


def test_pg006_fires_on_add_constraint_check(lintapp: LintApp) -> None:
    check = models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_positive")
    name = two_releases(lintapp, order(Meta={"constraints": [check]}))

    result = lintapp.lint(name)

    assert codes(result) == [("PG006", name)]
    assert (
        result.findings[0].effect
        == "blocks reads and writes of lintapp_order while PostgreSQL checks every row"
    )
    assert 'AddConstraintNotValid("order"' in result.findings[0].fix
    assert 'ValidateConstraint("order", "order_total_positive")' in result.findings[0].fix


def test_pg006_quiet_for_add_constraint_not_valid_then_validate(lintapp: LintApp) -> None:
    check = models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_positive")
    name = two_releases(lintapp, order(Meta={"constraints": [check]}))
    lintapp.edit(name, "migrations.AddConstraint(", "AddConstraintNotValid(")
    lintapp.edit(
        name,
        "from django.db import",
        "from django.contrib.postgres.operations import AddConstraintNotValid\nfrom django.db import",
    )
    validate = empty(
        lintapp,
        {"Order": order(Meta={"constraints": [check]})},
        'ValidateConstraint("order", "order_total_positive")',
    )
    lintapp.edit(
        validate,
        "from django.db import",
        "from django.contrib.postgres.operations import ValidateConstraint\nfrom django.db import",
    )

    assert quiet(lintapp.lint(name))
    assert quiet(lintapp.lint(validate))


# PG007: SET NOT NULL.


def test_pg007_fires_on_alter_field_to_not_null(lintapp: LintApp) -> None:
    name = two_releases(
        lintapp,
        order(code=models.CharField(max_length=3, default="EUR")),
        first=order(code=models.CharField(max_length=3, default="EUR", null=True)),
    )

    result = lintapp.lint(name)

    assert codes(result) == [("PG007", name)]
    assert "after an UPDATE of the NULL rows under the same lock" in result.findings[0].message
    assert (
        'smooth.SetNotNull("order", "code", models.CharField(default=\'EUR\', max_length=3))'
        in result.findings[0].fix
    )


def test_pg007_quiet_for_set_not_null(lintapp: LintApp) -> None:
    name = two_releases(
        lintapp,
        order(code=models.CharField(max_length=3, default="EUR")),
        first=order(code=models.CharField(max_length=3, default="EUR", null=True)),
    )
    lintapp.edit(name, "migrations.AlterField(", "smooth.SetNotNull(")
    lintapp.edit(
        name,
        "class Migration(migrations.Migration):\n",
        "class Migration(migrations.Migration):\n    atomic = False\n",
    )
    lintapp.edit(
        name,
        "from django.db import",
        "import tidemark_smooth_migrations as smooth\nfrom django.db import",
    )

    assert quiet(lintapp.lint(name))
    assert quiet(lintapp.lint(name, server_version=(14, 0)))


# PG008: NOT NULL columns without a database default.


def test_pg008_fires_on_a_python_default(lintapp: LintApp) -> None:
    name = two_releases(lintapp, order(paid=models.BooleanField(default=False)))

    result = lintapp.lint(name)

    assert codes(result) == [("PG008", name)]
    finding = result.findings[0]
    assert "previous release's INSERTs" in finding.message
    assert "db_default=False" in finding.fix
    assert "smooth.new_field" in finding.fix


def test_pg008_fires_on_blank_char_field_whose_default_django_drops(lintapp: LintApp) -> None:
    name = two_releases(lintapp, order(note=models.CharField(max_length=20, blank=True)))

    result = lintapp.lint(name)

    assert codes(result) == [("PG008", name)]
    assert "'' (blank=True)" in result.findings[0].message


@pytest.mark.parametrize(
    "field",
    [
        models.BooleanField(db_default=False),
        models.CharField(max_length=20, blank=True, db_default=""),
        models.CharField(max_length=20, blank=True, null=True),
        smooth.new_field(models.CharField(max_length=3, default="EUR")),
        models.DateTimeField(db_default=Now()),
    ],
    ids=["db_default", "blank_with_db_default", "blank_null", "new_field", "db_default_now"],
)
def test_pg008_quiet_for_db_default_blank_nullable_and_new_field(
    lintapp: LintApp, field: Any
) -> None:
    name = two_releases(lintapp, order(extra=field))

    assert quiet(lintapp.lint(name))


def test_pg008_quiet_for_a_table_created_in_the_same_release(lintapp: LintApp) -> None:
    first = lintapp.release({"Order": order()})
    second = lintapp.release({"Order": order(paid=models.BooleanField(default=False))})

    assert quiet(lintapp.lint(first, second))
    assert codes(lintapp.lint(second)) == [("PG008", second)]


# PG009: dropping a database default.


def test_pg009_fires_when_a_not_null_column_loses_its_db_default(lintapp: LintApp) -> None:
    name = two_releases(
        lintapp,
        order(paid=models.BooleanField(default=False)),
        first=order(paid=models.BooleanField(db_default=False)),
    )

    result = lintapp.lint(name)

    assert codes(result) == [("PG009", name)]


def test_pg009_quiet_when_the_column_is_nullable_or_the_default_changes(lintapp: LintApp) -> None:
    lintapp.release(
        {
            "Order": order(
                paid=models.BooleanField(db_default=False, null=True),
                kind=models.IntegerField(db_default=1),
            )
        }
    )
    name = lintapp.release(
        {
            "Order": order(
                paid=models.BooleanField(null=True), kind=models.IntegerField(db_default=2)
            )
        }
    )

    assert quiet(lintapp.lint(name))


# PG010: table rewrites on ADD COLUMN.


def test_pg010_fires_on_a_volatile_db_default(lintapp: LintApp) -> None:
    name = two_releases(lintapp, order(token=models.UUIDField(db_default=RandomUUID())))

    result = lintapp.lint(name)

    assert codes(result) == [("PG010", name)]
    assert "GEN_RANDOM_UUID()" in result.findings[0].message
    assert "rewrites the table" in result.findings[0].effect


def test_pg010_fires_on_a_stored_generated_column(lintapp: LintApp) -> None:
    generated = models.GeneratedField(
        expression=models.F("total") * 2, output_field=models.IntegerField(), db_persist=True
    )
    name = two_releases(lintapp, order(double=generated))

    assert codes(lintapp.lint(name)) == [("PG010", name)]


def test_pg010_quiet_for_a_stable_default(lintapp: LintApp) -> None:
    name = two_releases(lintapp, order(at=models.DateTimeField(db_default=Now())))

    assert quiet(lintapp.lint(name))


# PG011: type changes.


def test_pg011_fires_on_integer_to_bigint(lintapp: LintApp) -> None:
    name = two_releases(lintapp, order(total=models.BigIntegerField(default=0)))

    result = lintapp.lint(name)

    assert codes(result) == [("PG011", name)]
    assert "from integer to bigint" in result.findings[0].message


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (models.CharField(max_length=10), models.CharField(max_length=20)),
        (models.CharField(max_length=10), models.TextField()),
        (
            models.DecimalField(max_digits=5, decimal_places=2),
            models.DecimalField(max_digits=8, decimal_places=2),
        ),
    ],
    ids=["varchar_wider", "varchar_to_text", "numeric_wider"],
)
def test_pg011_quiet_for_changes_without_rewrite(lintapp: LintApp, before: Any, after: Any) -> None:
    name = two_releases(lintapp, order(extra=after), first=order(extra=before))

    assert quiet(lintapp.lint(name))
