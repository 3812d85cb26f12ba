"""The linter's words: what each finding says, and the fixed-form safe alternatives."""

from __future__ import annotations

import re
from typing import Any

from django.db.migrations.operations import AlterField, RemoveField, RenameField

from tidemark_core import Key

from .analysis import Unit
from .statements import Statement


def _q(name: str | None) -> str:
    return name or "?"


def unreadable(error: str) -> str:
    return (
        f"The linter could not work out the SQL of this operation ({error}), so it is not checked."
    )


def unparsed(statement: Statement) -> str:
    shown = statement.sql if len(statement.sql) <= 80 else statement.sql[:77] + "..."
    return f"The linter cannot tell which locks this statement takes: {shown}"


FIX_PG105 = (
    "Review the statement's locks by hand, then accept it in the migration:\n"
    "operations = [\n"
    '    smooth.safety_assured(reason="<what you checked>", rules=["PG105"]),\n'
    "    ...\n"
    "]"
)

IN_TRANSACTION = (
    "This statement runs CONCURRENTLY, which PostgreSQL refuses inside a transaction, and the "
    "migration is atomic."
)
FIX_PG102 = (
    "Put the operation in a migration of its own, outside a transaction:\n"
    "class Migration(migrations.Migration):\n"
    "    atomic = False\n"
    "    operations = [<this operation alone>]"
)

BROKEN_CIC = (
    "Concurrent index builds on PostgreSQL 14.0 to 14.3 can silently miss rows written during "
    "the build (fixed in 14.4)."
)
FIX_CIC = "Upgrade the server to 14.4 or later before building indexes concurrently."


def index(statement: Statement) -> str:
    return f"CREATE INDEX {_q(statement.name)} runs without CONCURRENTLY on {statement.table}."


def unique_index(statement: Statement) -> str:
    return (
        f"CREATE UNIQUE INDEX {_q(statement.name)} runs without CONCURRENTLY on "
        f"{statement.table}; the previous release's INSERTs of duplicates start failing too."
    )


def drop_index(statement: Statement) -> str:
    return f"DROP INDEX {_q(statement.name)} runs without CONCURRENTLY."


REINDEX = "REINDEX without CONCURRENTLY rebuilds the index under a lock."
FIX_PG017 = (
    "migrations.RunSQL('REINDEX INDEX CONCURRENTLY <index>', "
    "reverse_sql=migrations.RunSQL.noop)\n# in a migration with atomic = False"
)


def inline_unique(statement: Statement) -> str:
    return (
        f"The new column {statement.table}.{statement.column} is unique: PostgreSQL builds its "
        "index under the table lock."
    )


def inline_check(statement: Statement) -> str:
    return (
        f"The new column {statement.table}.{statement.column} has a CHECK constraint, which "
        "PostgreSQL checks against every existing row under the table lock."
    )


def inline_fk(statement: Statement) -> str:
    return (
        f"The new foreign key column {statement.table}.{statement.column} gets a value for "
        f"every existing row, which PostgreSQL checks against {statement.detail['references']}."
    )


def constraint(statement: Statement) -> str:
    kind, name, table = statement.detail["type"], _q(statement.name), statement.table
    if kind in ("unique", "primary key"):
        return (
            f"ADD CONSTRAINT {name} {kind.upper()} builds its index on {table} under the table "
            "lock; the previous release's INSERTs of duplicates start failing too."
        )
    if kind == "foreign key":
        return (
            f"ADD CONSTRAINT {name} FOREIGN KEY checks every row of {table} against "
            f"{statement.detail['references']} at once."
        )
    if kind == "exclude":
        return f"ADD CONSTRAINT {name} EXCLUDE builds its index on {table} under the table lock."
    return f"ADD CONSTRAINT {name} CHECK checks every row of {table} at once."


FIX_PG004 = (
    "CREATE UNIQUE INDEX CONCURRENTLY <index> ON <table> (<columns>);  -- atomic = False\n"
    "ALTER TABLE <table> ADD CONSTRAINT <name> PRIMARY KEY USING INDEX <index>;\n"
    "-- The columns must be NOT NULL first (see PG007)."
)
FIX_PG016 = (
    "An exclusion constraint cannot be added NOT VALID: build a new table with it and copy "
    "the rows, or add it in a maintenance window."
)


