"""Release v1 of the shop: its catalogue, tracked by history, and its suppliers."""

from django.db import models

import tidemark_history as history


@history.track()
class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@history.track()
class Product(models.Model):
    category = models.ForeignKey(Category, models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    in_stock = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Supplier(models.Model):
    """Whom the shop buys from: the purchasing department's contacts, not catalogue content."""

    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    fax = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
