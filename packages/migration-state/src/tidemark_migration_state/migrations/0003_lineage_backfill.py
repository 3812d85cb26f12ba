"""The release lineage of the states and rollbacks saved before 0002 (in order of events)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from tidemark_migration_state.lineage import backfill


def backfill_lineage(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    backfill(
        apps.get_model("tidemark_migration_state", "MigrationState"),
        apps.get_model("tidemark_migration_state", "Rollback"),
        apps.get_model("tidemark_migration_state", "LineageEntry"),
        schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [("tidemark_migration_state", "0002_lineage_runs")]

    operations = [migrations.RunPython(backfill_lineage, migrations.RunPython.noop)]
