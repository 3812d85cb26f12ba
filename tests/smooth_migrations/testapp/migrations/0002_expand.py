from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("testapp", "0001_initial")]
    operations = [
        migrations.AddField(
            "product", "currency", models.CharField(default="EUR", max_length=3, null=True)
        ),
        migrations.AddField("product", "stock", models.IntegerField(db_default=0)),
        migrations.AlterField("product", "legacy_code", models.CharField(max_length=20, null=True)),
        migrations.AlterField("product", "old_notes", models.TextField(default="", null=True)),
    ]
