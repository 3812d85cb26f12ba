"""The Django app configuration of Tidemark migration state."""

from __future__ import annotations

from django.apps import AppConfig

from tidemark_core import integrations


class MigrationStateConfig(AppConfig):
    """Tidemark migration state: registers the system checks and what it offers other apps."""

    name = "tidemark_migration_state"
    label = "tidemark_migration_state"
    verbose_name = "Tidemark migration state"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
        from .recording import ReleaseRecorder
        from .states import saved_states

        integrations.offer(integrations.SAVED_RELEASES, saved_states)
        integrations.offer(integrations.RELEASE_RECORDER, ReleaseRecorder())
