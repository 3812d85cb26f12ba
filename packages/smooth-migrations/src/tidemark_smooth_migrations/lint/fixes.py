"""The safe alternatives the linter prints: snippets with the real names filled in."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.migrations.operations import AddField, AddIndex, AlterField, RemoveIndex
from django.db.migrations.writer import MigrationWriter

from .analysis import Unit
from .statements import Statement


def serialize(value: Any) -> str:
    """`value` as ``makemigrations`` writes it."""
    return str(MigrationWriter.serialize(value)[0])


def own_migration(key_app: str, *operations: str, atomic: bool = False) -> str:
    """A migration holding `operations`, non-atomic unless `atomic`."""
    body = "".join(f"        {operation},\n" for operation in operations)
    head = "    atomic = False\n" if not atomic else ""
    return (
        "import tidemark_smooth_migrations as smooth\n"
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"{head}"
        f'    dependencies = [("{key_app}", "<the previous migration>")]\n'
        "    operations = [\n"
        f"{body}"
        "    ]"
    )


def _model_name(unit: Unit) -> str | None:
    name = getattr(unit.operation, "model_name", None)
    return str(name) if name else None


def _field_index(unit: Unit, statement: Statement) -> models.Index | None:
    operation = unit.operation
    if isinstance(operation, AddIndex):
        index: models.Index = operation.index
        return index
    if isinstance(operation, AddField | AlterField):
        return models.Index(fields=[operation.name], name=statement.name or "<index name>")
    return None


def add_index(app: str, unit: Unit, statement: Statement) -> str:
    """PG001: build the index concurrently."""
    index = _field_index(unit, statement)
    model = _model_name(unit)
    if index is not None and model is not None:
        operation = f'smooth.AddIndexConcurrently("{model}", {serialize(index)})'
        text = own_migration(app, operation)
        if not isinstance(unit.operation, AddIndex):
            field = unit.operation.name  # type: ignore[attr-defined]
            text = (
                f"# Give {field} db_index=False and declare the index in the model's Meta:\n"
                f"#     indexes = [{serialize(index)}]\n"
                "# then create it in a migration of its own:\n" + text
            )
        return text
    sql = statement.sql.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1)
    sql = sql.replace("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS", 1)
    return own_migration(app, f"migrations.RunSQL({sql!r}, reverse_sql=...)")


def remove_index(app: str, unit: Unit, statement: Statement) -> str:
    """PG002: drop the index concurrently."""
    operation = unit.operation
    if isinstance(operation, RemoveIndex):
        return own_migration(
            app, f'smooth.RemoveIndexConcurrently("{operation.model_name}", "{operation.name}")'
        )
    name = statement.name or "<index>"
    return own_migration(
        app, f"migrations.RunSQL('DROP INDEX CONCURRENTLY IF EXISTS \"{name}\"', reverse_sql=...)"
    )


def unique(app: str, unit: Unit, statement: Statement) -> str:
    """PG003: build the unique index concurrently, then attach it as the constraint."""
    model = _model_name(unit) or "<model>"
    constraint = getattr(unit.operation, "constraint", None)
    if not isinstance(constraint, models.UniqueConstraint):
        field = getattr(unit.operation, "name", None) or statement.column or "<field>"
        constraint = models.UniqueConstraint(fields=[field], name=f"{model}_{field}_unique")
        note = (
            f"# Keep {field} without unique=True and declare the constraint in the model's Meta:\n"
            f"#     constraints = [{serialize(constraint)}]\n"
            "# then add it in a migration of its own:\n"
        )
    else:
        note = ""
    operation = f'smooth.AddUniqueConstraintConcurrently("{model}", {serialize(constraint)})'
    return note + own_migration(app, operation)


def foreign_key(app: str, unit: Unit, statement: Statement) -> str:
    """PG005: add the key NOT VALID, validate it in the next migration."""
    operation = unit.operation
    if isinstance(operation, AddField | AlterField) and operation.field.is_relation:
        field = operation.field.clone()
        names = f'"{operation.model_name}", "{operation.name}"'
        add = f"smooth.AddForeignKeyNotValid({names}, {serialize(field)})"
        validate = f"smooth.ValidateForeignKey({names})"
        return (
            own_migration(app, add, atomic=True)
            + "\n\n# and, in the next migration (it scans without blocking writes):\n"
            + own_migration(app, validate, atomic=True)
        )
    table = statement.table or "<table>"
    name = statement.name or "<constraint>"
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (...) REFERENCES ... NOT VALID;\n"
        f"-- then, in a separate migration:\nALTER TABLE {table} VALIDATE CONSTRAINT {name};"
    )


def check(app: str, unit: Unit, statement: Statement) -> str:
    """PG006: add the CHECK NOT VALID, validate it in the next migration."""
    model = _model_name(unit) or "<model>"
    constraint = getattr(unit.operation, "constraint", None)
    shown = serialize(constraint) if constraint is not None else "models.CheckConstraint(...)"
    name = getattr(constraint, "name", statement.name or "<name>")
    return (
        "from django.contrib.postgres.operations import (\n"
        "    AddConstraintNotValid,\n    ValidateConstraint,\n)\n\n"
        + own_migration(app, f'AddConstraintNotValid("{model}", {shown})', atomic=True)
        + "\n\n# and, in the next migration:\n"
        + own_migration(app, f'ValidateConstraint("{model}", "{name}")', atomic=True)
    )


def not_null(app: str, unit: Unit, statement: Statement) -> str:
    """PG007: set NOT NULL through a validated CHECK, outside a transaction."""
    operation = unit.operation
    if isinstance(operation, AlterField):
        return own_migration(
            app,
            f'smooth.SetNotNull("{operation.model_name}", "{operation.name}", '
            f"{serialize(operation.field)})",
        )
    return own_migration(app, 'smooth.SetNotNull("<model>", "<field>", <the field, NOT NULL>)')


def db_default(unit: Unit) -> str:
    """PG008: give the column a database default, or add it through new_field()."""
    operation = unit.operation
    if not isinstance(operation, AddField):
        return "Give the column a DEFAULT that stays in the database."
    field: Any = operation.field.clone()
    value = field.default if field.has_default() and not callable(field.default) else "..."
    field.default = models.NOT_PROVIDED
    field.db_default = value
    return (
        "# Keep the default in the database (Django 5+), so the previous release's INSERTs\n"
        "# get it:\n"
        f'migrations.AddField("{operation.model_name}", "{operation.name}", {serialize(field)})\n'
        "# or, in the model, wrap the field so the column is added nullable:\n"
        f"#     {operation.name} = smooth.new_field(models.{type(field).__name__}(...))\n"
        "# and decorate the model with @smooth.backward_compatible_model."
    )