def rewrite_column(statement: Statement, volatile: bool) -> str:
    detail = statement.detail
    if volatile:
        why = f"a volatile default ({detail['default']}) is computed for every existing row"
    elif detail["stored"]:
        why = "a stored generated column is computed for every existing row"
    else:
        why = "an identity or serial column numbers every existing row"
    return f"Adding {statement.table}.{statement.column} rewrites the table: {why}."


def fix_pg010(statement: Statement) -> str:
    return (
        f"# 1. Add {statement.column} nullable, without the default (no rewrite).\n"
        "# 2. Set the default for new rows only: AlterField(..., db_default=<expression>).\n"
        "# 3. Fill the existing rows in batches, in a migration with atomic = False.\n"
        "# Generated columns: compute them with a trigger, or use a virtual one (PG 18+)."
    )


def no_db_default(statement: Statement, field: Any) -> str:
    column = f"{statement.table}.{statement.column}"
    if (
        field is not None
        and field.blank
        and not field.has_default()
        and field.empty_strings_allowed
    ):
        how = "Django fills the existing rows with '' (blank=True) and then drops the default"
    elif field is None or not field.has_default():
        how = "The column has no default in the database"
    else:
        how = "Django fills the existing rows with the field's default and then drops it"
    return (
        f"The NOT NULL column {column} is added without a database default. {how}, so the "
        "previous release's INSERTs, which do not name the column, fail with a NOT NULL "
        "violation."
    )


def set_not_null(statement: Statement, unit: Unit) -> str:
    text = f"SET NOT NULL on {statement.table}.{statement.column} checks every row"
    if any(s.kind == "dml" for s in unit.statements):
        text += ", after an UPDATE of the NULL rows under the same lock"
    return text + "; the previous release may still write NULL."


def drop_default(statement: Statement) -> str:
    return (
        f"The database default of {statement.table}.{statement.column} is dropped; the "
        "previous release's INSERTs that rely on it fail with a NOT NULL violation."
    )


FIX_PG009 = (
    "Keep the db_default until no running release relies on it: move this AlterField to the "
    "release after the one that stopped relying on it."
)

_VARCHAR = re.compile(r"^(?:varchar|character varying)(?:\((\d+)\))?$")
_NUMERIC = re.compile(r"^(?:numeric|decimal)(?:\((\d+)\s*(?:,\s*(\d+))?\))?$")


def binary_compatible(old: str, new: str) -> bool:
    """Whether changing a column from `old` to `new` needs no rewrite and no scan."""
    old, new = " ".join(old.lower().split()), " ".join(new.lower().split())
    if old == new:
        return True
    old_char, new_char = _VARCHAR.match(old), _VARCHAR.match(new)
    if (old_char or old == "text") and (new == "text" or (new_char and not new_char.group(1))):
        return True
    if old_char and new_char and old_char.group(1) and new_char.group(1):
        return int(new_char.group(1)) >= int(old_char.group(1))
    old_num, new_num = _NUMERIC.match(old), _NUMERIC.match(new)
    if old_num and new_num:
        if not new_num.group(1):
            return True
        if old_num.group(1):
            same_scale = (old_num.group(2) or "0") == (new_num.group(2) or "0")
            return same_scale and int(new_num.group(1)) >= int(old_num.group(1))
    # Django's connections use UTC, where this change needs no rewrite.
    return old == "timestamp without time zone" and new == "timestamp with time zone"


def alter_type(statement: Statement, old: str | None) -> str:
    change = (
        f"from {old} to {statement.detail['type']}" if old else f"to {statement.detail['type']}"
    )
    return (
        f"The type of {statement.table}.{statement.column} changes {change}, which rewrites "
        "the table and rebuilds its indexes; the previous release may not read the new type."
    )


FIX_PG011 = (
    "# Without a rewrite PostgreSQL only widens: varchar(n) to varchar(m > n) or text,\n"
    "# numeric(p, s) to numeric(p' > p, s). Otherwise, over several releases:\n"
    "# 1. add a new column (smooth.new_field) and write both,\n"
    "# 2. backfill it in batches (atomic = False),\n"
    "# 3. read the new column and deprecate the old one (smooth.deprecated_field),\n"
    "# 4. drop the old column."
)


