"""The shop's starter catalogue: two categories and four products (and back, when unapplied)."""

from django.db import migrations

CATEGORIES = [("Books", "books"), ("Tools", "tools")]
PRODUCTS = [
    ("books", "Tide tables 2027", "12.00", "TT-27"),
    ("books", "Coastal walks", "18.50", "CW-1"),
    ("tools", "Tide clock", "45.00", "TC-100"),
    ("books", "Paper catalogue", "0.00", ""),
]


def create(apps, schema_editor):
    Category = apps.get_model("shop", "Category")
    Product = apps.get_model("shop", "Product")
    database = schema_editor.connection.alias
    categories = {
        slug: Category.objects.using(database).create(name=name, slug=slug)
        for name, slug in CATEGORIES
    }
    for slug, name, price, code in PRODUCTS:
        Product.objects.using(database).create(
            category=categories[slug], name=name, price=price, supplier_code=code
        )


def delete(apps, schema_editor):
    database = schema_editor.connection.alias
    names = [name for _slug, name, _price, _code in PRODUCTS]
    apps.get_model("shop", "Product").objects.using(database).filter(name__in=names).delete()
    slugs = [slug for _name, slug in CATEGORIES]
    apps.get_model("shop", "Category").objects.using(database).filter(slug__in=slugs).delete()


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [migrations.RunPython(create, delete)]
