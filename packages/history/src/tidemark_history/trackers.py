"""Trackers: which changes of a tracked model become events, as statement-level triggers.

Each tracker becomes one ``AFTER ... FOR EACH STATEMENT`` trigger with a transition table,
so a bulk statement writes its events with one ``INSERT ... SELECT`` instead of one trigger
call per row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import pgtrigger
from django.db import models

from .exceptions import TrackingError
from .triggers import Trigger, trigger_name

if TYPE_CHECKING:
    from .tracking import EventSpec

NEW_TABLE = "tidemark_new"
OLD_TABLE = "tidemark_old"
_SETTING = "current_setting('tidemark_history.context', true)"
# The context of the statement, read through the functions of `tidemark_history.sql` in a
# scalar subquery (evaluated once per statement). PL/pgSQL plans a statement when it first
# runs it: the statements that name the functions run only when a context is set, so
# writes without one, and a database whose tidemark_history migrations have not created
# the functions yet, never need them.
_WITH_CONTEXT = f"{_SETTING} <> ''"
_CONTEXT_ID = "(SELECT tidemark_history_current_context())"
# After the events: the context row is written once, only when events were recorded, and
# only while the setting still carries the metadata (a bare id names a stored row).
_STORE_CONTEXT = (
    "IF {recorded} AND left(" + _SETTING + ", 1) = '{{' THEN\n"
    "    PERFORM tidemark_history_store_context();\n"
    "END IF;\n"
)
# The same outside a trigger: the id as an SQL expression, and the statement that stores
# the row for code that inserts events itself (create_event(), the backfill).
CONTEXT_EXPRESSION = "tidemark_history_current_context()"
STORE_CONTEXT_SQL = (
    "SELECT tidemark_history_store_context() "
    "WHERE left(current_setting('tidemark_history.context', true), 1) = '{'"
)

# django-pghistory's dotted labels ("group.add", "model.create") are accepted.
_LABEL = re.compile(r"^[a-z][a-z0-9_.-]*$")


class Changed(pgtrigger.Condition):
    """Condition: at least one of `fields` changed (all tracked fields when none is named).

    "Tracked fields" are the fields `track()` copies into the events: a field left out with
    ``track(exclude=...)``, or a parent's field on a multi-table-inheritance child, does not
    make an event.

    Args:
        *fields: Names of fields of the tracked model's own table.
        exclude: Fields whose changes alone do not make an event.
        exclude_auto: Leave out ``auto_now`` and ``auto_now_add`` fields, so an update
            that only touches a modification timestamp makes no event.

    Raises:
        TrackingError: A name is not a string.
    """

    def __init__(
        self, *fields: str, exclude: Sequence[str] | None = None, exclude_auto: bool = False
    ) -> None:
        for name in (*fields, *(exclude or ())):
            if not isinstance(name, str):
                raise TrackingError(
                    f"{type(self).__name__}(...): field names are strings; got {name!r}."
                )
        if isinstance(exclude, str):
            raise TrackingError(
                f"{type(self).__name__}(exclude={exclude!r}): exclude is a list of field "
                f"names, e.g. exclude=[{exclude!r}]."
            )
        self.fields = fields
        self.exclude = tuple(exclude or ())
        self.exclude_auto = exclude_auto
        self.sql = "changed"

    def resolve(self, model: type[models.Model]) -> str:
        """The SQL of the condition for `model`'s own table (all its fields when none is named)."""
        return self.columns_sql(model, [field.name for field in _own_fields(model)])

    def columns_sql(self, model: type[models.Model], tracked: Sequence[str]) -> str:
        """The SQL of the condition, `tracked` being the names used when none is named."""
        own = {field.name: field for field in _own_fields(model)}
        for name in (*self.fields, *self.exclude):
            if name not in own:
                raise TrackingError(
                    f"{type(self).__name__}({name!r}): {model.__name__} has no field "
                    f"{name!r} in its own table. Choose among {sorted(own)}."
                )
        names = [name for name in (self.fields or tracked) if name not in self.exclude]
        if self.exclude_auto:
            names = [
                name
                for name in names
                if not getattr(own[name], "auto_now", False)
                and not getattr(own[name], "auto_now_add", False)
            ]
        columns = [own[name].column for name in names]
        if not columns:
            return "FALSE"
        old = ", ".join(f'OLD."{column}"' for column in columns)
        new = ", ".join(f'NEW."{column}"' for column in columns)
        return f"(ROW({old}) IS DISTINCT FROM ROW({new}))"


