"""Blue/green: release N runs against the database of release N+1, then N+2 contracts.

Each test applies release N+1's migrations, runs release N's model definitions (models with
the same tables, in an isolated app registry) against that database, checks that N's
inserts, selects and updates work, then applies N+2's contract migration.
"""

# The models here stand for release code and need no __str__; migration sources are long.
# ruff: noqa: DJ008, E501

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ModelState
from django.test.utils import isolate_apps

import tidemark_smooth_migrations as smooth
from tests.migration_support import Release

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

APP = "tests.smooth_migrations.deployapps.north"

CREATE_PRODUCT = """
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Product", [
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ("name", models.CharField(max_length=50)),
            {extra}
        ]),
        {more}
    ]
"""


def migration(parent: str, *operations: str) -> str:
    body = ",\n        ".join(operations)
    return f"""
from django.db import migrations, models

class Migration(migrations.Migration):
    dependencies = [("north", "{parent}")]
    operations = [
        {body}
    ]
"""


def migrate() -> None:
    call_command("apply_migrations", "north", verbosity=0)


def assert_matches_migrations(*runtime_models: type[models.Model]) -> None:
    """makemigrations would write nothing for these models: they have the migrations' shape."""
    loader = MigrationLoader(connection)
    before = loader.project_state()
    after = before.clone()
    for key in [key for key in after.models if key[0] == "north"]:
        after.remove_model(*key)
    for model in runtime_models:
        after.add_model(ModelState.from_model(model))
    assert MigrationAutodetector(before, after).changes(graph=loader.graph) == {}


