"""The release lineage, the rollback's run, and core's run journal for the admin.

The lineage of states saved before it existed is filled in by 0003.

The journal's table belongs to core, which creates it outside every app's migrations: this
migration creates it when it is not there yet (so the admin can read it at once) and never
drops it, and describes it with an unmanaged model.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from tidemark_core.journal import ensure_table


def create_journal(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":  # the app runs on PostgreSQL only
        ensure_table(schema_editor.connection.alias, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("tidemark_migration_state", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_journal, migrations.RunPython.noop),
        migrations.CreateModel(
            name="MigrationRun",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("database", models.CharField(max_length=100)),
                ("command", models.CharField(max_length=100)),
                ("status", models.CharField(max_length=20)),
                ("atomic", models.BooleanField()),
                ("performed_by", models.CharField(max_length=200)),
                ("pid", models.IntegerField(verbose_name="process id")),
                ("backend_pid", models.IntegerField(verbose_name="backend PID")),
                ("started_at", models.DateTimeField()),
                ("finished_at", models.DateTimeField(null=True)),
                ("start", models.JSONField(help_text="The applied set before its first step.")),
                ("target", models.JSONField(help_text="The applied set it aimed at.")),
                ("steps", models.JSONField(help_text="Its plan, one line per step.")),
                ("done", models.JSONField(help_text="The steps that completed, in order.")),
                ("running", models.CharField(max_length=300)),
                ("error", models.TextField()),
                ("release", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "migration run",
                "db_table": "tidemark_migration_runs",
                "ordering": ["-id"],
                "managed": False,
            },
        ),
        migrations.AlterModelOptions(
            name="migrationstate",
            options={
                "ordering": ["database", "created_at", "id"],
                "verbose_name": "saved release",
                "verbose_name_plural": "saved releases",
            },
        ),
        migrations.AddField(
            model_name="rollback",
            name="run",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                help_text="Its entry in the run journal.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="rollbacks",
                to="tidemark_migration_state.migrationrun",
            ),
        ),
        migrations.CreateModel(
            name="LineageEntry",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("database", models.CharField(max_length=100)),
                (
                    "cause",
                    models.CharField(
                        choices=[
                            ("saved", "Saved"),
                            ("resumed", "Resumed"),
                            ("rolled back", "Rolled Back"),
                        ],
                        max_length=12,
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "previous",
                    models.ForeignKey(
                        help_text="The entry in force before this one, along the lineage.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tidemark_migration_state.lineageentry",
                    ),
                ),
                (
                    "rollback",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tidemark_migration_state.rollback",
                    ),
                ),
                (
                    "state",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lineage",
                        to="tidemark_migration_state.migrationstate",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "lineage entries",
                "ordering": ["database", "id"],
            },
        ),
    ]
