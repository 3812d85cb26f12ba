"""One ~8-column table three times: untracked, tracked by django-pghistory, by Tidemark."""

from __future__ import annotations

import pghistory
from django.db import models

import tidemark_history as history


class Row(models.Model):
    name = models.CharField(max_length=100)
    sku = models.CharField(max_length=32)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.IntegerField()
    active = models.BooleanField()
    weight = models.FloatField()
    updated_at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Untracked(Row):
    pass


@pghistory.track()
class PgItem(Row):
    """django-pghistory's defaults (row-level insert and update triggers)."""


@history.track()
class TmItem(Row):
    """Tidemark's defaults (statement-level insert, update and delete triggers)."""
