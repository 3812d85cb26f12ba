"""The Django app configuration of Tidemark history."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created

from tidemark_core import integrations


class HistoryConfig(AppConfig):
    """Tidemark history: registers the system checks, the context delivery, and offers
    its `context` to the other apps (their commands then leave history context)."""

    name = "tidemark_history"
    label = "tidemark_history"
    verbose_name = "Tidemark history"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import autodetector, checks  # noqa: F401 - checks registers the checks
        from .context import context
        from .delivery import install

        autodetector.install()
        connection_created.connect(install, dispatch_uid="tidemark_history.delivery")
        integrations.offer(integrations.HISTORY_CONTEXT, context)
