"""The Django app configuration of Tidemark history."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class HistoryConfig(AppConfig):
    """Tidemark history: registers the system checks and the context delivery."""

    name = "tidemark_history"
    label = "tidemark_history"
    verbose_name = "Tidemark history"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
        from .delivery import install

        connection_created.connect(install, dispatch_uid="tidemark_history.delivery")
