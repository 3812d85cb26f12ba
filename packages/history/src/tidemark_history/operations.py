"""The migration operation ``makemigrations`` writes when a field is added to an event model."""

from __future__ import annotations

from typing import Any

from django.db.migrations import AddField
from django.db.migrations.state import ProjectState


class AddEventField(AddField):
    """``AddField`` on an event model whose reversal keeps the column and its values.

    Rolling back the release that added a tracked field removes the field from the event
    model's state only: the values recorded meanwhile stay in the event table, and the
    column is NULL in the events written after the rollback. Applying the migration again
    finds the column and keeps it.
    """

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if getattr(schema_editor, "collect_sql", False):
            # sqlmigrate and the linter read the statements without a database to ask.
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.name).column
        with schema_editor.connection.cursor() as cursor:
            existing = schema_editor.connection.introspection.get_table_description(
                cursor, model._meta.db_table
            )
        if column not in {row.name for row in existing}:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        """Keep the column: it holds recorded values."""

    def describe(self) -> str:
        return f"Add field {self.name} to {self.model_name} (kept when reversed: it holds history)"
