"""Prices must be positive: validate the existing rows against the constraint of 0005.

``VALIDATE CONSTRAINT`` scans the table under a lock that lets reads and writes go on. It
fails when a row breaks the constraint, as the starter catalogue's paper catalogue (0.00)
does.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0005_price_positive_not_valid")]

    operations = [
        # Unapplying 0005 drops the constraint, validated or not.
        migrations.RunSQL(
            "ALTER TABLE shop_product VALIDATE CONSTRAINT price_positive",
            migrations.RunSQL.noop,
        )
    ]
