"""Migration sources for the deploy apps north, south and east, used by the release fixture."""

from __future__ import annotations

NORTH_0001 = """
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Thing", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50, unique=True)),
        ]),
    ]
"""

NORTH_0002 = """
from django.db import migrations, models

class Migration(migrations.Migration):
    dependencies = [("north", "0001_initial")]
    operations = [
        migrations.AddField("thing", "size", models.IntegerField(null=True, db_index=True)),
        migrations.AddConstraint(
            "thing", models.CheckConstraint(condition=models.Q(size__gte=0), name="size_positive")
        ),
    ]
"""

SOUTH_0001 = """
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    dependencies = [("north", "0002_size")]
    operations = [
        migrations.CreateModel("Order", [
            ("id", models.BigAutoField(primary_key=True)),
            ("thing", models.ForeignKey("north.Thing", models.CASCADE)),
        ]),
        migrations.AddIndex("order", models.Index(fields=["thing"], name="order_thing_idx")),
    ]
"""


def failing(app: str, parent: str | None, *, atomic: bool = True) -> str:
    """A migration that creates a table, then fails on a bad statement."""
    dependencies = f'[("{app}", "{parent}")]' if parent else "[]"
    return f"""
from django.db import migrations

class Migration(migrations.Migration):
    atomic = {atomic}
    dependencies = {dependencies}
    operations = [
        migrations.RunSQL(
            "CREATE TABLE {app}_partial (id integer)", reverse_sql="DROP TABLE {app}_partial"
        ),
        migrations.RunSQL("SELECT * FROM no_such_table", reverse_sql=migrations.RunSQL.noop),
    ]
"""


def run_sql(app: str, parent: str | None, sql: str, reverse: str | None = "SELECT 1") -> str:
    """A migration running `sql` (irreversible when `reverse` is None)."""
    dependencies = f'[("{app}", "{parent}")]' if parent else "[]"
    reverse_arg = f", reverse_sql={reverse!r}" if reverse is not None else ""
    return f"""
from django.db import migrations

class Migration(migrations.Migration):
    dependencies = {dependencies}
    operations = [migrations.RunSQL({sql!r}{reverse_arg})]
"""
