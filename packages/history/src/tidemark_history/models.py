"""The models of Tidemark history: the context shared by the events of one unit of work."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Now


class Context(models.Model):
    """Who, which request and why: the metadata in force when events were recorded.

    Written once, by the first statement that records events under it, and never changed.
    Every event recorded under it points at it through its ``history_context`` column.
    """

    id: models.UUIDField[Any, Any] = models.UUIDField(primary_key=True)
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(db_default=Now())
    parent: models.UUIDField[Any, Any] = models.UUIDField(
        null=True,
        blank=True,
        help_text=(
            "The context this one derives from: the enclosing block of a nested block, or "
            "the block's earlier metadata when a lazy value (the user) changed. Its row "
            "exists only when events were recorded under it."
        ),
    )
    metadata: models.JSONField[Any, Any] = models.JSONField(default=dict)

    class Meta:
        db_table = "tidemark_history_context"

    def __str__(self) -> str:
        return str(self.id)
