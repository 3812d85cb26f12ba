"""The Django app configuration of Tidemark migration state."""

from __future__ import annotations

from django.apps import AppConfig


class MigrationStateConfig(AppConfig):
    """Tidemark migration state: registers the system checks."""

    name = "tidemark_migration_state"
    label = "tidemark_migration_state"
    verbose_name = "Tidemark migration state"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
