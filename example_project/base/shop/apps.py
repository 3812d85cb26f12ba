"""The demo shop: the app whose releases `make demo` deploys."""

from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"