def drop_column(statement: Statement, relaxed_by: Key | None) -> str:
    column = f"{statement.table}.{statement.column}"
    if relaxed_by is None:
        why = (
            "no earlier migration made it nullable or gave it a database default (the trace "
            "deprecated_field leaves)"
        )
    else:
        why = f"it was relaxed only in {'.'.join(relaxed_by)}, part of this same release"
    return (
        f"The column {column} is dropped, but {why}, so the previous release still selects "
        "and writes it and fails with 'column does not exist'."
    )


def fix_pg012(unit: Unit, statement: Statement) -> str:
    name = unit.operation.name if isinstance(unit.operation, RemoveField) else statement.column
    return (
        "# Release N: stop using the column, keep it in the database:\n"
        f"{name} = smooth.deprecated_field(models.<Field>(...))\n"
        "# (makemigrations writes AlterField(null=True))\n"
        "# Release N+1: delete the field; makemigrations writes this RemoveField.\n"
        "# If release N already stopped using the column (it was nullable, so deprecated_field\n"
        "# needed no migration), say so in this migration:\n"
        f'smooth.safety_assured(reason="{name} deprecated in release <N>", rules=["PG012"]),'
    )


def rename_column(statement: Statement) -> str:
    return (
        f"{statement.table}.{statement.column} is renamed to {statement.detail['new_name']}; "
        "the previous release still uses the old name and fails."
    )


def fix_pg014(unit: Unit, statement: Statement) -> str:
    if isinstance(unit.operation, RenameField):
        return (
            "# Keep the column's name, rename only in Python:\n"
            f'{unit.operation.new_name} = models.<Field>(..., db_column="{statement.column}")\n'
            "# or rename across releases: new column + sync trigger, then drop the old one\n"
            "# (see the expand/contract guide, example 4)."
        )
    if isinstance(unit.operation, AlterField):
        return f'# Keep db_column="{statement.column}" until the previous release is gone.'
    return "# Add the new column, keep both in sync with a trigger, drop the old one later."


def rename_table(statement: Statement) -> str:
    return (
        f"The table {statement.table} is renamed to {statement.name}; the previous release "
        "still uses the old name and fails."
    )


def fix_pg015(statement: Statement) -> str:
    return (
        f'# Keep the table\'s name in the model:\nclass Meta:\n    db_table = "{statement.table}"'
    )


def drop_table(statement: Statement) -> str:
    return (
        f"The table {statement.table} is dropped; the previous release fails if it still "
        "queries it (a migration cannot show whether it was deprecated)."
    )


def fix_pg013(unit: Unit, statement: Statement) -> str:
    return (
        "# Release N: keep the table, stop querying it:\n"
        "@smooth.deprecate_model\n"
        "class <Model>(models.Model): ...\n"
        "# Release N+1: delete the model; makemigrations writes the DeleteModel. Then say so\n"
        "# in that migration:\n"
        f'smooth.safety_assured(reason="{statement.table} deprecated in release <N>", '
        'rules=["PG013"]),'
    )


def truncate(statement: Statement) -> str:
    text = f"TRUNCATE {statement.table} empties the table under an ACCESS EXCLUSIVE lock"
    if statement.detail.get("cascade"):
        text += ", and CASCADE empties every table that references it"
    return text + "."


FIX_PG019 = (
    "# Delete in batches instead, in a migration with atomic = False, and never use CASCADE:\n"
    "migrations.RunSQL(\n"
    '    "DELETE FROM <table> WHERE id IN (SELECT id FROM <table> LIMIT 10000)",\n'
    "    reverse_sql=migrations.RunSQL.noop,\n"
    ")  # repeated until it deletes nothing, or a RunPython loop"
)


def rewrite(statement: Statement) -> str:
    return f"This statement rewrites {statement.table} under an ACCESS EXCLUSIVE lock."


FIX_PG018 = "Rebuild the table online (pg_repack), or do it in a maintenance window."