class AnyChange(Changed):
    """django-pghistory's and django-pgtrigger's spelling of `Changed`.

    ``AnyChange()`` means any tracked field (pgtrigger's means every column of the table),
    so ``UpdateEvent(condition=AnyChange(exclude_auto=True))`` ported from django-pghistory
    records what it recorded there.
    """


def _own_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    from .tracking import state_fields

    return state_fields(model)


class Tracker:
    """Base class of the trackers passed to `track()`."""

    label: str = ""

    def __init__(self, label: str | None = None) -> None:
        label = self.label if label is None else label
        if not isinstance(label, str) or not _LABEL.match(label) or len(label) > 40:
            raise TrackingError(
                f"{type(self).__name__}: the label {label!r} must be a string of lowercase "
                "letters, digits, underscores, dots and hyphens, start with a letter and "
                'have at most 40 characters (e.g. "insert", "group.add").'
            )
        self.label = label

    def triggers(self, spec: EventSpec) -> list[pgtrigger.Trigger]:
        """The triggers that record this tracker's events (none for manual events)."""
        return []


def _trigger_name(spec: EventSpec, label: str) -> str:
    # Several decorators on one model each get their own triggers.
    return trigger_name(label, spec.suffix)


def _rewrite(condition_sql: str) -> str:
    """Point a row-level condition (``OLD."col"``, ``NEW.*``) at the transition tables."""
    return re.sub(r"\b(OLD|NEW)\.", lambda m: f"_{m.group(1).lower()}.", condition_sql, flags=re.I)


def _insert_sql(spec: EventSpec, label: str, source: str, context: str, rest: str) -> str:
    """``INSERT INTO`` the event table ``SELECT`` the rows of `source`, then `rest`."""
    alias = _alias(source)
    columns = "".join(f', "{column}"' for column in spec.copied_columns)
    values = "".join(f', {alias}."{column}"' for column in spec.copied_columns)
    return (
        f'INSERT INTO "{spec.event_table}" '
        f"(history_label, history_object_id, history_context_id{columns})\n"
        f"SELECT '{label}', {alias}.\"{spec.pk_column}\", {context}{values} "
        f"FROM {source} AS {alias}{rest}"
    )


def _alias(table: str) -> str:
    return "_new" if table == NEW_TABLE else "_old"


def _row_events(spec: EventSpec, label: str, source: str) -> str:
    """The function of an insert or delete trigger: one event per row of `source`.

    Its statements use no PL/pgSQL variable, so PostgreSQL plans each once per session
    (a generic plan, whose shape does not depend on how many rows a statement changed)
    instead of planning it again at every call.
    """
    return (
        f"IF {_WITH_CONTEXT} THEN\n"
        f"{_insert_sql(spec, label, source, _CONTEXT_ID, ';')}\n"
        f"{_STORE_CONTEXT.format(recorded='FOUND')}"
        "ELSE\n"
        f"{_insert_sql(spec, label, source, 'NULL', ';')}\n"
        "END IF;\n"
        "RETURN NULL;"
    )


def _changed_events(spec: EventSpec, label: str, source: str, condition: str) -> str:
    """The function of an update trigger: an event per row of `source` where `condition` holds.

    A row whose old and new versions cannot be paired by primary key always makes one.
    PostgreSQL keeps one plan per statement of a trigger function for the session, planned
    for the transition tables' size of one call; a join planned for one row (a nested
    loop) takes quadratic time on a bulk update, and one planned for a bulk update wastes
    time on every single row. So the two never share a statement: a single-row update pairs
    its two rows directly (a plan that fits every call), and a bulk update plans its join
    when it runs (``EXECUTE``), for the size it has.
    """
    other = OLD_TABLE if source == NEW_TABLE else NEW_TABLE
    alias, other_alias = _alias(source), _alias(other)
    pk = f'"{spec.pk_column}"'
    single = (
        f", {other} AS {other_alias} WHERE {other_alias}.{pk} <> {alias}.{pk} OR ({condition});"
    )
    bulk = (
        f" LEFT JOIN {other} AS {other_alias} ON {other_alias}.{pk} = {alias}.{pk}"
        f" WHERE {other_alias}.{pk} IS NULL OR ({condition})"
    )
    return (
        # Zero, one or more than one: never more rows read than that.
        f"SELECT count(*) INTO _tidemark_rows FROM (SELECT FROM {source} LIMIT 2) AS _rows;\n"
        "IF _tidemark_rows = 1 THEN\n"
        f"    IF {_WITH_CONTEXT} THEN\n"
        f"{_insert_sql(spec, label, source, _CONTEXT_ID, single)}\n"
        "    ELSE\n"
        f"{_insert_sql(spec, label, source, 'NULL', single)}\n"
        "    END IF;\n"
        "ELSIF _tidemark_rows = 0 THEN\n"
        "    RETURN NULL;\n"
        f"ELSIF {_WITH_CONTEXT} THEN\n"
        f"    EXECUTE {_literal(_insert_sql(spec, label, source, _CONTEXT_ID, bulk))};\n"
        "ELSE\n"
        f"    EXECUTE {_literal(_insert_sql(spec, label, source, 'NULL', bulk))};\n"
        "END IF;\n"
        "GET DIAGNOSTICS _tidemark_rows = ROW_COUNT;\n"
        f"{_STORE_CONTEXT.format(recorded='_tidemark_rows > 0')}"
        "RETURN NULL;"
    )


