"""Release v3 of the shop: products get a weight, and prices must be positive.

Its migrations: the weight column; the CHECK constraint added NOT VALID (a short lock, no
scan); then the constraint validated without blocking writes. The last one fails on any row
with a price of 0.00, and ``apply_migrations`` then unapplies the first two.
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
    weight_grams = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="price_positive")
        ]

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
