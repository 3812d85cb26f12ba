"""The Django app configuration of Tidemark smooth migrations."""

from __future__ import annotations

from django.apps import AppConfig


class SmoothMigrationsConfig(AppConfig):
    """Tidemark smooth migrations: registers the system checks."""

    name = "tidemark_smooth_migrations"
    label = "tidemark_smooth_migrations"
    verbose_name = "Tidemark smooth migrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
