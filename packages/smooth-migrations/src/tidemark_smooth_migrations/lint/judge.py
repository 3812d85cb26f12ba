"""The rules that judge each statement of each operation (PG001-PG019, PG102, PG105)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections
from django.db.migrations.operations import AddField, RunSQL

from tidemark_core import Key

from . import fixes, texts
from .analysis import Unit
from .facts import Facts
from .issues import Issue
from .names import find_field, table_of
from .statements import Statement

_NOT_NULL_CHECK = re.compile(r'^\(\s*"?([^"\s()]+)"?\s+IS\s+NOT\s+NULL\s*\)$', re.IGNORECASE)


@dataclass
class Scope:
    """One migration being judged: its key, facts, and what its earlier statements did."""

    key: Key
    facts: Facts
    atomic: bool
    trigger_fed: set[str] = field(default_factory=set)
    round_trips: set[int] = field(default_factory=set)
    issues: list[Issue] = field(default_factory=list)

    @property
    def app(self) -> str:
        return self.key[0]

    def existing(self, table: str | None) -> bool:
        """Whether `table` holds rows of earlier releases (it is not new in this one)."""
        return table is not None and not self.facts.new_table(table, self.key)

    def old_column(self, statement: Statement) -> bool:
        """Whether the statement's column existed before this release."""
        return not self.facts.new_column(statement.table, statement.column, self.key)

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)


Rule = Callable[[Scope, Unit, Statement, int], None]


def judge_unit(scope: Scope, unit: Unit) -> None:
    """Judge every statement of `unit`, and record what it creates and relaxes."""
    if unit.error is not None:
        scope.add(Issue("PG105", unit, texts.unreadable(unit.error), texts.FIX_PG105))
    for position, statement in enumerate(unit.statements):
        if statement.concurrently and scope.atomic:
            scope.add(Issue.at("PG102", unit, statement, texts.IN_TRANSACTION, texts.FIX_PG102))
        rule = RULES.get(statement.kind)
        if rule is not None:
            rule(scope, unit, statement, position)


