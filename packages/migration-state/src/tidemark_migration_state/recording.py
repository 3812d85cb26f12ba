"""The release recorder offered to the other apps: ``apply_migrations --save-state``.

Registered with `tidemark_core.integrations` by this app's ``ready()``; smooth-migrations
asks core for it and never imports this app.
"""

from __future__ import annotations

from django.db import connections

from tidemark_core.integrations import ReleaseRequest

from .exceptions import MigrationStateError
from .release import current_release
from .saving import SaveResult, save_state
from .states import state_model

APP_LABEL = "tidemark_migration_state"


class ReleaseRecorder:
    """Records the release a migration run deploys (see `tidemark_core.integrations`)."""

    def prepare(self, request: ReleaseRequest) -> str:
        """Check that the release can be recorded after the run; return its commit.

        Raises:
            MigrationStateError: A tag is empty, or the run leaves no table to record in.
            ReleaseUnknown: The commit cannot be determined.
        """
        app_label, using = request.app_label, request.using
        if app_label == APP_LABEL and request.migration_name:
            raise MigrationStateError(
                f"Cannot record a release while moving {APP_LABEL} itself to a target "
                "migration: its tables may not be there afterwards."
            )
        if any(not tag.strip() for tag in request.tags):
            raise MigrationStateError("Tags must not be empty.")
        table = state_model()._meta.db_table
        if (
            app_label not in (None, APP_LABEL)
            and table not in connections[using].introspection.table_names()
        ):
            raise MigrationStateError(
                f"The tables of {APP_LABEL} do not exist on {using!r} yet, and this run "
                f"migrates only {app_label!r}. Migrate all apps, or {APP_LABEL} first."
            )
        return current_release(commit=request.commit).commit

    def record(self, request: ReleaseRequest, commit: str) -> SaveResult:
        """Save the state of `commit`; the caller holds the migration lock (re-entrant)."""
        return save_state(commit, request.tags, request.using)
