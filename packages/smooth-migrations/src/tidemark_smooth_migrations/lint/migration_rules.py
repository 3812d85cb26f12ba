"""The rules that judge a migration as a whole (PG100, PG101, PG103, PG104, PG106)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.migrations import Migration
from django.db.migrations.operations import AddField, AlterField, RunPython, RunSQL

from tidemark_core import Key

from .analysis import Unit, relaxed
from .facts import Facts
from .issues import Issue, effect
from .judge import Scope, judge_unit
from .names import column_of, table_of
from .statements import Statement

_LOCK_TIMEOUT_OFF = ("0", "0ms", "0s", "default")


def judge_migration(key: Key, migration: Migration, units: list[Unit], facts: Facts) -> list[Issue]:
    """Every issue of one migration, its statements' and its own."""
    scope = Scope(key, facts, bool(migration.atomic), trigger_fed=_trigger_fed(units))
    if scope.atomic:
        scope.round_trips = _round_trips(units)
    for unit in units:
        _record_relaxed(scope, unit)
        judge_unit(scope, unit)
        _operation_rules(scope, unit)
    for rule in MIGRATION_RULES:
        rule(scope, units)
    return scope.issues


def _trigger_fed(units: list[Unit]) -> set[str]:
    # Tables that functions (re)created by this migration insert into: trigger-written
    # tables such as history's event tables, whose writers change with their columns.
    fed: set[str] = set()
    for unit in units:
        for statement in unit.statements:
            if statement.kind == "create_function":
                fed.update(statement.detail["inserts"])
    return fed


def _round_trips(units: list[Unit]) -> set[int]:
    # Renames undone later in the same transaction (Django renames a table and back when
    # only the model's name changes): the running release never sees the other name.
    renames = [
        s for unit in units for s in unit.statements if s.kind in ("rename_table", "rename_column")
    ]
    undone: set[int] = set()
    for index, first in enumerate(renames):
        origin, current = _rename_ends(first)
        chain = [first]
        for later in renames[index + 1 :]:
            if (
                later.kind == first.kind
                and _rename_ends(later)[0] == current
                and (first.kind == "rename_table" or later.table == first.table)
            ):
                chain.append(later)
                current = _rename_ends(later)[1]
                if current == origin:
                    undone.update(id(statement) for statement in chain)
                    break
    return undone


def _rename_ends(statement: Statement) -> tuple[str | None, str | None]:
    if statement.kind == "rename_table":
        return statement.table, statement.name
    return statement.column, statement.detail.get("new_name")


def _record_relaxed(scope: Scope, unit: Unit) -> None:
    operation = unit.operation
    if not isinstance(operation, AlterField):
        return
    model_state = unit.from_state.models[unit.app_label, operation.model_name_lower]
    if relaxed(model_state.fields[operation.name], operation.field):
        column = (table_of(model_state), column_of(operation.name, operation.field))
        scope.facts.relaxed[column] = scope.key


def _operation_rules(scope: Scope, unit: Unit) -> None:
    operation = unit.operation
    if not isinstance(operation, AddField):
        return
    field = operation.field
    model_state = unit.to_state.models.get((unit.app_label, operation.model_name_lower))
    table = table_of(model_state) if model_state is not None else None
    if field.unique and callable(field.default) and scope.existing(table):
        scope.add(
            Issue(
                "PG106",
                unit,
                f"{table}.{operation.name} is unique and its default is a callable: Django calls "
                "it once and gives every existing row the same value, so the unique index fails "
                "as soon as the table has two rows.",
                "# Django's three steps (docs: 'Migrations that add unique fields'):\n"
                f'# 1. AddField("{operation.model_name}", "{operation.name}", '
                "<field>(null=True)),\n"
                "# 2. a RunPython (atomic = False) that gives each row its own value, in batches,\n"
                "# 3. AlterField to unique=True, null=False (see PG003 and PG007 for doing\n"
                "#    that step without long locks).",
                table=table,
            )
        )


def _irreversible(scope: Scope, units: list[Unit]) -> None:
    seen: set[int] = set()
    for unit in units:
        operation = unit.operation
        if operation.reversible or unit.position in seen:
            continue
        seen.add(unit.position)
        if isinstance(operation, RunPython):
            kind = "RunPython without reverse_code"
        elif isinstance(operation, RunSQL):
            kind = "RunSQL without reverse_sql"
        else:
            kind = f"{type(operation).__name__}, which cannot be reversed"
        scope.add(
            Issue(
                "PG104",
                unit,
                f"Operation {unit.position} is a {kind}: apply_migrations cannot roll this "
                "migration back if a later one fails, and a rollback to an earlier release "
                "stops here.",
                "migrations.RunSQL(<sql>, reverse_sql=<sql that undoes it>)\n"
                "migrations.RunPython(<forwards>, reverse_code=<backwards>)\n"
                "# nothing to undo: reverse_sql=migrations.RunSQL.noop, "
                "reverse_code=migrations.RunPython.noop",
            )
        )


