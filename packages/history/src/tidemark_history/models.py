"""The models of Tidemark history: the context shared by the events of one unit of work."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Now

from .metadata import MetadataAttributes


class Context(MetadataAttributes, models.Model):
    """Who, which request and why: stored once per `tidemark_history.context()` block.

    Every event recorded inside the block points at this row through its
    ``history_context`` column. Metadata keys read as attributes (``context.user``).
    """

    id: models.UUIDField[Any, Any] = models.UUIDField(primary_key=True)
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(db_default=Now())
    metadata: models.JSONField[Any, Any] = models.JSONField(default=dict)

    class Meta:
        db_table = "tidemark_history_context"

    def __str__(self) -> str:
        return str(self.id)
