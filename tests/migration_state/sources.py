"""Migration modules of the release apps, as the commits of the test repositories hold them."""

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


BETA_0001 = """
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    dependencies = [("alpha", "0001_initial")]
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
