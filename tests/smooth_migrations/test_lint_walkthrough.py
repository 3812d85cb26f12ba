"""The expand/contract guide (docs/smooth-migrations/expand-contract.md) passes the linter at
every step: each release's migrations, as makemigrations writes them and as the guide edits
them, lint clean, then apply."""

# Migration sources and expected messages are quoted whole, so some lines are long.
# ruff: noqa: E501

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, models

import tidemark_smooth_migrations as smooth
from tests.smooth_migrations.lint_support import LintApp, empty

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

HEAD = "class Migration(migrations.Migration):\n"
SMOOTH = "import tidemark_smooth_migrations as smooth\nfrom django.db import"


def product(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": models.CharField(max_length=200),
        "legacy_code": models.CharField(max_length=20),
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def coupon() -> dict[str, Any]:
    return {
        "product": models.ForeignKey("Product", models.CASCADE, related_name="coupons"),
        "code": models.CharField(max_length=20),
    }


def passes(lintapp: LintApp, *names: str) -> None:
    """The release's migrations lint clean and apply."""
    result = lintapp.lint(*names)
    assert result.findings == [], [f.describe() for f in result.findings]
    without_timeout = lintapp.lint(*names, lock_timeout=False)
    assert not without_timeout.failed()
    assert {f.code for f in without_timeout.findings} <= {"PG100"}
    call_command("migrate", "lintapp", verbosity=0)


def test_the_four_examples_pass_the_linter_at_every_step(lintapp: LintApp) -> None:
    n = lintapp.release({"Product": product(), "Coupon": coupon()})
    passes(lintapp, n)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO lintapp_product (name, legacy_code) VALUES ('Lamp', 'L1')")

    # 1. Add a required column: new_field in N+1, SetNotNull in N+2.
    bc = [smooth.backward_compatible_model]
    expand = lintapp.release(
        {
            "Product": product(
                currency=smooth.new_field(models.CharField(max_length=3, default="EUR")),
                decorators=bc,
            ),
            "Coupon": coupon(),
        }
    )
    passes(lintapp, expand)
    contract = lintapp.release(
        {
            "Product": product(currency=models.CharField(max_length=3, default="EUR")),
            "Coupon": coupon(),
        }
    )
    assert codes(lintapp.lint(contract)) == ["PG007"]
    lintapp.edit(contract, "migrations.AlterField(", "smooth.SetNotNull(")
    lintapp.edit(contract, HEAD, HEAD + "    atomic = False\n")
    lintapp.edit(contract, "from django.db import", SMOOTH)
    passes(lintapp, contract)
    #    ... or in one step, with db_default.
    stock = lintapp.release(
        {
            "Product": product(
                currency=models.CharField(max_length=3, default="EUR"),
                stock=smooth.new_field(models.IntegerField(db_default=0)),
                decorators=bc,
            ),
            "Coupon": coupon(),
        }
    )
    passes(lintapp, stock)
    current: dict[str, Any] = {
        "currency": models.CharField(max_length=3, default="EUR"),
        "stock": models.IntegerField(db_default=0),
    }

    # 2. Remove a column: deprecated_field in N+1, RemoveField in N+2.
    expand = lintapp.release(
        {
            "Product": product(
                legacy_code=smooth.deprecated_field(models.CharField(max_length=20)), **current
            ),
            "Coupon": coupon(),
        }
    )
    passes(lintapp, expand)
    contract = lintapp.release(
        {"Product": product(legacy_code=None, **current), "Coupon": coupon()}
    )
    passes(lintapp, contract)

    # 3. Remove a model: deprecate_model in N+1 (no migration), DeleteModel in N+2, accepted
    #    with safety_assured because no migration shows the deprecation.
    contract = lintapp.release({"Product": product(legacy_code=None, **current)})
    assert codes(lintapp.lint(contract)) == ["PG013"]
    lintapp.edit(contract, "from django.db import", SMOOTH)
    lintapp.edit(
        contract,
        "operations = [\n",
        "operations = [\n        smooth.safety_assured(\n"
        '            reason="Coupon deprecated with deprecate_model in release N+1", rules=["PG013"]\n'
        "        ),\n",
    )
    passes(lintapp, contract)

    # 4. Rename a column across three releases, with a trigger.
    renamed = product(
        legacy_code=None,
        name=smooth.deprecated_field(models.CharField(max_length=200)),
        title=smooth.new_field(models.CharField(max_length=200)),
        decorators=bc,
        **current,
    )
    expand = lintapp.release({"Product": renamed})
    trigger = empty(
        lintapp, {"Product": renamed}, f"migrations.RunSQL(sql={SYNC!r}, reverse_sql={UNSYNC!r})"
    )
    backfill = empty(
        lintapp,
        {"Product": renamed},
        "migrations.RunPython(backfill_title, reverse_code=migrations.RunPython.noop)",
        atomic=False,
    )
    lintapp.edit(backfill, HEAD, BACKFILL + "\n\n" + HEAD)
    passes(lintapp, expand, trigger, backfill)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, title FROM lintapp_product")
        assert cursor.fetchall() == [("Lamp", "Lamp")]

    final = product(legacy_code=None, name=None, title=models.CharField(max_length=200), **current)
    drop = empty(
        lintapp, {"Product": renamed}, f"migrations.RunSQL(sql={UNSYNC!r}, reverse_sql={SYNC!r})"
    )
    contract = lintapp.release({"Product": final})
    source = lintapp.source(contract)
    assert "RemoveField" in source
    assert "AlterField" in source
    # SET NOT NULL scans under the lock, and after the RemoveField's lock in one transaction.
    assert codes(lintapp.lint(drop, contract)) == ["PG007", "PG101"]
    # The guide moves the AlterField to a migration of its own, as SetNotNull.
    not_null = empty(
        lintapp,
        {"Product": final},
        'smooth.SetNotNull("product", "title", models.CharField(max_length=200))',
        atomic=False,
    )
    start = source.index("        migrations.AlterField(")
    end = source.index("        ),\n", start) + len("        ),\n")
    lintapp.write(contract, source[:start] + source[end:])
    passes(lintapp, drop, contract, not_null)


def codes(result: smooth.LintResult) -> list[str]:
    return [finding.code for finding in result.findings]


SYNC = """
CREATE FUNCTION lintapp_product_sync_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.title := coalesce(NEW.title, NEW.name);
        NEW.name := coalesce(NEW.name, NEW.title);
    ELSIF NEW.name IS DISTINCT FROM OLD.name THEN
        NEW.title := NEW.name;
    ELSIF NEW.title IS DISTINCT FROM OLD.title THEN
        NEW.name := NEW.title;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER lintapp_product_sync_title BEFORE INSERT OR UPDATE ON lintapp_product
    FOR EACH ROW EXECUTE FUNCTION lintapp_product_sync_title();
"""

UNSYNC = """
DROP TRIGGER lintapp_product_sync_title ON lintapp_product;
DROP FUNCTION lintapp_product_sync_title();
"""

BACKFILL = """
def backfill_title(apps, schema_editor):
    Product = apps.get_model("lintapp", "Product")
    while True:
        batch = list(Product.objects.filter(title__isnull=True).values_list("pk", flat=True)[:1000])
        if not batch:
            return
        Product.objects.filter(pk__in=batch).update(title=models.F("name"))
"""
