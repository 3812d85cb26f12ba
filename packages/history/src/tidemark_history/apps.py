"""The Django app configuration of Tidemark history."""

from __future__ import annotations

from django.apps import AppConfig


class HistoryConfig(AppConfig):
    """Tidemark history: registers the system checks."""

    name = "tidemark_history"
    label = "tidemark_history"
    verbose_name = "Tidemark history"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
