"""Table and column names from migration states, without rendering models."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.utils import truncate_name
from django.db.migrations.state import ModelState, ProjectState

MAX_NAME_LENGTH = 63
"""PostgreSQL's identifier limit, which Django truncates table names to."""


def table_of(model_state: ModelState) -> str:
    """The table of a model state, as Django names it."""
    explicit = model_state.options.get("db_table")
    if explicit:
        return str(explicit)
    return str(truncate_name(f"{model_state.app_label}_{model_state.name_lower}", MAX_NAME_LENGTH))


def column_of(name: str, field: Any) -> str:
    """The column of a state's field called `name`."""
    if field.db_column:
        return str(field.db_column)
    return f"{name}_id" if isinstance(field, models.ForeignKey) else name


def find_field(state: ProjectState, table: str, column: str) -> tuple[ModelState, str, Any] | None:
    """The model state, name and field of `table`.`column` in `state`, if a model has it."""
    for model_state in state.models.values():
        if table_of(model_state) != table:
            continue
        for name, field in model_state.fields.items():
            if not field.many_to_many and column_of(name, field) == column:
                return model_state, name, field
    return None
