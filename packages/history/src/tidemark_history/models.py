"""The models of Tidemark history: the context shared by the events of one unit of work."""

from __future__ import annotations

from typing import Any

import pgtrigger
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Now

from .metadata import MetadataAttributes
from .triggers import guard_triggers


@pgtrigger.register(*guard_triggers())
class Context(MetadataAttributes, models.Model):
    """Who, which request and why: the metadata in force when events were recorded.

    Written once, by the first statement that records events under it, and never changed.
    Every event recorded under it points at it through its ``history_context`` column.
    Metadata keys read as attributes (``context.user``).
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
        indexes = [
            # history.events(user=42) and the admin's user filter: metadata containment.
            GinIndex(
                fields=["metadata"], opclasses=["jsonb_path_ops"], name="tidemark_ctx_metadata"
            ),
            # The Context admin: newest first, by date.
            models.Index(fields=["created_at"], name="tidemark_ctx_created_at"),
            # events(context=...) and revert_context(): the contexts nested in one.
            models.Index(
                fields=["parent"],
                name="tidemark_ctx_parent",
                condition=models.Q(parent__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


@pgtrigger.register(*guard_triggers())
class Redaction(models.Model):
    """That a redaction happened: when, what, who; never the erased values.

    Written by `tidemark_history.redaction.redact()` (``manage.py history_redact``), in the
    transaction that rewrites the events. Append-only like the events.
    """

    at: models.DateTimeField[Any, Any] = models.DateTimeField(db_default=Now())
    model: models.CharField[Any, Any] = models.CharField(max_length=200)
    object_id: models.CharField[Any, Any] = models.CharField(max_length=255)
    fields: models.JSONField[Any, Any] = models.JSONField(default=list)
    events: models.BigIntegerField[Any, Any] = models.BigIntegerField(default=0)
    contexts: models.BigIntegerField[Any, Any] = models.BigIntegerField(default=0)
    requested_by: models.CharField[Any, Any] = models.CharField(max_length=150)
    database_role: models.CharField[Any, Any] = models.CharField(max_length=63)

    class Meta:
        db_table = "tidemark_history_redaction"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"redaction of {self.model} {self.object_id} ({', '.join(self.fields)})"
