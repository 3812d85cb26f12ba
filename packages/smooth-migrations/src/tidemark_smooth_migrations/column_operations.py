"""Safe operations on columns: foreign keys added NOT VALID, NOT NULL through a CHECK."""

from __future__ import annotations

import copy
from typing import Any

from django.db import models
from django.db.migrations.operations import AddField, AlterField
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from .operations import Editor, _rows, _run, _target


def _fk_name(editor: Any, model: type[models.Model], field: Any) -> str:
    return str(editor._fk_constraint_name(model, field, "_fk_%(to_table)s_%(to_column)s"))


class AddForeignKeyNotValid(AddField):
    """``AddField`` of a ``ForeignKey`` whose constraint is added ``NOT VALID``.

    PostgreSQL then checks only rows written from now on, after a brief lock on both
    tables; `ValidateForeignKey` in the next migration checks the existing rows without
    blocking writes. The column gets no index here: give the field ``db_index=False`` and
    build the index with `AddIndexConcurrently`.
    """

    def __init__(
        self, model_name: str, name: str, field: Any, preserve_default: bool = True
    ) -> None:
        if not isinstance(field, models.ForeignKey) or not getattr(field, "db_constraint", True):
            raise TypeError("AddForeignKeyNotValid takes a ForeignKey with db_constraint=True.")
        if getattr(field, "db_index", True):
            raise ValueError(
                "AddForeignKeyNotValid does not build the column's index under a lock: pass "
                "db_index=False and add the index with smooth.AddIndexConcurrently."
            )
        super().__init__(model_name, name, field, preserve_default)

    def describe(self) -> str:
        return f"Add foreign key {self.name} to {self.model_name} (NOT VALID)"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        model = _target(self, app_label, schema_editor, to_state, outside=False)
        if model is None:
            return
        field: Any = model._meta.get_field(self.name)
        plain = copy.copy(field)
        plain.db_constraint = False
        if not self.preserve_default:
            plain.default = self.field.default
        schema_editor.add_field(model, plain)
        editor: Any = schema_editor
        sql = editor._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s")
        _run(schema_editor, f"{sql} NOT VALID")


class ValidateForeignKey(Operation):
    """Check the existing rows against a foreign key added by `AddForeignKeyNotValid`.

    ``VALIDATE CONSTRAINT`` scans the table under a lock that blocks neither reads nor
    writes. It validates every not yet valid foreign key of the field's column.
    """

    reversible = True
    idempotent = True

    def __init__(self, model_name: str, name: str) -> None:
        self.model_name = model_name
        self.name = name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return type(self).__name__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        """The state already has the foreign key."""

    def describe(self) -> str:
        return f"Validate the foreign key {self.name} of {self.model_name}"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        model = _target(self, app_label, schema_editor, to_state, outside=False)
        if model is None:
            return
        field: Any = model._meta.get_field(self.name)
        table = model._meta.db_table
        names = [_fk_name(schema_editor, model, field)]
        if not schema_editor.collect_sql:
            names = [
                row[0]
                for row in _rows(
                    schema_editor,
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype = 'f' AND NOT convalidated AND conkey = ARRAY["
                    "(SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass "
                    "AND attname = %s)]::smallint[]",
                    [table, table, field.column],
                )
            ]
        for name in names:
            _run(
                schema_editor,
                f"ALTER TABLE {schema_editor.quote_name(table)} VALIDATE CONSTRAINT "
                f"{schema_editor.quote_name(name)}",
            )

    def database_backwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        """A validated constraint stays valid: nothing to undo."""


class SetNotNull(AlterField):
    """``AlterField`` from null=True to null=False without a long ACCESS EXCLUSIVE lock.

    Outside a transaction (``atomic = False``), each step commits on its own:

    1. rows still NULL get the field's default, in batches of `batch_size` (when the field
       has a default);
    2. ``ADD CONSTRAINT ... CHECK (column IS NOT NULL) NOT VALID`` (brief lock);
    3. ``VALIDATE CONSTRAINT`` (scans without blocking reads or writes);
    4. ``SET NOT NULL``, which PostgreSQL 12+ does without a scan thanks to the valid CHECK;
    5. the CHECK is dropped.

    It can run again after an interruption. The field must differ from the current one
    only by ``null``.
    """

    atomic = False
    idempotent = True
    outside_transaction = True

    def __init__(
        self,
        model_name: str,
        name: str,
        field: Any,
        preserve_default: bool = True,
        batch_size: int = 10_000,
    ) -> None:
        if field.null:
            raise ValueError("SetNotNull takes the field as it will be: null=False.")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1.")
        self.batch_size = batch_size
        super().__init__(model_name, name, field, preserve_default)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        _name, args, kwargs = super().deconstruct()
        if self.batch_size != 10_000:
            kwargs["batch_size"] = self.batch_size
        return type(self).__name__, list(args), kwargs

    def describe(self) -> str:
        return f"Set NOT NULL on {self.name} of {self.model_name} through a validated CHECK"

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
        old: Any = from_state.apps.get_model(app_label, self.model_name)._meta.get_field(self.name)
        new: Any = model._meta.get_field(self.name)
        _check_only_null_changes(old, new)
        table = schema_editor.quote_name(model._meta.db_table)
        column = schema_editor.quote_name(new.column)
        source: Any = new if self.preserve_default else self.field
        if source.has_default():
            self._backfill(schema_editor, table, column, schema_editor.effective_default(source))
        editor: Any = schema_editor
        check = editor._create_index_name(model._meta.db_table, [new.column], "_notnull")
        check = schema_editor.quote_name(check)
        _run(schema_editor, f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check}")
        _run(
            schema_editor,
            f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID",
        )
        _run(schema_editor, f"ALTER TABLE {table} VALIDATE CONSTRAINT {check}")
        _run(schema_editor, f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL")
        _run(schema_editor, f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check}")

    def _backfill(self, editor: Editor, table: str, column: str, value: Any) -> None:
        sql = (
            f"UPDATE {table} SET {column} = %s WHERE ctid = ANY(ARRAY("
            f"SELECT ctid FROM {table} WHERE {column} IS NULL LIMIT {self.batch_size}))"
        )
        if editor.collect_sql:
            _run(editor, sql, [value])
            return
        while True:
            with editor.connection.cursor() as cursor:
                cursor.execute(sql, [value])
                if cursor.rowcount < self.batch_size:
                    return

    def database_backwards(
        self,
        app_label: str,
        schema_editor: Editor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        model = _target(self, app_label, schema_editor, from_state, outside=False)
        if model is not None:
            field: Any = model._meta.get_field(self.name)
            _run(
                schema_editor,
                f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} ALTER COLUMN "
                f"{schema_editor.quote_name(field.column)} DROP NOT NULL",
            )


def _check_only_null_changes(old: Any, new: Any) -> None:
    _name, path, args, kwargs = old.deconstruct()
    _name2, path2, args2, kwargs2 = new.deconstruct()
    kwargs.pop("null", None)
    kwargs2.pop("null", None)
    if (path, args, kwargs) != (path2, args2, kwargs2):
        raise ValueError(
            f"SetNotNull changes only null; {old.name} changes more. Use AlterField for the "
            "other changes in a migration of their own."
        )
