"""Migration sources of the model-less apps alpha, beta and gamma, shared by the suites that
write releases into temporary migration modules (see tests/migration_support.py)."""

from __future__ import annotations

ALPHA_0001 = """
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Item", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50)),
        ]),
    ]
"""


def add_field(app: str, parent: str, field: str, *, index: bool = False) -> str:
    return f"""
from django.db import migrations, models

class Migration(migrations.Migration):
    dependencies = [("{app}", "{parent}")]
    operations = [
        migrations.AddField("item", "{field}", models.IntegerField(null=True, db_index={index})),
    ]
"""


def merge(app: str, *parents: str) -> str:
    deps = ", ".join(f'("{app}", "{parent}")' for parent in parents)
    return f"""
from django.db import migrations

class Migration(migrations.Migration):
    dependencies = [{deps}]
    operations = []
"""


def beta_0001(alpha_parent: str) -> str:
    """beta's first migration: an Order with a foreign key to alpha's Item."""
    return f"""
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    dependencies = [("alpha", "{alpha_parent}")]
    operations = [
        migrations.CreateModel("Order", [
            ("id", models.BigAutoField(primary_key=True)),
            ("item", models.ForeignKey("alpha.Item", models.CASCADE)),
        ]),
    ]
"""


GAMMA_0001 = """
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Tag", [
            ("id", models.BigAutoField(primary_key=True)),
            ("label", models.CharField(max_length=20, unique=True)),
        ]),
    ]
"""

SQUASHED = """
from django.db import migrations, models

class Migration(migrations.Migration):
    replaces = [("alpha", "0001_initial"), ("alpha", "0002_price"), ("alpha", "0003_stock")]
    initial = True
    operations = [
        migrations.CreateModel("Item", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50)),
            ("price", models.IntegerField(null=True)),
            ("stock", models.IntegerField(null=True, db_index=True)),
        ]),
    ]
"""
