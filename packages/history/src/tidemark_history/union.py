"""Read the rows of several event tables, each with its own ORDER BY and LIMIT, in one query.

Event tables have different columns, so the query is a UNION ALL over one wide row: a
branch fills the slots of its own table's columns and leaves the others NULL, and every
branch joins its context row into the same trailing slots. The rows come back as event
instances with their context loaded, as ``select_related("history_context")`` gives them,
through the fields' own database converters.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connections, models

if TYPE_CHECKING:
    from django.db.models.query import QuerySet

    from .event import Event


class _Layout:
    """Where one table's columns sit in the wide row, and how to read them back."""

    def __init__(self, model: type[models.Model], start: int, using: str) -> None:
        connection = connections[using]
        self.model = model
        self.start = start
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.converters = [
            (field.get_db_converters(connection), field.get_col(model._meta.db_table))
            for field in self.fields
        ]
        # Where the ordering keys are, for an event model's layout.
        self.at = start + self.attnames.index("history_at") if "history_at" in self.attnames else -1
        self.id = start + self.attnames.index("history_id") if "history_id" in self.attnames else -1

    def values(self, row: Sequence[Any], using: str) -> list[Any]:
        connection = connections[using]
        values = []
        for value, (converters, column) in zip(
            row[self.start : self.start + len(self.fields)], self.converters, strict=True
        ):
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        return values


def read(
    using: str, branches: Sequence[tuple[int, QuerySet[Any]]], stop: int, labels: list[str]
) -> list[Event]:
    """The newest `stop` rows of the ``(number, queryset)`` branches, newest first.

    Each queryset is of one event model, already filtered, ordered and limited; `labels`
    breaks ties of ``history_at`` between tables (by branch number), then the id.
    """
    from .models import Context

    connection = connections[using]
    layouts: dict[int, _Layout] = {}
    width = 1  # the branch number comes first
    for number, queryset in branches:
        layouts[number] = _Layout(queryset.model, width, using)
        width += len(layouts[number].fields)
    context_layout = _Layout(Context, width, using)
    # Typed NULLs: UNION resolves its columns' types branch by branch.
    empty = [
        f"NULL::{field.cast_db_type(connection)}"
        for layout in layouts.values()
        for field in layout.fields
    ]
    context_columns = ", ".join(f'_c."{field.column}"' for field in context_layout.fields)
    pk = Context._meta.pk
    assert pk is not None
    selects, params = [], []
    for number, queryset in branches:
        layout = layouts[number]
        inner = queryset.values_list(*layout.attnames)
        sql, inner_params = inner.query.get_compiler(using=using).as_sql()
        slots = list(empty)
        for offset, attname in enumerate(layout.attnames):
            slots[layout.start - 1 + offset] = f'_b."{attname}"'
        selects.append(
            f"(SELECT {number}, {', '.join(slots)}, {context_columns} FROM ({sql}) AS _b "
            f'LEFT JOIN "{Context._meta.db_table}" AS _c ON _c."{pk.column}" '
            "= _b.history_context_id)"
        )
        params.extend(inner_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        found = cursor.fetchall()

    def key(row: tuple[Any, ...]) -> tuple[Any, str, int]:
        layout = layouts[row[0]]
        return (row[layout.at], labels[row[0]], row[layout.id])

    events: list[Any] = []
    for row in heapq.nlargest(stop, found, key=key):
        layout = layouts[row[0]]
        event = layout.model.from_db(using, layout.attnames, layout.values(row, using))
        relation = layout.model._meta.get_field("history_context")
        context = None
        if row[context_layout.start] is not None:
            values = context_layout.values(row, using)
            context = Context.from_db(using, context_layout.attnames, values)
        relation.set_cached_value(event, context)  # type: ignore[union-attr]
        events.append(event)
    return events
