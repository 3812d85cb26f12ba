"""A small shop whose rows every Tidemark app touches in the integration suite."""

from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "tests.integration.shop"
    label = "shop"
    default_auto_field = "django.db.models.BigAutoField"