def _create_table(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if statement.table:
        scope.facts.tables.setdefault(statement.table, scope.key)


def _create_index(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if not scope.existing(statement.table):
        return
    if statement.concurrently:
        if (14, 0) <= scope.facts.server_version < (14, 4):
            scope.add(Issue.at("PG001", unit, statement, texts.BROKEN_CIC, texts.FIX_CIC))
        return
    if statement.detail.get("unique"):
        scope.add(
            Issue.at(
                "PG003",
                unit,
                statement,
                texts.unique_index(statement),
                fixes.unique(scope.app, unit, statement),
            )
        )
    else:
        scope.add(
            Issue.at(
                "PG001",
                unit,
                statement,
                texts.index(statement),
                fixes.add_index(scope.app, unit, statement),
            )
        )


def _drop_index(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    table = statement.table or _operation_table(unit)
    if statement.concurrently or (table is not None and not scope.existing(table)):
        return
    issue = Issue.at(
        "PG002",
        unit,
        statement,
        texts.drop_index(statement),
        fixes.remove_index(scope.app, unit, statement),
    )
    issue.table = table
    issue.effect = issue.effect.replace("the table", table or "the table")
    scope.add(issue)


def _reindex(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if not statement.concurrently:
        scope.add(Issue.at("PG017", unit, statement, texts.REINDEX, texts.FIX_PG017))


def _add_column(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    detail, table = statement.detail, statement.table
    if scope.existing(table):
        _column_rewrite(scope, unit, statement)
        if detail["unique"]:
            primary = "PRIMARY KEY" in statement.sql.upper()
            scope.add(
                Issue.at(
                    "PG004" if primary else "PG003",
                    unit,
                    statement,
                    texts.inline_unique(statement),
                    texts.FIX_PG004 if primary else fixes.unique(scope.app, unit, statement),
                    cost="build",
                )
            )
        if detail["check"]:
            scope.add(
                Issue.at(
                    "PG006",
                    unit,
                    statement,
                    texts.inline_check(statement),
                    fixes.check(scope.app, unit, statement),
                    cost="scan",
                )
            )
        if detail["references"] and detail["default"] is not None:
            scope.add(
                Issue.at(
                    "PG005",
                    unit,
                    statement,
                    texts.inline_fk(statement),
                    fixes.foreign_key(scope.app, unit, statement),
                    cost="scan",
                    referenced=detail["references"],
                )
            )
        _not_null_without_default(scope, unit, statement, position)
    if table and statement.column:
        scope.facts.columns.setdefault((table, statement.column), scope.key)


def _column_rewrite(scope: Scope, unit: Unit, statement: Statement) -> None:
    detail = statement.detail
    default = detail["default"]
    volatile = default is not None and scope.facts.volatile(default)
    if detail["identity"] or detail["stored"] or volatile:
        scope.add(
            Issue.at(
                "PG010",
                unit,
                statement,
                texts.rewrite_column(statement, volatile),
                texts.fix_pg010(statement),
                cost="rewrite",
            )
        )


def _not_null_without_default(
    scope: Scope, unit: Unit, statement: Statement, position: int
) -> None:
    detail = statement.detail
    if not detail["not_null"] or detail["identity"] or detail["stored"]:
        return
    if statement.table in scope.trigger_fed:
        return  # only triggers write it, and this migration replaces them
    default = detail["default"]
    dropped = any(
        later.kind == "drop_default" and later.column == statement.column
        for later in unit.statements[position + 1 :]
    )
    if default is None or default.upper() == "NULL" or dropped:
        field_ = unit.operation.field if isinstance(unit.operation, AddField) else None
        scope.add(
            Issue.at(
                "PG008",
                unit,
                statement,
                texts.no_db_default(statement, field_),
                fixes.db_default(unit),
            )
        )


def _add_constraint(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    detail = statement.detail
    _remember_not_null_check(scope, statement)
    if not scope.existing(statement.table) or detail["not_valid"] or detail["using_index"]:
        return
    kind = detail["type"]
    if kind in ("unique", "primary key"):
        code = "PG003" if kind == "unique" else "PG004"
        fix = fixes.unique(scope.app, unit, statement) if kind == "unique" else texts.FIX_PG004
        scope.add(Issue.at(code, unit, statement, texts.constraint(statement), fix))
    elif kind == "foreign key":
        scope.add(
            Issue.at(
                "PG005",
                unit,
                statement,
                texts.constraint(statement),
                fixes.foreign_key(scope.app, unit, statement),
                referenced=detail["references"],
            )
        )
    elif kind == "check":
        scope.add(
            Issue.at(
                "PG006",
                unit,
                statement,
                texts.constraint(statement),
                fixes.check(scope.app, unit, statement),
            )
        )
    elif kind == "exclude":
        scope.add(Issue.at("PG016", unit, statement, texts.constraint(statement), texts.FIX_PG016))


def _remember_not_null_check(scope: Scope, statement: Statement) -> None:
    match = _NOT_NULL_CHECK.match(statement.detail.get("expression") or "")
    if not match or not statement.table:
        return
    column = (statement.table, match.group(1).strip('"').lower())
    if statement.detail["not_valid"]:
        if statement.name:
            scope.facts.checks[statement.name] = column
    else:
        scope.facts.valid_not_null.add(column)


def _validate(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    column = scope.facts.checks.get(statement.name or "")
    if column is not None:
        scope.facts.valid_not_null.add(column)


def _set_not_null(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if not scope.existing(statement.table) or not scope.old_column(statement):
        return
    column = (statement.table or "", statement.column or "")
    if column in scope.facts.valid_not_null and scope.facts.server_version >= (12, 0):
        return
    scope.add(
        Issue.at(
            "PG007",
            unit,
            statement,
            texts.set_not_null(statement, unit),
            fixes.not_null(scope.app, unit, statement),
        )
    )


def _drop_not_null(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if statement.table and statement.column:
        scope.facts.relaxed[(statement.table, statement.column)] = scope.key


def _drop_default(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if not scope.existing(statement.table) or not scope.old_column(statement):
        return
    earlier = unit.statements[:position]
    if any(
        s.column == statement.column and s.kind in ("set_default", "add_column") for s in earlier
    ):
        return  # a default Django set for this operation only
    found = find_field(unit.to_state, statement.table or "", statement.column or "")
    if found is not None and found[2].null:
        return
    scope.add(Issue.at("PG009", unit, statement, texts.drop_default(statement), texts.FIX_PG009))


def _alter_type(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if not scope.existing(statement.table) or not scope.old_column(statement):
        return
    old = _old_type(scope, unit, statement)
    if old is not None and texts.binary_compatible(old, statement.detail["type"]):
        return
    scope.add(Issue.at("PG011", unit, statement, texts.alter_type(statement, old), texts.FIX_PG011))


def _old_type(scope: Scope, unit: Unit, statement: Statement) -> str | None:
    found = find_field(unit.from_state, statement.table or "", statement.column or "")
    if found is None:
        return None
    model_state, name, _field = found
    model = unit.from_state.apps.get_model(model_state.app_label, model_state.name)
    db_type = model._meta.get_field(name).db_type(connections[scope.facts.using])
    return str(db_type) if db_type else None


def _drop_column(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if not scope.existing(statement.table) or not scope.old_column(statement):
        return
    relaxed_by = scope.facts.relaxed.get((statement.table or "", statement.column or ""))
    if relaxed_by is not None and not scope.facts.same_release(relaxed_by, scope.key):
        return  # deprecated (made nullable or given a default) by an earlier release
    scope.add(
        Issue.at(
            "PG012",
            unit,
            statement,
            texts.drop_column(statement, relaxed_by),
            texts.fix_pg012(unit, statement),
        )
    )


def _rename_column(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if id(statement) in scope.round_trips:
        return
    if scope.existing(statement.table) and scope.old_column(statement):
        scope.add(
            Issue.at(
                "PG014",
                unit,
                statement,
                texts.rename_column(statement),
                texts.fix_pg014(unit, statement),
            )
        )


def _rename_table(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if scope.existing(statement.table) and id(statement) not in scope.round_trips:
        scope.add(
            Issue.at(
                "PG015", unit, statement, texts.rename_table(statement), texts.fix_pg015(statement)
            )
        )
    if statement.table and statement.name and statement.table in scope.facts.tables:
        scope.facts.tables[statement.name] = scope.facts.tables[statement.table]


def _drop_table(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if scope.existing(statement.table):
        scope.add(
            Issue.at(
                "PG013",
                unit,
                statement,
                texts.drop_table(statement),
                texts.fix_pg013(unit, statement),
            )
        )


def _truncate(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if scope.existing(statement.table):
        scope.add(Issue.at("PG019", unit, statement, texts.truncate(statement), texts.FIX_PG019))


def _rewrite(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if scope.existing(statement.table):
        scope.add(Issue.at("PG018", unit, statement, texts.rewrite(statement), texts.FIX_PG018))


def _unreadable(scope: Scope, unit: Unit, statement: Statement, position: int) -> None:
    if isinstance(unit.operation, RunSQL) or statement.kind == "opaque":
        scope.add(Issue.at("PG105", unit, statement, texts.unparsed(statement), texts.FIX_PG105))


def _operation_table(unit: Unit) -> str | None:
    model_name = getattr(unit.operation, "model_name_lower", None)
    model_state = unit.from_state.models.get((unit.app_label, model_name or ""))
    return table_of(model_state) if model_state is not None else None


RULES: dict[str, Rule] = {
    "create_table": _create_table,
    "create_index": _create_index,
    "drop_index": _drop_index,
    "reindex": _reindex,
    "add_column": _add_column,
    "add_constraint": _add_constraint,
    "validate_constraint": _validate,
    "set_not_null": _set_not_null,
    "drop_not_null": _drop_not_null,
    "drop_default": _drop_default,
    "alter_type": _alter_type,
    "drop_column": _drop_column,
    "rename_column": _rename_column,
    "rename_table": _rename_table,
    "drop_table": _drop_table,
    "truncate": _truncate,
    "rewrite": _rewrite,
    "unknown": _unreadable,
    "opaque": _unreadable,
}
