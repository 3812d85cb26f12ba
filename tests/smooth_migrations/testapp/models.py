"""A shop in the middle of a blue/green deploy: every smooth-migrations wrapper in use."""

from __future__ import annotations

from django.db import models

import tidemark_smooth_migrations as smooth


@smooth.backward_compatible_model
class Product(models.Model):
    name = models.CharField(max_length=100)
    # Added in this release; the previous release inserts rows without it.
    currency = smooth.new_field(models.CharField(max_length=3, default="EUR"))
    # Added with a database default: NOT NULL in the database from the start.
    stock = smooth.new_field(models.IntegerField(db_default=0))
    # No longer used by this release; the previous one still writes it.
    legacy_code = smooth.deprecated_field(models.CharField(max_length=20))
    old_notes = smooth.deprecated_field(
        models.TextField(default=""),
        raise_on_access=False,
        return_instead=lambda product: f"(notes of {product.name} moved)",
    )

    def __str__(self) -> str:
        return self.name


@smooth.deprecate_model
class Coupon(models.Model):
    product = models.ForeignKey(Product, models.CASCADE, related_name="coupons")
    code = models.CharField(max_length=20)

    def __str__(self) -> str:
        return self.code


class Review(models.Model):
    product = models.ForeignKey(Product, models.CASCADE, related_name="reviews")
    text = models.TextField()

    def __str__(self) -> str:
        return self.text
