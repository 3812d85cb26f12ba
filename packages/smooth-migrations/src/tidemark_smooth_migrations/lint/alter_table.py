"""The actions of one ``ALTER TABLE`` statement, each with its lock and cost."""

from __future__ import annotations

import re
from typing import Any

from .sqlscan import IDENTIFIER, QUALIFIED, split_top_level, strip_literals, unquote
from .statements import AE, SRE, SUE, Statement

_FLAGS = re.IGNORECASE | re.DOTALL
_COLUMN_KEYWORDS = (
    r"NOT\s+NULL|NULL|CHECK|UNIQUE|PRIMARY\s+KEY|REFERENCES|GENERATED|CONSTRAINT|COLLATE|"
    r"DEFERRABLE|NOT\s+DEFERRABLE|INITIALLY"
)


def classify_actions(sql: str, table: str, actions: str, *, if_exists: bool) -> list[Statement]:
    """One `Statement` per comma-separated action of ``ALTER TABLE table actions``."""
    found = []
    for action in split_top_level(actions):
        found.append(_action(sql, table, action, if_exists))
    return found


def _action(sql: str, table: str, action: str, if_exists: bool) -> Statement:
    for pattern, handler in _ACTIONS:
        match = pattern.match(action)
        if match:
            statement: Statement = handler(sql, table, match)
            return statement
    return Statement(sql, "unknown", table=table, lock=AE, cost="brief")


def _add_column(sql: str, table: str, match: re.Match[str]) -> Statement:
    column = unquote(match.group(2))
    definition = match.group(3)
    bare = strip_literals(definition)
    type_match = re.match(rf"(.*?)(?=\s+(?:{_COLUMN_KEYWORDS}|DEFAULT)\b|$)", bare, _FLAGS)
    column_type = (type_match.group(1) if type_match else bare).strip().lower()
    default_match = re.search(rf"\bDEFAULT\s+(.+?)(?=\s+(?:{_COLUMN_KEYWORDS})\b|$)", bare, _FLAGS)
    references = re.search(rf"\bREFERENCES\s+({QUALIFIED})", bare, _FLAGS)
    detail: dict[str, Any] = {
        "type": column_type,
        "not_null": bool(re.search(r"\bNOT\s+NULL\b", bare, _FLAGS))
        or bool(re.search(r"\bPRIMARY\s+KEY\b", bare, _FLAGS)),
        "default": default_match.group(1).strip() if default_match else None,
        "references": unquote(references.group(1)) if references else None,
        "check": bool(re.search(r"\bCHECK\s*\(", bare, _FLAGS)),
        "unique": bool(re.search(r"\b(UNIQUE|PRIMARY\s+KEY)\b", bare, _FLAGS)),
        "identity": bool(re.search(r"\bGENERATED\s+.*?\bAS\s+IDENTITY\b", bare, _FLAGS))
        or column_type in ("serial", "bigserial", "smallserial", "serial4", "serial8"),
        "stored": bool(re.search(r"\bGENERATED\s+ALWAYS\s+AS\s*\(.*\)\s*STORED\b", bare, _FLAGS)),
    }
    cost = "brief"
    # Existing rows are checked against a new CHECK, and against a new foreign key when
    # they get a value (a nullable column without default is all NULL: nothing to check).
    if detail["check"] or (detail["references"] and detail["default"] is not None):
        cost = "scan"
    if detail["unique"]:
        cost = "build"
    if detail["identity"] or detail["stored"]:
        cost = "rewrite"
    return Statement(
        sql,
        "add_column",
        table=table,
        column=column,
        lock=AE,
        cost=cost,
        idempotent=bool(match.group(1)),
        detail=detail,
    )


def _drop_column(sql: str, table: str, match: re.Match[str]) -> Statement:
    return Statement(
        sql,
        "drop_column",
        table=table,
        column=unquote(match.group(2)),
        lock=AE,
        cost="brief",
        idempotent=bool(match.group(1)),
    )


