"""The bench's ~8-column table, tracked with a plain and a partitioned event table, for
baselines, and by django-simple-history."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

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


@history.track()
class PlainItem(Row):
    """10,000,000 events in a plain event table: pruned by batched DELETE."""


@history.track(partition="month")
class PartItem(Row):
    """The same events in a table partitioned by month: pruned by dropping a partition."""


@history.track()
class WritePlain(Row):
    """The write overhead: a plain event table..."""


@history.track(partition="month")
class WritePart(Row):
    """...and a partitioned one, written by the same bulk work."""


@history.track()
class BaselineItem(Row):
    """Rows without events, given baselines by history_backfill."""


class SimpleItem(Row):
    """The same rows, given their first history by simple-history's populate_history."""

    history = HistoricalRecords()
