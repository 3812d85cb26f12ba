"""Release v2 of the shop: prices get a currency; suppliers' fax numbers are no longer used.

Both changes are the expand half of a blue/green deploy (v1 serves while v2's migrations
run): ``currency`` is a required field added as a nullable column with a default, so v1's
INSERTs keep working; ``fax`` is no longer read or written, and its column becomes nullable,
so v2's INSERTs work while v1 still reads it. A later release makes ``currency`` NOT NULL and
drops ``fax`` (``manage.py show_migration_changes`` lists both).
"""

from django.db import models

import tidemark_history as history
import tidemark_smooth_migrations as smooth


@history.track()
class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@smooth.backward_compatible_model
@history.track()
class Product(models.Model):
    category = models.ForeignKey(Category, models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    in_stock = models.BooleanField(default=True)
    currency = smooth.new_field(models.CharField(max_length=3, default="EUR"))

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Supplier(models.Model):
    """Whom the shop buys from: the purchasing department's contacts, not catalogue content."""

    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    fax = smooth.deprecated_field(models.CharField(max_length=30, blank=True))

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
