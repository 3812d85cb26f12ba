"""The saved migration states of each database alias, and the rollbacks run between them."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone


class MigrationState(models.Model):
    """The full applied migration set of one database alias at one release.

    States are never deleted: a rollback is recorded as a `Rollback` instead.
    """

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    database: models.CharField[str, str] = models.CharField(
        max_length=100, help_text="The database alias."
    )
    commit: models.CharField[str, str] = models.CharField(
        max_length=64, help_text="The release's git commit (hex SHA)."
    )
    tags = models.JSONField(default=list, help_text="Release tags, e.g. ['v1.2.0'].")
    applied = models.JSONField(help_text="Every applied migration, as sorted [app, name] pairs.")
    leaves = models.JSONField(help_text="The leaf migrations of the release's code.")
    django_version: models.CharField[str, str] = models.CharField(max_length=30)
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )
    saved_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now, help_text="When it was last saved, or confirmed by a save."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["database", "commit"], name="tidemark_migration_state_one_per_commit"
            )
        ]
        ordering = ["database", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.commit[:12]} on {self.database!r}"


class Rollback(models.Model):
    """One run of ``rollback_migrations``: from which state, to which, by whom, and how it ended."""

    class Result(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    database: models.CharField[str, str] = models.CharField(max_length=100)
    from_state: models.ForeignKey[MigrationState | None, MigrationState | None] = models.ForeignKey(
        MigrationState,
        models.PROTECT,
        null=True,
        related_name="rollbacks_from",
        help_text="The current state when the rollback started, if known.",
    )
    to_state: models.ForeignKey[MigrationState, MigrationState] = models.ForeignKey(
        MigrationState, models.PROTECT, related_name="rollbacks_to"
    )
    applied_before = models.JSONField()
    applied_after = models.JSONField(null=True)
    steps = models.JSONField(help_text="The plan's steps, one line each.")
    performed_by: models.CharField[str, str] = models.CharField(max_length=200)
    started_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )
    finished_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True
    )
    result: models.CharField[str, str] = models.CharField(
        max_length=10, choices=Result.choices, default=Result.RUNNING
    )
    error: models.TextField[str, str] = models.TextField(blank=True)

    class Meta:
        ordering = ["database", "started_at", "id"]

    def __str__(self) -> str:
        return f"rollback #{self.pk} on {self.database!r} ({self.result})"
