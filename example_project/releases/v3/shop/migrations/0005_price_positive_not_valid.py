"""Prices must be positive: the CHECK constraint, added NOT VALID.

``ADD CONSTRAINT ... NOT VALID`` takes its lock only for a moment: existing rows are not
scanned, new and changed rows are checked from now on. 0006 validates the existing rows.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_product_weight")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE shop_product ADD CONSTRAINT price_positive "
                    "CHECK (price > 0) NOT VALID",
                    "ALTER TABLE shop_product DROP CONSTRAINT price_positive",
                )
            ],
            state_operations=[
                migrations.AddConstraint(
                    model_name="product",
                    constraint=models.CheckConstraint(
                        condition=models.Q(price__gt=0), name="price_positive"
                    ),
                )
            ],
        )
    ]
