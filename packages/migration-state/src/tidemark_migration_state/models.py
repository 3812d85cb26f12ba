"""The saved migration states of each database alias, the rollbacks run between them, the
release lineage, and core's run journal as a read-only model for the admin."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from tidemark_core.journal import TABLE as JOURNAL_TABLE


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
        verbose_name = "saved release"
        verbose_name_plural = "saved releases"

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
    run: models.ForeignKey[MigrationRun | None, MigrationRun | None] = models.ForeignKey(
        "MigrationRun",
        models.DO_NOTHING,
        null=True,
        db_constraint=False,
        db_index=False,
        related_name="rollbacks",
        help_text="Its entry in the run journal.",
    )
    run_id: int | None
    to_state_id: int
    from_state_id: int | None

    class Meta:
        ordering = ["database", "started_at", "id"]

    def __str__(self) -> str:
        return f"rollback #{self.pk} on {self.database!r} ({self.result})"


class LineageEntry(models.Model):
    """A saved state came into force: by a save, a save of it again, or a rollback to it.

    The entries of an alias form its release lineage: each names the entry whose state
    was in force before it (`previous`), so "the previous release" follows saves and
    rollbacks (a rollback goes back along the lineage; a release rolled back from is
    left out of it).
    """

    class Cause(models.TextChoices):
        SAVED = "saved"
        RESUMED = "resumed"
        ROLLED_BACK = "rolled back"

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    database: models.CharField[str, str] = models.CharField(max_length=100)
    state: models.ForeignKey[MigrationState, MigrationState] = models.ForeignKey(
        MigrationState, models.PROTECT, related_name="lineage"
    )
    previous: models.ForeignKey[LineageEntry | None, LineageEntry | None] = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        related_name="+",
        help_text="The entry in force before this one, along the lineage.",
    )
    cause: models.CharField[str, str] = models.CharField(max_length=12, choices=Cause.choices)
    rollback: models.ForeignKey[Rollback | None, Rollback | None] = models.ForeignKey(
        Rollback, models.PROTECT, null=True, related_name="+"
    )
    at: models.DateTimeField[datetime, datetime] = models.DateTimeField(default=timezone.now)
    state_id: int
    previous_id: int | None

    class Meta:
        ordering = ["database", "id"]
        verbose_name_plural = "lineage entries"

    def __str__(self) -> str:
        return f"lineage #{self.pk} on {self.database!r}: state #{self.state_id} ({self.cause})"


class MigrationRun(models.Model):
    """Core's run journal (``tidemark_migration_runs``), read-only, for the admin.

    Core creates and writes the table, outside every app's migrations (see
    `tidemark_core.journal`); this unmanaged model only reads it.
    """

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    database: models.CharField[str, str] = models.CharField(max_length=100)
    command: models.CharField[str, str] = models.CharField(max_length=100)
    status: models.CharField[str, str] = models.CharField(max_length=20)
    atomic: models.BooleanField[bool, bool] = models.BooleanField()
    performed_by: models.CharField[str, str] = models.CharField(max_length=200)
    pid: models.IntegerField[int, int] = models.IntegerField("process id")
    backend_pid: models.IntegerField[int, int] = models.IntegerField("backend PID")
    started_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    finished_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True
    )
    start = models.JSONField(help_text="The applied set before its first step.")
    target = models.JSONField(help_text="The applied set it aimed at.")
    steps = models.JSONField(help_text="Its plan, one line per step.")
    done = models.JSONField(help_text="The steps that completed, in order.")
    running: models.CharField[str, str] = models.CharField(max_length=300)
    error: models.TextField[str, str] = models.TextField()
    release: models.CharField[str, str] = models.CharField(max_length=64)
    resolved_by: models.ForeignKey[MigrationRun | None, MigrationRun | None] = models.ForeignKey(
        "self", models.DO_NOTHING, null=True, db_constraint=False, related_name="resolved"
    )

    class Meta:
        managed = False
        db_table = JOURNAL_TABLE
        ordering = ["-id"]
        verbose_name = "migration run"

    def __str__(self) -> str:
        return f"run #{self.pk}: {self.command}"
