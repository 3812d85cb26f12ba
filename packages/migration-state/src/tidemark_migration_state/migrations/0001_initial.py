"""The tables of Tidemark migration state: saved states and rollbacks."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="MigrationState",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("database", models.CharField(help_text="The database alias.", max_length=100)),
                (
                    "commit",
                    models.CharField(
                        help_text="The release's git commit (hex SHA).", max_length=64
                    ),
                ),
                (
                    "tags",
                    models.JSONField(default=list, help_text="Release tags, e.g. ['v1.2.0']."),
                ),
                (
                    "applied",
                    models.JSONField(
                        help_text="Every applied migration, as sorted [app, name] pairs."
                    ),
                ),
                (
                    "leaves",
                    models.JSONField(help_text="The leaf migrations of the release's code."),
                ),
                ("django_version", models.CharField(max_length=30)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "saved_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now,
                        help_text="When it was last saved, or confirmed by a save.",
                    ),
                ),
            ],
            options={
                "ordering": ["database", "created_at", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("database", "commit"),
                        name="tidemark_migration_state_one_per_commit",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Rollback",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("database", models.CharField(max_length=100)),
                ("applied_before", models.JSONField()),
                ("applied_after", models.JSONField(null=True)),
                ("steps", models.JSONField(help_text="The plan's steps, one line each.")),
                ("performed_by", models.CharField(max_length=200)),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(null=True)),
                (
                    "result",
                    models.CharField(
                        choices=[
                            ("running", "Running"),
                            ("succeeded", "Succeeded"),
                            ("failed", "Failed"),
                        ],
                        default="running",
                        max_length=10,
                    ),
                ),
                ("error", models.TextField(blank=True)),
                (
                    "from_state",
                    models.ForeignKey(
                        help_text="The current state when the rollback started, if known.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rollbacks_from",
                        to="tidemark_migration_state.migrationstate",
                    ),
                ),
                (
                    "to_state",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rollbacks_to",
                        to="tidemark_migration_state.migrationstate",
                    ),
                ),
            ],
            options={
                "ordering": ["database", "started_at", "id"],
            },
        ),
    ]
