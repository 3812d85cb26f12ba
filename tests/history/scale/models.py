"""Models of the retention tests: a partitioned event table, and rows to baseline, prune
and redact."""

from __future__ import annotations

import datetime

from django.db import models

import tidemark_history as history


@history.track(partition="month")
class Reading(models.Model):
    """High volume: its event table is partitioned by month (migration 0002 turns it so)."""

    sensor = models.CharField(max_length=20)
    value = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.sensor


@history.track()
class Member(models.Model):
    """Personal data: an e-mail address and a name to erase."""

    email = models.EmailField()
    name = models.CharField(max_length=50)
    plan = models.CharField(max_length=20, default="free")
    newsletter = models.BooleanField(default=False, db_default=False)
    birthday = models.DateField(
        default=datetime.date(2000, 1, 1), db_default=datetime.date(2000, 1, 1)
    )

    def __str__(self) -> str:
        return self.name
