"""Migration modules of the release apps, as the commits of the test repositories hold them."""

from __future__ import annotations

from tests.migration_sources import ALPHA_0001, add_field

SEED_WITHOUT_REVERSE = """
from django.db import migrations

def seed(apps, schema_editor):
    apps.get_model("alpha", "Item").objects.create(name="seeded")

class Migration(migrations.Migration):
    dependencies = [("alpha", "0001_initial")]
    operations = [migrations.RunPython(seed)]
"""

SEED_WITH_REVERSE = """
from django.db import migrations

def seed(apps, schema_editor):
    apps.get_model("alpha", "Item").objects.create(name="seeded")

def unseed(apps, schema_editor):
    apps.get_model("alpha", "Item").objects.filter(name="seeded").delete()

class Migration(migrations.Migration):
    dependencies = [("alpha", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
"""

FAILING = """
from django.db import migrations

class Migration(migrations.Migration):
    dependencies = [("alpha", "0002_price")]
    operations = [
        migrations.RunSQL("SELECT 1", reverse_sql="SELECT * FROM no_such_table"),
    ]
"""

V1 = {"0001_initial": ALPHA_0001}
V2 = {**V1, "0002_price": add_field("alpha", "0001_initial", "price")}
V3 = {**V2, "0003_stock": add_field("alpha", "0002_price", "stock", index=True)}