def _alter_column(sql: str, table: str, match: re.Match[str]) -> Statement:
    column = unquote(match.group(1))
    rest = match.group(2).strip()
    upper = " ".join(strip_literals(rest).upper().split())
    if upper.startswith(("TYPE ", "SET DATA TYPE ")):
        body = re.sub(r"(?i)^(SET\s+DATA\s+)?TYPE\s+", "", rest)
        using = re.search(r"\bUSING\b", strip_literals(body), _FLAGS)
        new_type = re.split(r"(?i)\s+(?:USING|COLLATE)\b", body)[0].strip().lower()
        detail = {"type": new_type, "using": bool(using)}
        return Statement(
            sql, "alter_type", table=table, column=column, lock=AE, cost="rewrite", detail=detail
        )
    simple = {
        "DROP DEFAULT": ("drop_default", AE, "brief"),
        "SET NOT NULL": ("set_not_null", AE, "scan"),
        "DROP NOT NULL": ("drop_not_null", AE, "brief"),
        "DROP IDENTITY": ("drop_identity", AE, "brief"),
        "DROP EXPRESSION": ("drop_expression", AE, "brief"),
    }
    for prefix, (kind, lock, cost) in simple.items():
        if upper.startswith(prefix):
            return Statement(
                sql,
                kind,
                table=table,
                column=column,
                lock=lock,
                cost=cost,
                idempotent=kind in ("drop_default", "drop_not_null"),
            )
    if upper.startswith("SET DEFAULT"):
        default = re.sub(r"(?i)^SET\s+DEFAULT\s+", "", rest)
        return Statement(
            sql,
            "set_default",
            table=table,
            column=column,
            lock=AE,
            cost="brief",
            idempotent=True,
            detail={"default": default},
        )
    if upper.startswith("ADD GENERATED"):
        return Statement(sql, "add_identity", table=table, column=column, lock=AE, cost="brief")
    if upper.startswith(("SET STATISTICS", "SET STORAGE", "SET (", "RESET (", "SET COMPRESSION")):
        return Statement(sql, "harmless", table=table, column=column, lock=SUE, cost="brief")
    return Statement(sql, "unknown", table=table, column=column, lock=AE, cost="brief")


def _add_constraint(sql: str, table: str, match: re.Match[str]) -> Statement:
    name = unquote(match.group(1)) if match.group(1) else None
    body = match.group(2)
    bare = " ".join(strip_literals(body).split())
    upper = bare.upper()
    not_valid = bool(re.search(r"\bNOT\s+VALID\s*$", upper))
    using_index = re.search(rf"\bUSING\s+INDEX\s+({IDENTIFIER})", bare, _FLAGS)
    detail: dict[str, Any] = {"not_valid": not_valid, "using_index": None, "references": None}
    if upper.startswith("FOREIGN KEY"):
        constraint = "foreign key"
        references = re.search(rf"\bREFERENCES\s+({QUALIFIED})", bare, _FLAGS)
        detail["references"] = unquote(references.group(1)) if references else None
        columns = re.match(r"FOREIGN\s+KEY\s*\((.*?)\)", bare, _FLAGS)
        detail["columns"] = (
            [unquote(c) for c in split_top_level(columns.group(1))] if columns else []
        )
        lock, cost = SRE, "brief" if not_valid else "scan"
    elif upper.startswith("CHECK"):
        constraint = "check"
        detail["expression"] = re.sub(r"(?i)\s+NOT\s+VALID\s*$", "", body[body.find("(") :]).strip()
        lock, cost = AE, "brief" if not_valid else "scan"
    elif upper.startswith(("UNIQUE", "PRIMARY KEY")):
        constraint = "unique" if upper.startswith("UNIQUE") else "primary key"
        if using_index:
            detail["using_index"] = unquote(using_index.group(1))
            lock, cost = AE, "brief"
        else:
            lock, cost = AE, "build"
    elif upper.startswith("EXCLUDE"):
        constraint = "exclude"
        lock, cost = AE, "build"
    else:
        constraint = "unknown"
        lock, cost = AE, "brief"
    detail["type"] = constraint
    return Statement(
        sql, "add_constraint", table=table, name=name, lock=lock, cost=cost, detail=detail
    )


