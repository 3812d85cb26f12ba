"""Models of the history suite: tracked with the defaults, with options, and untracked."""

from __future__ import annotations

from django.db import models

import tidemark_history as history


class Category(models.Model):
    name = models.CharField(max_length=50, unique=True)

    def __str__(self) -> str:
        return self.name


@history.track()
class Item(models.Model):
    """The defaults: inserts, updates of a tracked field, deletes; every field copied."""

    name = models.CharField(max_length=50, unique=True)
    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    quantity = models.IntegerField(default=0)
    category = models.ForeignKey(Category, models.CASCADE, null=True, related_name="items")
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return self.name


@history.track(fields=["price"], model_name="PriceChange", related_name="price_changes")
@history.track(
    history.UpdateEvent(condition=history.Changed("price"), row="old", label="before_price"),
    history.UpdateEvent(
        condition=history.Q(old__status="draft", new__status="live"), label="published"
    ),
    history.ManualEvent("audit"),
    exclude=["notes"],
)
class Page(models.Model):
    """Options: custom conditions, the old row, a manual event, two decorators."""

    title = models.CharField(max_length=50)
    status = models.CharField(max_length=10, default="draft")
    price = models.IntegerField(default=0)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.title


@history.track()
class Sku(models.Model):
    """A natural primary key that updates can change."""

    code = models.CharField(max_length=20, primary_key=True)
    label = models.CharField(max_length=50)
    replaced_by = models.ForeignKey("self", models.SET_NULL, null=True, related_name="+")

    def __str__(self) -> str:
        return self.code
