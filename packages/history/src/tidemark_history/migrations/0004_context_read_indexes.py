"""Read indexes of the context table: metadata containment (``events(user=42)``, the admin's
user filter) and creation time (the Context admin, newest first).

Built CONCURRENTLY: every tracked write of a request may insert a context row, so a plain
CREATE INDEX would hold up the application's writes for as long as the build takes. Each
build says IF NOT EXISTS, so the migration runs again after an interruption between the two
(a non-atomic migration is recorded only once every operation is done).
"""

import django.contrib.postgres.indexes
from django.db import migrations, models

TABLE = '"tidemark_history_context"'
INDEXES = [
    (
        django.contrib.postgres.indexes.GinIndex(
            fields=["metadata"], name="tidemark_ctx_metadata", opclasses=["jsonb_path_ops"]
        ),
        'USING gin ("metadata" jsonb_path_ops)',
    ),
    (models.Index(fields=["created_at"], name="tidemark_ctx_created_at"), '("created_at")'),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tidemark_history", "0003_retention"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{index.name}" ON {TABLE} {spec}',
                    reverse_sql=f'DROP INDEX CONCURRENTLY IF EXISTS "{index.name}"',
                )
            ],
            state_operations=[migrations.AddIndex(model_name="context", index=index)],
        )
        for index, spec in INDEXES
    ]