def _simple(kind: str, lock: str, cost: str, *, column: bool = False) -> Any:
    def handler(sql: str, table: str, match: re.Match[str]) -> Statement:
        groups = [group for group in match.groups() if group]
        name = unquote(groups[-1]) if groups and not column else None
        idempotent = bool(re.search(r"\bIF\s+EXISTS\b", match.group(0), re.IGNORECASE))
        return Statement(
            sql,
            kind,
            table=table,
            name=name,
            column=unquote(groups[0]) if column and groups else None,
            lock=lock,
            cost=cost,
            idempotent=idempotent,
            detail={"new_name": unquote(groups[-1])} if column else {},
        )

    return handler


_ACTIONS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(
            rf"ADD\s+(?:COLUMN\s+)?(IF\s+NOT\s+EXISTS\s+)?(?!CONSTRAINT\b|CHECK\b|UNIQUE\b|PRIMARY\b|FOREIGN\b|EXCLUDE\b)({IDENTIFIER})\s+(.*)",
            _FLAGS,
        ),
        _add_column,
    ),
    (
        re.compile(
            rf"DROP\s+(?:COLUMN\s+)?(IF\s+EXISTS\s+)?(?!CONSTRAINT\b)({IDENTIFIER})", _FLAGS
        ),
        _drop_column,
    ),
    (
        re.compile(rf"ALTER\s+(?:COLUMN\s+)?(?!CONSTRAINT\b)({IDENTIFIER})\s+(.*)", _FLAGS),
        _alter_column,
    ),
    (re.compile(rf"ADD\s+(?:CONSTRAINT\s+({IDENTIFIER})\s+)?(.*)", _FLAGS), _add_constraint),
    (
        re.compile(rf"VALIDATE\s+CONSTRAINT\s+({IDENTIFIER})", _FLAGS),
        _simple("validate_constraint", SUE, "scan"),
    ),
    (
        re.compile(rf"DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?({IDENTIFIER})", _FLAGS),
        _simple("drop_constraint", AE, "brief"),
    ),
    (
        re.compile(rf"RENAME\s+CONSTRAINT\s+({IDENTIFIER})\s+TO\s+({IDENTIFIER})", _FLAGS),
        _simple("harmless", AE, "brief"),
    ),
    (re.compile(rf"RENAME\s+TO\s+({IDENTIFIER})", _FLAGS), _simple("rename_table", AE, "brief")),
    (
        re.compile(rf"RENAME\s+(?:COLUMN\s+)?({IDENTIFIER})\s+TO\s+({IDENTIFIER})", _FLAGS),
        _simple("rename_column", AE, "brief", column=True),
    ),
    (
        re.compile(r"SET\s+(?:TABLESPACE|LOGGED|UNLOGGED|ACCESS\s+METHOD)\b", _FLAGS),
        _simple("rewrite", AE, "rewrite"),
    ),
    (
        re.compile(r"(?:ENABLE|DISABLE)\s+(?:(?:REPLICA|ALWAYS)\s+)?TRIGGER\b", _FLAGS),
        _simple("harmless", SRE, "brief"),
    ),
    (
        re.compile(
            r"(?:SET\s*\(|RESET\s*\(|CLUSTER\s+ON|SET\s+WITHOUT\s+CLUSTER|SET\s+STATISTICS)", _FLAGS
        ),
        _simple("harmless", SUE, "brief"),
    ),
    (
        re.compile(
            r"(?:OWNER\s+TO|REPLICA\s+IDENTITY|(?:ENABLE|DISABLE|FORCE|NO\s+FORCE)\s+ROW\s+LEVEL|SET\s+SCHEMA)\b",
            _FLAGS,
        ),
        _simple("harmless", AE, "brief"),
    ),
    (re.compile(r"(?:ATTACH|DETACH)\s+PARTITION\b", _FLAGS), _simple("partition", AE, "scan")),
]
