"""How a model's columns travel: the SQL that writes them as JSON and reads them back."""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from tidemark_core import quote_identifier as q


def value_fields(model: type[models.Model]) -> list[Any]:
    """The model's own columns that travel in a dump: concrete, local, not the pk, stored."""
    return [
        field
        for field in model._meta.local_concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]


def m2m_fields(model: type[models.Model]) -> list[Any]:
    """The model's many-to-many fields whose link table Django creates (travel as pk lists)."""
    fields: list[Any] = list(model._meta.local_many_to_many)
    return [field for field in fields if field.remote_field.through._meta.auto_created]


def pk_column(model: type[models.Model]) -> str:
    """The quoted primary key column."""
    pk: Any = model._meta.pk
    return q(pk.column)


def pk_type(model: type[models.Model], connection: BaseDatabaseWrapper) -> str:
    """The type the model's primary key values are staged as (see `column_type`)."""
    pk = model._meta.pk
    assert pk is not None
    return _widened(str(pk.rel_db_type(connection) if pk.remote_field else pk.db_type(connection)))


def column_type(field: Any, connection: BaseDatabaseWrapper) -> str:
    """The type one column's values are staged as: the column's, widened where a cast loses.

    An explicit cast to ``varchar(n)`` cuts a longer text and one to ``numeric(p, s)`` rounds,
    silently; staged as ``text`` and ``numeric``, a value reaches `exactness` whole, and the
    write into the column (an assignment, which errors instead of cutting) stays exact.
    """
    return _widened(str(field.db_type(connection)))


_VARCHAR = re.compile(r"^varchar\((\d+)\)")
_NUMERIC = re.compile(r"^numeric\((\d+), ?(\d+)\)")


def _widened(kind: str) -> str:
    return _NUMERIC.sub("numeric", _VARCHAR.sub("text", kind))


def exactness(field: Any, connection: BaseDatabaseWrapper, column: str) -> tuple[str, str] | None:
    """SQL true when the staged `column` of `field` would not fit its column exactly.

    Returns:
        ``(condition, what the column takes)``, or None when every staged value fits.
    """
    kind = str(field.db_type(connection))
    if found := _VARCHAR.match(kind):
        length = int(found.group(1))
        if kind.endswith("[]"):
            condition = f"EXISTS (SELECT 1 FROM unnest({column}) e WHERE char_length(e) > {length})"
            return condition, f"items of at most {length} characters"
        return f"char_length({column}) > {length}", f"at most {length} characters"
    if (found := _NUMERIC.match(kind)) and not kind.endswith("[]"):
        digits, places = int(found.group(1)), int(found.group(2))
        condition = (
            f"({column} <> 'NaN' AND ({column} <> round({column}, {places}) "
            f"OR abs({column}) >= 10::numeric ^ {digits - places}))"
        )
        return condition, f"numbers below 10^{digits - places} with at most {places} decimals"
    return None


def json_value(field: Any, alias: str) -> str:
    """SQL for one column's value as JSON (Django's serializer format, in PostgreSQL)."""
    column = f"{alias}.{q(field.column)}"
    if field.get_internal_type() == "BinaryField":
        return f"translate(encode({column}, 'base64'), E'\\n', '')"
    return column


def json_object_sql(model: type[models.Model], alias: str) -> str:
    """SQL for one row as ``{"model": ..., "pk": ..., "fields": {...}}`` text."""
    pairs: list[str] = []
    for field in value_fields(model):
        pairs.append(f"'{field.name}', {json_value(field, alias)}")
    for field in m2m_fields(model):
        through = field.remote_field.through._meta.db_table
        source, target = q(field.m2m_column_name()), q(field.m2m_reverse_name())
        pairs.append(
            f"'{field.name}', (SELECT COALESCE(json_agg(m.{target} ORDER BY m.{target}), "
            f"'[]'::json) FROM {q(through)} m WHERE m.{source} = {alias}.{pk_column(model)})"
        )
    # json_build_object takes at most 100 arguments; wide models merge jsonb chunks.
    chunks = [pairs[i : i + 50] for i in range(0, len(pairs), 50)] or [[]]
    if len(chunks) == 1:
        fields = f"json_build_object({', '.join(chunks[0])})"
    else:
        fields = " || ".join(f"jsonb_build_object({', '.join(chunk)})" for chunk in chunks)
    label = model._meta.label_lower
    return (
        f"json_build_object('model', '{label}', 'pk', {alias}.{pk_column(model)}, "
        f"'fields', {fields})::text"
    )


def cast_sql(field: Any, source: str, connection: BaseDatabaseWrapper) -> str:
    """SQL reading one field's value from the jsonb object `source` into its column type.

    Args:
        field: The model field.
        source: SQL of the jsonb ``fields`` object of a dumped row.
        connection: The target connection (column types).
    """
    value = f"({source} -> '{field.name}')"
    text = f"({source} ->> '{field.name}')"
    kind = field.get_internal_type()
    if kind == "JSONField":
        return f"(CASE WHEN jsonb_typeof({value}) = 'null' THEN NULL ELSE {value} END)"
    if kind == "BinaryField":
        return f"decode({text}, 'base64')"
    if kind == "ArrayField":
        base = _widened(str(field.base_field.db_type(connection)))
        return (
            f"(CASE WHEN jsonb_typeof({value}) = 'array' THEN ARRAY(SELECT "
            f"jsonb_array_elements_text({value}))::{base}[] END)"
        )
    return f"{text}::{column_type(field, connection)}"
