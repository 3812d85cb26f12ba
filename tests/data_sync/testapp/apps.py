"""The test app of the data-sync suite."""

from __future__ import annotations

from django.apps import AppConfig


class TestappConfig(AppConfig):
    name = "tests.data_sync.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.BigAutoField"
