"""Read indexes of the context table: metadata containment (``events(user=42)``, the admin's
user filter) and creation time (the Context admin, newest first).

Built CONCURRENTLY: every tracked write of a request may insert a context row, so a plain
CREATE INDEX would hold up the application's writes for as long as the build takes.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tidemark_history", "0003_retention"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="context",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["metadata"], name="tidemark_ctx_metadata", opclasses=["jsonb_path_ops"]
            ),
        ),
        AddIndexConcurrently(
            model_name="context",
            index=models.Index(fields=["created_at"], name="tidemark_ctx_created_at"),
        ),
    ]
