"""The Django app configuration of Tidemark data sync."""

from __future__ import annotations

from django.apps import AppConfig


class DataSyncConfig(AppConfig):
    """Tidemark data sync: registers the system checks."""

    name = "tidemark_data_sync"
    label = "tidemark_data_sync"
    verbose_name = "Tidemark data sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
