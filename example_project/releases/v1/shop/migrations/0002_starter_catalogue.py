"""The shop's starter catalogue (two categories, four products) and its two suppliers.

Unapplying it deletes them again.
"""

from django.db import migrations

CATEGORIES = [("Books", "books"), ("Tools", "tools")]
PRODUCTS = [
    ("books", "Tide tables 2027", "12.00"),
    ("books", "Coastal walks", "18.50"),
    ("tools", "Tide clock", "45.00"),
    ("books", "Paper catalogue", "0.00"),
]
SUPPLIERS = [
    ("Harbour Press", "orders@harbour-press.example", "+44 20 7946 0000"),
    ("Brass & Co", "sales@brass.example", "+44 117 496 0000"),
]


def create(apps, schema_editor):
    database = schema_editor.connection.alias
    Category = apps.get_model("shop", "Category")
    Product = apps.get_model("shop", "Product")
    Supplier = apps.get_model("shop", "Supplier")
    categories = {
        slug: Category.objects.using(database).create(name=name, slug=slug)
        for name, slug in CATEGORIES
    }
    for slug, name, price in PRODUCTS:
        Product.objects.using(database).create(category=categories[slug], name=name, price=price)
    for name, email, fax in SUPPLIERS:
        Supplier.objects.using(database).create(name=name, email=email, fax=fax)


def delete(apps, schema_editor):
    database = schema_editor.connection.alias
    objects = {name: apps.get_model("shop", name).objects.using(database) for name in
               ("Category", "Product", "Supplier")}  # fmt: skip
    objects["Supplier"].filter(name__in=[name for name, _, _ in SUPPLIERS]).delete()
    objects["Product"].filter(name__in=[name for _, name, _ in PRODUCTS]).delete()
    objects["Category"].filter(slug__in=[slug for _, slug in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [migrations.RunPython(create, delete)]
