"""Walk the migration graph as ``migrate`` would, and collect the SQL of each operation.

The project state is built once, in plan order, as Django's executor builds it; each
operation of a migration being linted is run against a collecting schema editor, so the
rules see the state before and after it and the statements Django will run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.migrations import Migration
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import (
    AlterField,
    AlterModelManagers,
    AlterModelOptions,
    RunSQL,
    SeparateDatabaseAndState,
)
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.models.fields import NOT_PROVIDED

from tidemark_core import Key, full_order

from .names import column_of, table_of
from .statements import Statement, classify

NO_SQL = (AlterModelManagers, AlterModelOptions)
"""Operations that never touch the database."""


@dataclass
class Unit:
    """One operation that reaches the database, with its states and statements.

    Attributes:
        app_label: The migration's app.
        position: Its top-level operation's place in ``Migration.operations`` (1-based).
        top: That top-level operation.
        operation: The operation itself (a database operation of a
            ``SeparateDatabaseAndState`` when `top` is one).
        from_state: The project state before it.
        to_state: The project state after it.
        statements: What its SQL does, in order.
        python: It runs Python (``RunPython``), which cannot be written as SQL.
        error: Why its SQL could not be worked out, if it could not.
    """

    app_label: str
    position: int
    top: Operation
    operation: Operation
    from_state: ProjectState
    to_state: ProjectState
    statements: list[Statement] = field(default_factory=list)
    python: bool = False
    error: str | None = None

    @property
    def description(self) -> str:
        """What Django says the top-level operation does."""
        return str(self.top.describe())


def _placeholder_names(model: Any, column_names: Any = None, **kwargs: Any) -> list[str]:
    # Django asks the live database for the names of constraints it drops; the database
    # need not hold this state, so one stand-in name takes the place of the real one.
    columns = "_".join(column_names or ["pk"])
    return [f"{model._meta.db_table}_{columns}_existing"]


class Collector:
    """Runs operations against a schema editor that collects SQL instead of running it."""

    def __init__(self, using: str) -> None:
        # A connection of its own: not inside the caller's transaction, where operations
        # that refuse to run in one (AddIndexConcurrently) would raise.
        self.connection = connections.create_connection(using)
        editor: Any = self.connection.schema_editor(collect_sql=True, atomic=False)
        editor.deferred_sql = []
        editor._constraint_names = _placeholder_names
        editor._get_sequence_name = lambda table, column: f"{table}_{column}_seq"
        self.editor: Any = editor

    def close(self) -> None:
        """Close the connection, if it was opened."""
        self.connection.close()

    def sql(
        self, operation: Operation, app_label: str, old: ProjectState, new: ProjectState
    ) -> list[str]:
        """The statements `operation` runs between the two states."""
        editor = self.editor
        before = len(editor.collected_sql)
        operation.database_forwards(app_label, editor, old, new)
        collected = [line for line in editor.collected_sql[before:] if line.strip()]
        collected.extend(str(statement) for statement in editor.deferred_sql)
        editor.deferred_sql.clear()
        return collected


def _units(
    position: int,
    top: Operation,
    operation: Operation,
    app_label: str,
    old: ProjectState,
    new: ProjectState,
) -> list[Unit]:
    if isinstance(operation, SeparateDatabaseAndState):
        units: list[Unit] = []
        current = old
        for inner in operation.database_operations:
            following = current.clone()
            inner.state_forwards(app_label, following)
            units.extend(_units(position, top, inner, app_label, current, following))
            current = following
        return units
    return [Unit(app_label, position, top, operation, old, new)]


def analyse(migration: Migration, state: ProjectState, collector: Collector) -> list[Unit]:
    """Apply `migration` to `state` (in place) and return its units with their SQL."""
    app_label = migration.app_label
    units: list[Unit] = []
    for position, operation in enumerate(migration.operations, start=1):
        if isinstance(operation, NO_SQL) or getattr(operation, "lint_marker", False):
            operation.state_forwards(app_label, state)
            continue
        old = state.clone()
        operation.state_forwards(app_label, state)
        for unit in _units(position, operation, operation, app_label, old, state):
            if not unit.operation.reduces_to_sql:
                unit.python = True
            else:
                _collect(unit, app_label, collector)
            units.append(unit)
    return units


def _collect(unit: Unit, app_label: str, collector: Collector) -> None:
    try:
        sql = collector.sql(unit.operation, app_label, unit.from_state, unit.to_state)
    except Exception as error:  # noqa: BLE001 - any operation may fail here; reported as PG105
        unit.error = f"{type(error).__name__}: {error}"
        return
    for text in sql:
        unit.statements.extend(classify(text))


def relaxed(old: Any, new: Any) -> bool:
    """Whether a field change lets rows be written without the column: it became nullable
    or got a database default (what `deprecated_field` and `new_field` migrations do)."""
    return (not old.null and new.null) or (
        old.db_default is NOT_PROVIDED and new.db_default is not NOT_PROVIDED
    )


def advance(migration: Migration, state: ProjectState) -> list[tuple[str, str]]:
    """Apply `migration` to `state` without SQL; return the columns it relaxed.

    The columns are ``(table, column)`` pairs made nullable or given a database default,
    by ``AlterField`` or by a ``RunSQL`` ``DROP NOT NULL``.
    """
    relaxed_columns: list[tuple[str, str]] = []
    app_label = migration.app_label
    for operation in migration.operations:
        if isinstance(operation, AlterField):
            model_state = state.models[app_label, operation.model_name_lower]
            old = model_state.fields[operation.name]
            operation.state_forwards(app_label, state)
            if relaxed(old, operation.field):
                relaxed_columns.append(
                    (table_of(model_state), column_of(operation.name, operation.field))
                )
            continue
        if isinstance(operation, RunSQL) and isinstance(operation.sql, str):
            relaxed_columns.extend(
                (statement.table, statement.column)
                for statement in classify(operation.sql)
                if statement.kind == "drop_not_null" and statement.table and statement.column
            )
        operation.state_forwards(app_label, state)
    return relaxed_columns


Walked = tuple[Key, Migration, "list[Unit] | None", list[tuple[str, str]]]


def walk(loader: MigrationLoader, selected: set[Key], using: str) -> Iterator[Walked]:
    """Each migration in plan order up to the last selected one.

    Yields ``(key, migration, units, relaxed)``: for a selected migration its units (and
    no relaxed columns: the rules find those in the units); for the others None and the
    columns they relaxed (see `advance`).
    """
    order = full_order(loader)
    last = max((index for index, key in enumerate(order) if key in selected), default=-1)
    state = ProjectState(real_apps=loader.unmigrated_apps)
    collector = Collector(using)
    try:
        for key in order[: last + 1]:
            migration = loader.graph.nodes[key]
            if key in selected:
                yield key, migration, analyse(migration, state, collector), []
            else:
                yield key, migration, None, advance(migration, state)
    finally:
        collector.close()
