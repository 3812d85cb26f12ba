"""Migration operations that do the safe recipe for the common dangerous schema changes.

Each one keeps Django's migration state exactly as the plain operation would (so
``makemigrations`` sees no difference) and changes the database without long locks. The
linter's messages point to them, and they pass the linter.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations import AddConstraint, AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

Editor = BaseDatabaseSchemaEditor


def _outside_transaction(operation: Operation, editor: Editor) -> None:
    if editor.connection.in_atomic_block:
        raise NotSupportedError(
            f"{type(operation).__name__} cannot run inside a transaction: put it in a "
            "migration of its own with atomic = False."
        )


def _target(
    operation: Any, app_label: str, editor: Editor, state: ProjectState, *, outside: bool = True
) -> type[models.Model] | None:
    """The operation's model in `state`, or None when the router keeps it off this database.

    With `outside`, refuse to run inside a transaction first.
    """
    if outside:
        _outside_transaction(operation, editor)
    model: type[models.Model] = state.apps.get_model(app_label, operation.model_name)
    return model if operation.allow_migrate_model(editor.connection.alias, model) else None


def _drop_concurrently(
    operation: Any, app_label: str, editor: Editor, state: ProjectState, name: str
) -> None:
    if _target(operation, app_label, editor, state) is not None:
        _run(editor, f"DROP INDEX CONCURRENTLY IF EXISTS {editor.quote_name(name)}")


def _run(editor: Editor, sql: str, params: Any = None) -> None:
    editor.execute(sql, params)


def _rows(editor: Editor, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    if editor.collect_sql:
        return []
    with editor.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _drop_invalid_index(editor: Editor, name: str) -> None:
    """Drop a leftover INVALID index of that name (from an interrupted concurrent build)."""
    invalid = _rows(
        editor,
        "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = %s AND NOT i.indisvalid",
        [name],
    )
    if invalid:
        _run(editor, f"DROP INDEX CONCURRENTLY IF EXISTS {editor.quote_name(name)}")


def _concurrently(sql: str) -> str:
    for head in ("CREATE UNIQUE INDEX", "CREATE INDEX"):
        if sql.startswith(head):
            rest = sql[len(head) :].lstrip()
            rest = rest.removeprefix("CONCURRENTLY").lstrip()
            return f"{head} CONCURRENTLY IF NOT EXISTS {rest}"
    raise ValueError(f"Not an index definition: {sql}")


class AddIndexConcurrently(AddIndex):
    """``AddIndex`` built with ``CREATE INDEX CONCURRENTLY``: writes go on during the build.

    Put it alone in a migration with ``atomic = False``. It can run again after an
    interruption: a leftover invalid index of the same name is dropped and rebuilt, and an
    existing valid one is kept.
    """

    atomic = False
    idempotent = True
    outside_transaction = True

    def describe(self) -> str:
        return f"Concurrently create index {self.index.name} on {self.model_name}"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        model = _target(self, app_label, schema_editor, to_state)
        if model is None:
            return
        _drop_invalid_index(schema_editor, self.index.name)
        sql = str(self.index.create_sql(model, schema_editor))
        try:
            _run(schema_editor, _concurrently(sql))
        except Exception:
            _drop_invalid_index(schema_editor, self.index.name)
            raise

    def database_backwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        _drop_concurrently(self, app_label, schema_editor, from_state, self.index.name)


class RemoveIndexConcurrently(RemoveIndex):
    """``RemoveIndex`` with ``DROP INDEX CONCURRENTLY``: no lock that blocks queries.

    Put it alone in a migration with ``atomic = False``; it can run again.
    """

    atomic = False
    idempotent = True
    outside_transaction = True

    def describe(self) -> str:
        return f"Concurrently remove index {self.name} from {self.model_name}"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        _drop_concurrently(self, app_label, schema_editor, from_state, self.name)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        model = _target(self, app_label, schema_editor, to_state)
        if model is None:
            return
        index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        _drop_invalid_index(schema_editor, self.name)
        _run(schema_editor, _concurrently(str(index.create_sql(model, schema_editor))))


class AddUniqueConstraintConcurrently(AddConstraint):
    """``AddConstraint`` of a ``UniqueConstraint`` without blocking writes while it builds.

    The unique index is built with ``CREATE UNIQUE INDEX CONCURRENTLY``, then attached as
    the constraint with ``ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX`` (a brief
    lock). A constraint with a condition, expressions, ``include`` or ``opclasses`` is a
    unique index in PostgreSQL, and stays one. Put it alone in a migration with
    ``atomic = False``; it can run again after an interruption (duplicates make the build
    fail: the invalid index is dropped and the error raised).
    """

    atomic = False
    idempotent = True
    outside_transaction = True

    def __init__(self, model_name: str, constraint: models.UniqueConstraint) -> None:
        if not isinstance(constraint, models.UniqueConstraint):
            raise TypeError("AddUniqueConstraintConcurrently takes a models.UniqueConstraint.")
        super().__init__(model_name, constraint)

    def describe(self) -> str:
        return f"Concurrently create unique constraint {self.constraint.name} on {self.model_name}"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        model = _target(self, app_label, schema_editor, to_state)
        if model is None:
            return
        constraint: Any = self.constraint
        table = model._meta.db_table
        if _rows(
            schema_editor,
            "SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass",
            [constraint.name, table],
        ):
            return
        name = schema_editor.quote_name(constraint.name)
        _drop_invalid_index(schema_editor, constraint.name)
        try:
            _run(schema_editor, _concurrently(self._index_sql(model, schema_editor)))
        except Exception:
            _drop_invalid_index(schema_editor, constraint.name)
            raise
        if self._index_only:
            return
        editor: Any = schema_editor
        deferrable = editor._deferrable_constraint_sql(constraint.deferrable)
        _run(
            schema_editor,
            f"ALTER TABLE {schema_editor.quote_name(table)} ADD CONSTRAINT {name} "
            f"UNIQUE USING INDEX {name}{deferrable}",
        )

    @property
    def _index_only(self) -> bool:
        constraint: Any = self.constraint
        return bool(
            constraint.condition
            or constraint.expressions
            or constraint.include
            or constraint.opclasses
        )

    def _index_sql(self, model: type[models.Model], editor: Editor) -> str:
        constraint: Any = self.constraint
        if self._index_only:
            return str(constraint.create_sql(model, editor))
        columns = ", ".join(
            editor.quote_name(str(getattr(model._meta.get_field(name), "column", name)))
            for name in constraint.fields
        )
        nulls = " NULLS NOT DISTINCT" if constraint.nulls_distinct is False else ""
        return (
            f"CREATE UNIQUE INDEX {editor.quote_name(constraint.name)} ON "
            f"{editor.quote_name(model._meta.db_table)} ({columns}){nulls}"
        )

    def database_backwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        model = _target(self, app_label, schema_editor, to_state, outside=False)
        if model is None:
            return
        name = schema_editor.quote_name(self.constraint.name)
        if not self._index_only:
            table = schema_editor.quote_name(model._meta.db_table)
            _run(schema_editor, f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
        _run(schema_editor, f"DROP INDEX IF EXISTS {name}")
