"""Categories and products, tracked by history, synced as the dataset ``catalog``."""

from __future__ import annotations

from django.db import models

import tidemark_history as history


@history.track()
class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)

    def __str__(self) -> str:
        return self.name


@history.track()
class Product(models.Model):
    category = models.ForeignKey(Category, models.CASCADE, related_name="products")
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self) -> str:
        return self.name
