"""The contexts nested in one, by their ``parent``: ``events(context=...)`` and
``revert_context()`` read a context with every context derived from it. Built CONCURRENTLY,
as 0004's indexes are."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tidemark_history", "0005_context_parent_and_functions"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="context",
            index=models.Index(
                condition=models.Q(("parent__isnull", False)),
                fields=["parent"],
                name="tidemark_ctx_parent",
            ),
        ),
    ]
