"""Contexts written once by the capture triggers: the parent link and the SQL functions."""

from django.db import migrations, models

from tidemark_history import sql


class Migration(migrations.Migration):
    dependencies = [("tidemark_history", "0004_context_read_indexes")]

    operations = [
        migrations.AddField(
            model_name="context",
            name="parent",
            field=models.UUIDField(
                blank=True,
                help_text=(
                    "The context this one derives from: the enclosing block of a nested "
                    "block, or the block's earlier metadata when a lazy value (the user) "
                    "changed. Its row exists only when events were recorded under it."
                ),
                null=True,
            ),
        ),
        migrations.RunSQL(sql.functions(), reverse_sql=sql.functions(parent=False)),
    ]