def _blocking(scope: Scope, statement: Statement) -> bool:
    return statement.blocking and scope.existing(statement.table)


def _lock_timeout(scope: Scope, units: list[Unit]) -> None:
    if scope.facts.lock_timeout:
        return
    for unit in units:
        for statement in unit.statements:
            if statement.kind == "set" and statement.name == "lock_timeout":
                if statement.detail["value"].lower() not in _LOCK_TIMEOUT_OFF:
                    return
            elif _blocking(scope, statement):
                scope.add(
                    Issue.at(
                        "PG100",
                        unit,
                        statement,
                        "The migration takes locks without a lock_timeout: a lock request "
                        "waits behind any open transaction on the table for as long as it runs.",
                        "# Run migrations with a lock_timeout (1 to 5 s) and retry on timeout,\n"
                        "# e.g. per migration, as its first operation:\n"
                        "migrations.RunSQL(\"SET LOCAL lock_timeout = '2s'\", "
                        "reverse_sql=migrations.RunSQL.noop),\n"
                        "# or for the migration role: ALTER ROLE <role> SET lock_timeout = '2s';",
                        cost="brief",
                    )
                )
                return


def _held_across(scope: Scope, units: list[Unit]) -> None:
    if not scope.atomic:
        return
    held: list[tuple[Unit, Statement]] = []
    for unit in units:
        long_steps = [s for s in unit.statements if _long(scope, s)]
        for statement in unit.statements:
            if (unit.python or statement in long_steps) and _report_held(scope, unit, held):
                return
            if _blocking(scope, statement):
                held.append((unit, statement))
        if unit.python and _report_held(scope, unit, held):
            return


def _long(scope: Scope, statement: Statement) -> bool:
    if not statement.long or not scope.existing(statement.table):
        return False
    # SET NOT NULL skips its scan when a validated CHECK (column IS NOT NULL) exists.
    column = (statement.table or "", statement.column or "")
    return not (statement.kind == "set_not_null" and column in scope.facts.valid_not_null)


def _report_held(scope: Scope, unit: Unit, held: list[tuple[Unit, Statement]]) -> bool:
    own_sql = isinstance(unit.operation, RunSQL)
    earlier = [(u, s) for u, s in held if u is not unit or own_sql]
    if not earlier:
        return False
    first_unit, first = earlier[0]
    what = "runs Python" if unit.python else "takes time that grows with the table"
    scope.add(
        Issue(
            "PG101",
            unit,
            f"The {first.lock} lock on {first.table} taken by operation {first_unit.position} "
            f"is held until the migration commits, while operation {unit.position} {what}.",
            "# One lock-taking operation per migration; move the long step (index build,\n"
            "# backfill, RunPython) to a migration of its own, batched and with atomic = False\n"
            "# for data changes.",
            table=first.table,
            lock=first.lock,
            effect=effect(first.lock, "data", first.table or "the table"),
        )
    )
    return True


def _non_atomic(scope: Scope, units: list[Unit]) -> None:
    if scope.atomic:
        return
    positions = {u.position for u in units if u.python or u.statements}
    if len(positions) < 2:
        return
    if all(_idempotent(unit) for unit in units):
        return
    scope.add(
        Issue(
            "PG103",
            None,
            f"The migration is not atomic and runs {len(positions)} operations: if one fails, "
            "the ones before it stay applied, Django does not record the migration, and running "
            "it again fails on what already exists.",
            "# One operation per non-atomic migration, or only operations that can run again\n"
            "# (IF NOT EXISTS / IF EXISTS, smooth.AddIndexConcurrently and the other safe\n"
            "# operations of tidemark_smooth_migrations).",
        )
    )


def _idempotent(unit: Unit) -> bool:
    if getattr(unit.operation, "idempotent", False):
        return True
    if unit.python:
        return False
    return all(s.idempotent or s.kind in ("harmless", "set") for s in unit.statements)


MIGRATION_RULES: list[Callable[[Scope, list[Unit]], None]] = [
    _irreversible,
    _lock_timeout,
    _held_across,
    _non_atomic,
]
