"""The wrappers on real models: one shape everywhere, NOT NULL in code, deprecated access."""

from __future__ import annotations

import sys
from io import StringIO

import pytest
from django.contrib.admin.utils import NestedObjects
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from tidemark_smooth_migrations import (
    FieldDeprecatedError,
    ModelDeprecatedError,
    NotNullableFieldError,
    deprecated_field,
    new_field,
)

from .testapp.models import Coupon, Product, Review

pytestmark = pytest.mark.django_db


def column(sql: str) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall()) if cursor.description else []


@pytest.mark.parametrize("argv", [["pytest"], ["manage.py", "makemigrations"], ["manage.py"]])
def test_makemigrations_check_is_clean_from_any_entry_point(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    out = StringIO()

    call_command("makemigrations", "testapp", "--check", "--dry-run", stdout=out)

    assert "No changes detected" in out.getvalue()


def test_new_field_column_is_nullable_or_has_its_database_default() -> None:
    rows = column(
        "SELECT column_name, is_nullable, coalesce(column_default, '') FROM "
        "information_schema.columns WHERE table_name = 'testapp_product' "
        "AND column_name IN ('currency', 'stock') ORDER BY 1"
    )

    assert rows == [("currency", "YES", ""), ("stock", "NO", "0")]


def test_save_requires_new_fields_but_update_fields_without_them_pass() -> None:
    product = Product(name="Lamp", currency=None)

    with pytest.raises(NotNullableFieldError, match=r"testapp\.Product\.currency cannot be null"):
        product.save()
    assert not Product.objects.exists()

    product.currency = "EUR"
    product.save()
    Product.objects.filter(pk=product.pk).update(currency=None)  # as release N leaves it
    product.refresh_from_db()
    product.name = "Desk lamp"
    product.save(update_fields=["name"])
    with pytest.raises(NotNullableFieldError):
        product.save(update_fields=["name", "currency"])
    assert Product.objects.get().name == "Desk lamp"


def test_full_clean_reports_the_new_field_as_a_validation_error() -> None:
    product = Product(name="", currency=None)

    with pytest.raises(NotNullableFieldError) as caught:
        product.full_clean()

    assert caught.value.fields == ("currency",)
    assert caught.value.message_dict["currency"] == ["testapp.Product.currency cannot be null."]
    assert "name" in caught.value.message_dict  # the other errors are kept
    Product(name="Lamp").full_clean()
    Product(name="Lamp", currency=None).full_clean(exclude=["currency"])


def test_bulk_create_and_bulk_update_require_new_fields() -> None:
    with pytest.raises(NotNullableFieldError, match="currency"):
        Product.objects.bulk_create([Product(name="A"), Product(name="B", currency=None)])
    assert not Product.objects.exists()

    first, second = Product.objects.bulk_create([Product(name="A"), Product(name="B")])
    second.currency = None
    second.name = "B2"
    with pytest.raises(NotNullableFieldError):
        Product.objects.bulk_update([first, second], ["name", "currency"])
    Product.objects.bulk_update([first, second], ["name"])
    assert sorted(Product.objects.values_list("name", "currency")) == [
        ("A", "EUR"),
        ("B2", "EUR"),
    ]


def test_deprecated_field_is_neither_selected_nor_written() -> None:
    with CaptureQueriesContext(connection) as queries:
        product = Product.objects.create(name="Lamp")
        list(Product.objects.all())
        product.name = "Desk lamp"
        product.save()

    assert not any("legacy_code" in query["sql"] for query in queries.captured_queries)
    assert column("SELECT name, legacy_code, old_notes FROM testapp_product") == [
        ("Desk lamp", None, None)
    ]


def test_deprecated_field_access() -> None:
    product = Product.objects.create(name="Lamp")

    with pytest.raises(FieldDeprecatedError, match=r"testapp\.Product\.legacy_code is deprecated"):
        _ = product.legacy_code
    with pytest.raises(FieldDeprecatedError):
        product.legacy_code = "X"
    with pytest.raises(FieldDeprecatedError):
        Product(name="Chair", legacy_code="X")
    assert not hasattr(product, "legacy_code")
    assert getattr(product, "legacy_code", "gone") == "gone"
    assert hasattr(Product, "legacy_code")
    assert Product._meta.get_field("legacy_code").max_length == 20
    assert Product._meta.get_field("legacy_code").formfield() is None
    assert product.old_notes == "(notes of Lamp moved)"
    product.old_notes = "ignored"
    assert product.old_notes == "(notes of Lamp moved)"
    with pytest.raises(FieldDeprecatedError, match="queries cannot filter"):
        Product.objects.filter(legacy_code="X").count()
    product.full_clean()


def test_dumpdata_and_loaddata_round_trip_with_deprecated_fields(tmp_path: object) -> None:
    Product.objects.create(name="Lamp")
    out = StringIO()

    call_command("dumpdata", "testapp.product", stdout=out)
    Product.objects.all().delete()
    path = f"{tmp_path}/products.json"
    with open(path, "w") as fixture:
        fixture.write(out.getvalue())
    call_command("loaddata", path, verbosity=0)

    assert list(Product.objects.values_list("name", flat=True)) == ["Lamp"]


def test_deprecated_model_queries_raise_but_django_internals_work() -> None:
    product = Product.objects.create(name="Lamp")
    column(
        "INSERT INTO testapp_coupon (product_id, code) VALUES "
        f"({product.pk}, 'SPRING'), ({product.pk}, 'FALL')"
    )
    Review.objects.create(product=product, text="Bright")

    for query in (
        lambda: list(Coupon.objects.all()),
        lambda: Coupon.objects.count(),
        lambda: Coupon.objects.filter(code="X").exists(),
        lambda: Coupon.objects.create(product=product, code="NEW"),
        lambda: Coupon.objects.update(code="X"),
        lambda: list(product.coupons.all()),
    ):
        with pytest.raises(ModelDeprecatedError, match=r"testapp\.Coupon is deprecated"):
            query()
    Coupon.objects.filter(code="X")  # building a queryset is fine

    historical = MigrationLoader(connection).project_state().apps.get_model("testapp", "Coupon")
    assert historical.objects.count() == 2  # migrations (RunPython) still reach the table

    collector = NestedObjects(using="default")
    collector.collect([product])
    assert {type(obj).__name__ for obj in collector.nested()[1]} == {"Coupon", "Review"}
    product.delete()
    assert column("SELECT count(*) FROM testapp_coupon") == [(0,)]


def test_wrappers_refuse_what_they_cannot_do() -> None:
    from django.db import models

    with pytest.raises(TypeError, match="many-to-many"):
        new_field(models.ManyToManyField("auth.User"))
    with pytest.raises(TypeError, match="does not wrap relations"):
        deprecated_field(models.ForeignKey("auth.User", models.CASCADE))
    with pytest.raises(TypeError, match="raise_on_access=False"):
        deprecated_field(models.IntegerField(), return_instead=0)