def rows(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def test_new_field_with_backward_compatible_model(release: Release) -> None:
    n = {"0001_initial": CREATE_PRODUCT.format(extra="", more="")}
    release(north=n)
    migrate()
    with isolate_apps(APP):

        class Product(models.Model):
            name = models.CharField(max_length=50)

            class Meta:
                app_label = "north"

    ProductN = Product
    with isolate_apps(APP):

        @smooth.backward_compatible_model
        class Product(models.Model):
            name = models.CharField(max_length=50)
            currency = smooth.new_field(models.CharField(max_length=3, default="EUR"))
            stock = smooth.new_field(models.IntegerField(db_default=0))

            class Meta:
                app_label = "north"

    ProductN1 = Product
    n1 = {
        **n,
        "0002_expand": migration(
            "0001_initial",
            'migrations.AddField("product", "currency", '
            'models.CharField(max_length=3, default="EUR", null=True))',
            'migrations.AddField("product", "stock", models.IntegerField(db_default=0))',
        ),
    }
    release(north=n1)
    migrate()
    assert_matches_migrations(ProductN1)

    # Release N, still serving, against N+1's schema.
    old = ProductN.objects.create(name="old")
    ProductN.objects.bulk_create([ProductN(name="old-bulk")])
    assert ProductN.objects.get(pk=old.pk).name == "old"
    old.name = "old-renamed"
    old.save()
    ProductN.objects.filter(name="old-bulk").update(name="old-bulk-renamed")
    # Release N+1 requires the new field.
    ProductN1.objects.create(name="new", currency="USD")
    with pytest.raises(smooth.NotNullableFieldError):
        ProductN1.objects.create(name="bad", currency=None)
    assert rows("SELECT name, currency, stock FROM north_product ORDER BY id") == [
        ("old-renamed", None, 0),
        ("old-bulk-renamed", None, 0),
        ("new", "USD", 0),
    ]

    # Release N+2: the wrapper is gone, the column becomes NOT NULL (Django fills the default).
    release(
        north={
            **n1,
            "0003_contract": migration(
                "0002_expand",
                'migrations.AlterField("product", "currency", '
                'models.CharField(max_length=3, default="EUR"))',
            ),
        }
    )
    migrate()
    with isolate_apps(APP):

        class Product(models.Model):
            name = models.CharField(max_length=50)
            currency = models.CharField(max_length=3, default="EUR")
            stock = models.IntegerField(db_default=0)

            class Meta:
                app_label = "north"

    ProductN2 = Product
    assert_matches_migrations(ProductN2)
    assert list(ProductN2.objects.order_by("id").values_list("name", "currency")) == [
        ("old-renamed", "EUR"),
        ("old-bulk-renamed", "EUR"),
        ("new", "USD"),
    ]
    assert rows(
        "SELECT is_nullable FROM information_schema.columns "
        "WHERE table_name = 'north_product' AND column_name = 'currency'"
    ) == [("NO",)]


def test_deprecated_field(release: Release) -> None:
    extra = '("legacy_code", models.CharField(max_length=20)),'
    n = {"0001_initial": CREATE_PRODUCT.format(extra=extra, more="")}
    release(north=n)
    migrate()
    with isolate_apps(APP):

        class Product(models.Model):
            name = models.CharField(max_length=50)
            legacy_code = models.CharField(max_length=20)

            class Meta:
                app_label = "north"

    ProductN = Product
    with isolate_apps(APP):

        class Product(models.Model):
            name = models.CharField(max_length=50)
            legacy_code = smooth.deprecated_field(models.CharField(max_length=20))

            class Meta:
                app_label = "north"

    ProductN1 = Product
    n1 = {
        **n,
        "0002_nullable": migration(
            "0001_initial",
            'migrations.AlterField("product", "legacy_code", '
            "models.CharField(max_length=20, null=True))",
        ),
    }
    release(north=n1)
    migrate()
    assert_matches_migrations(ProductN1)

    old = ProductN.objects.create(name="old", legacy_code="L1")
    assert ProductN.objects.get(pk=old.pk).legacy_code == "L1"
    old.legacy_code = "L2"
    old.save()
    ProductN1.objects.create(name="new")  # N+1 inserts without the column
    seen_by_n1 = ProductN1.objects.get(pk=old.pk)
    seen_by_n1.name = "old-renamed"
    seen_by_n1.save()  # N+1 updates leave N's value alone
    assert list(ProductN.objects.order_by("id").values_list("name", "legacy_code")) == [
        ("old-renamed", "L2"),
        ("new", None),
    ]

    release(
        north={
            **n1,
            "0003_contract": migration(
                "0002_nullable", 'migrations.RemoveField("product", "legacy_code")'
            ),
        }
    )
    migrate()
    assert rows("SELECT id, name FROM north_product ORDER BY id") == [
        (old.pk, "old-renamed"),
        (old.pk + 1, "new"),
    ]


def test_deprecate_model(release: Release) -> None:
    coupon = """migrations.CreateModel("Coupon", [
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ("code", models.CharField(max_length=20)),
            ("product", models.ForeignKey("north.Product", models.CASCADE)),
        ]),"""
    n = {"0001_initial": CREATE_PRODUCT.format(extra="", more=coupon)}
    release(north=n)
    migrate()

    def define(deprecated: bool) -> tuple[type[models.Model], type[models.Model]]:
        with isolate_apps(APP):

            class Product(models.Model):
                name = models.CharField(max_length=50)

                class Meta:
                    app_label = "north"

            class Coupon(models.Model):
                code = models.CharField(max_length=20)
                product = models.ForeignKey(Product, models.CASCADE)

                class Meta:
                    app_label = "north"

        return Product, smooth.deprecate_model(Coupon) if deprecated else Coupon

    ProductN, CouponN = define(deprecated=False)
    ProductN1, CouponN1 = define(deprecated=True)
    # Release N+1 has no migration: the table stays.
    assert_matches_migrations(ProductN1, CouponN1)

    kept, dropped = ProductN.objects.create(name="kept"), ProductN.objects.create(name="gone")
    CouponN.objects.create(product=kept, code="A")
    CouponN.objects.create(product=dropped, code="B")
    CouponN.objects.filter(code="A").update(code="A2")
    assert list(CouponN.objects.values_list("code", flat=True).order_by("code")) == ["A2", "B"]
    with pytest.raises(smooth.ModelDeprecatedError):
        CouponN1.objects.count()
    ProductN1.objects.get(name="gone").delete()  # the cascade still reaches the coupons
    assert list(CouponN.objects.values_list("code", flat=True)) == ["A2"]

    release(
        north={**n, "0002_contract": migration("0001_initial", 'migrations.DeleteModel("Coupon")')}
    )
    migrate()
    assert rows("SELECT to_regclass('north_coupon') IS NULL") == [(True,)]
    assert list(ProductN.objects.values_list("name", flat=True)) == ["kept"]


SYNC_TRIGGER = '''migrations.RunSQL(
            sql="""
            CREATE FUNCTION north_product_sync_title() RETURNS trigger LANGUAGE plpgsql AS $$
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
            CREATE TRIGGER north_product_sync_title BEFORE INSERT OR UPDATE ON north_product
                FOR EACH ROW EXECUTE FUNCTION north_product_sync_title();
            UPDATE north_product SET title = name;
            """,
            reverse_sql="""
            DROP TRIGGER north_product_sync_title ON north_product;
            DROP FUNCTION north_product_sync_title();
            """,
        )'''


def test_rename_a_column_as_the_guide_does(release: Release) -> None:
    n = {"0001_initial": CREATE_PRODUCT.format(extra="", more="")}
    release(north=n)
    migrate()
    with isolate_apps(APP):

        class Product(models.Model):
            name = models.CharField(max_length=50)

            class Meta:
                app_label = "north"

    ProductN = Product
    before = ProductN.objects.create(name="before")
    with isolate_apps(APP):

        @smooth.backward_compatible_model
        class Product(models.Model):
            name = smooth.deprecated_field(models.CharField(max_length=50))
            title = smooth.new_field(models.CharField(max_length=50))

            class Meta:
                app_label = "north"

    ProductN1 = Product
    n1 = {
        **n,
        "0002_expand": migration(
            "0001_initial",
            'migrations.AlterField("product", "name", models.CharField(max_length=50, null=True))',
            'migrations.AddField("product", "title", models.CharField(max_length=50, null=True))',
            SYNC_TRIGGER,
        ),
    }
    release(north=n1)
    migrate()
    assert_matches_migrations(ProductN1)

    assert ProductN1.objects.get(pk=before.pk).title == "before"
    by_n = ProductN.objects.create(name="by N")
    by_n1 = ProductN1.objects.create(title="by N+1")
    assert ProductN.objects.get(pk=by_n1.pk).name == "by N+1"
    assert ProductN1.objects.get(pk=by_n.pk).title == "by N"
    renamed_by_n = ProductN.objects.get(pk=by_n1.pk)
    renamed_by_n.name = "changed by N"
    renamed_by_n.save()
    renamed_by_n1 = ProductN1.objects.get(pk=by_n.pk)
    renamed_by_n1.title = "changed by N+1"
    renamed_by_n1.save()
    assert rows("SELECT name, title FROM north_product ORDER BY id") == [
        ("before", "before"),
        ("changed by N+1", "changed by N+1"),
        ("changed by N", "changed by N"),
    ]

    release(
        north={
            **n1,
            "0003_contract": migration(
                "0002_expand",
                'migrations.RunSQL("DROP TRIGGER north_product_sync_title ON north_product; '
                'DROP FUNCTION north_product_sync_title()", reverse_sql=migrations.RunSQL.noop)',
                'migrations.RemoveField("product", "name")',
                'migrations.AlterField("product", "title", models.CharField(max_length=50))',
            ),
        }
    )
    migrate()
    assert rows("SELECT title FROM north_product ORDER BY id") == [
        ("before",),
        ("changed by N+1",),
        ("changed by N",),
    ]