def _literal(sql: str) -> str:
    """`sql` as a PL/pgSQL string literal."""
    return "'" + sql.replace("'", "''") + "'"


def _statement_trigger(
    spec: EventSpec,
    label: str,
    operation: pgtrigger.Operation,
    func: str,
    declare: list[tuple[str, str]] | None = None,
    **tables: str,
) -> pgtrigger.Trigger:
    return Trigger(
        name=_trigger_name(spec, label),
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=pgtrigger.Referencing(**tables),  # type: ignore[no-untyped-call]
        declare=declare,
        func=func,
    )


class InsertEvent(Tracker):
    """Record each inserted row (label ``insert`` unless given)."""

    label = "insert"

    def triggers(self, spec: EventSpec) -> list[pgtrigger.Trigger]:
        func = _row_events(spec, self.label, NEW_TABLE)
        return [_statement_trigger(spec, self.label, pgtrigger.Insert, func, new=NEW_TABLE)]


class DeleteEvent(Tracker):
    """Record each deleted row, with its last values (label ``delete`` unless given)."""

    label = "delete"

    def triggers(self, spec: EventSpec) -> list[pgtrigger.Trigger]:
        func = _row_events(spec, self.label, OLD_TABLE)
        return [_statement_trigger(spec, self.label, pgtrigger.Delete, func, old=OLD_TABLE)]


class UpdateEvent(Tracker):
    """Record updated rows for which `condition` holds (label ``update`` unless given).

    Args:
        condition: `Changed(...)`, or a pgtrigger `Q`/`AnyChange` condition written against
            ``old__``/``new__``. The default records rows whose tracked fields changed.
        row: Record the values after (``"new"``) or before (``"old"``) the update.
        label: The event label.

    A row whose primary key changed is always recorded: its old and new versions cannot be
    paired, so the condition cannot be evaluated for it, and losing it would lose the row.
    """

    label = "update"

    def __init__(
        self,
        condition: pgtrigger.Condition | None = None,
        row: Literal["new", "old"] = "new",
        label: str | None = None,
    ) -> None:
        if condition is not None and not isinstance(condition, pgtrigger.Condition):
            raise TrackingError(
                f"UpdateEvent({condition!r}): the first argument is the condition "
                "(history.Changed(...), history.Q(...)); name the event with "
                f"label=..., e.g. UpdateEvent(label={condition!r})."
                if isinstance(condition, str)
                else f"UpdateEvent(condition={condition!r}): a condition is history.Changed(...), "
                "history.AnyChange(...), history.Q(...) or another pgtrigger condition."
            )
        super().__init__(label)
        if row not in ("new", "old"):
            raise TrackingError(f'UpdateEvent(row={row!r}): row must be "new" or "old".')
        self.condition = condition
        self.row = row

    def triggers(self, spec: EventSpec) -> list[pgtrigger.Trigger]:
        condition = self.condition or Changed()
        if isinstance(condition, Changed):
            sql = _rewrite(condition.columns_sql(spec.tracked, spec.tracked_names))
        else:
            sql = _rewrite(condition.resolve(spec.tracked))  # type: ignore[no-untyped-call]
        source = NEW_TABLE if self.row == "new" else OLD_TABLE
        func = _changed_events(spec, self.label, source, sql)
        trigger = _statement_trigger(
            spec,
            self.label,
            pgtrigger.Update,
            func,
            declare=[("_tidemark_rows", "bigint")],
            old=OLD_TABLE,
            new=NEW_TABLE,
        )
        return [trigger]


class ManualEvent(Tracker):
    """Events recorded only by `create_event(obj, label=...)`.

    Args:
        label: The label `create_event()` must use.
    """

    def __init__(self, label: str) -> None:
        if label is None:
            raise TrackingError('ManualEvent needs a label, e.g. ManualEvent("audit").')
        super().__init__(label)
