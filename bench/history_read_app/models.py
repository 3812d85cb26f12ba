"""Five tracked tables for Tidemark, five for django-pghistory, one for django-simple-history."""

from __future__ import annotations

import pghistory
from django.db import models
from simple_history.models import HistoricalRecords

import tidemark_history as history


class Row(models.Model):
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.IntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


@history.track()
class T1(Row):
    pass


@history.track()
class T2(Row):
    pass


@history.track()
class T3(Row):
    pass


@history.track()
class T4(Row):
    pass


@history.track()
class T5(Row):
    pass


PG_TRACKERS = (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


@pghistory.track(*PG_TRACKERS)
class P1(Row):
    pass


@pghistory.track(*PG_TRACKERS)
class P2(Row):
    pass


@pghistory.track(*PG_TRACKERS)
class P3(Row):
    pass


@pghistory.track(*PG_TRACKERS)
class P4(Row):
    pass


@pghistory.track(*PG_TRACKERS)
class P5(Row):
    pass


class S1(Row):
    """django-simple-history's as_of is the anchor of history.as_of()."""

    # No foreign key constraint to auth_user: migrate creates this unmigrated app first.
    history = HistoricalRecords(user_db_constraint=False)
