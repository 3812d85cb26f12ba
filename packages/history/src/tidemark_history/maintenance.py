"""The privileged maintenance path: delete or rewrite recorded events and contexts.

Event tables and ``tidemark_history_context`` refuse ``UPDATE`` and ``DELETE`` to every
role, the owner included, and ``TRUNCATE`` to every role but the owner. Retention (pruning)
and redaction go through two ``SECURITY DEFINER`` functions that migration
``tidemark_history.0002`` creates, owned by the role that runs migrations:

- ``tidemark_history_delete(target regclass, keys text[]) -> bigint``
- ``tidemark_history_update(target regclass, keys text[], changes jsonb) -> bigint``

``EXECUTE`` on them is revoked from ``PUBLIC``; the owner (and superusers) may call them, and
another role only after ``GRANT EXECUTE ON FUNCTION ... TO <role>`` (`GRANT_SQL`). An
application role with DML rights only cannot take this path.

From Python::

    from tidemark_history import maintenance

    old = ItemEvent.objects.filter(history_at__lt=cutoff)
    maintenance.delete(old)  # -> number of events deleted
    maintenance.update(ItemEvent.objects.filter(history_object_id=7), name="(redacted)")
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connections, models

from .exceptions import MaintenanceError
from .models import Context
from .tracking import _specs

DELETE_FUNCTION = "tidemark_history_delete(regclass, text[])"
UPDATE_FUNCTION = "tidemark_history_update(regclass, text[], jsonb)"
GRANT_SQL = f"GRANT EXECUTE ON FUNCTION {DELETE_FUNCTION}, {UPDATE_FUNCTION} TO {{role}};"
"""The grant that lets `role` (not the owner) prune and redact: ``GRANT_SQL.format(role=...)``."""

BATCH_SIZE = 10_000


def history_models() -> list[type[models.Model]]:
    """The models whose tables the maintenance path accepts: every event model and `Context`."""
    events = [spec.event_model for specs in _specs.values() for spec in specs]
    return [*events, Context]


def owned_history_tables(using: str) -> tuple[str, list[str]]:
    """The connection's role on `using`, and the history tables it owns or controls.

    A superuser controls every table; a member of the owner's role inherits its rights.
    Tables that do not exist (yet) on that database are left out.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return "", []
    tables = [model._meta.db_table for model in history_models()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, COALESCE(ARRAY(SELECT relname::text FROM pg_catalog.pg_class"
            " WHERE oid = ANY(ARRAY(SELECT pg_catalog.to_regclass(pg_catalog.quote_ident(name))"
            " FROM unnest(%s::text[]) AS name))"
            " AND pg_catalog.pg_has_role(current_user, relowner, 'USAGE') ORDER BY 1), '{}')",
            [tables],
        )
        role, owned = cursor.fetchone()
    return str(role), list(owned)


def delete(queryset: models.QuerySet[Any], *, batch_size: int = BATCH_SIZE) -> int:
    """Delete the events (or contexts) of `queryset` through the maintenance path.

    Rows are deleted by primary key, `batch_size` per statement, on the queryset's
    database; wrap the call in ``transaction.atomic()`` to make it all or nothing.

    Args:
        queryset: Rows of an event model or of `tidemark_history.models.Context`.
        batch_size: Rows per call of ``tidemark_history_delete``.

    Returns:
        The number of rows deleted.

    Raises:
        MaintenanceError: When the queryset is not of a history model, or the connection's
            role may not execute the maintenance functions.
    """
    _model, table = _target(queryset, batch_size)
    total = 0
    while True:
        keys = _keys(queryset.order_by("pk"), batch_size)
        if not keys:
            return total
        total += _call(queryset.db, "tidemark_history_delete(%s::regclass, %s)", [table, keys])


def update(queryset: models.QuerySet[Any], *, batch_size: int = BATCH_SIZE, **values: Any) -> int:
    """Rewrite fields of the events (or contexts) of `queryset`: redaction.

    Args:
        queryset: Rows of an event model or of `tidemark_history.models.Context`.
        batch_size: Rows per call of ``tidemark_history_update``.
        **values: New values by field name (``name="(redacted)"``, ``metadata={}``); JSON
            values, dates, UUIDs and decimals are accepted. The primary key cannot be set.

    Returns:
        The number of rows updated.

    Raises:
        MaintenanceError: As `delete()`, and for unknown fields or no values.
    """
    model, table = _target(queryset, batch_size)
    changes = json.dumps(_columns(model, values), cls=DjangoJSONEncoder)
    total = 0
    last: Any = None
    ordered = queryset.order_by("pk")
    while True:
        keys = _keys(ordered if last is None else ordered.filter(pk__gt=last), batch_size)
        if not keys:
            return total
        last = keys[-1]
        total += _call(
            queryset.db,
            "tidemark_history_update(%s::regclass, %s, %s::jsonb)",
            [table, keys, changes],
        )


def _target(queryset: models.QuerySet[Any], batch_size: int) -> tuple[type[models.Model], str]:
    model = queryset.model
    if model not in history_models():
        raise MaintenanceError(
            f"{model._meta.label} is not a history model: the maintenance path changes "
            "event models (of @history.track()) and tidemark_history.Context only."
        )
    if batch_size < 1:
        raise MaintenanceError(f"batch_size must be at least 1, not {batch_size}.")
    return model, connections[queryset.db].ops.quote_name(model._meta.db_table)


def _keys(queryset: models.QuerySet[Any], batch_size: int) -> list[Any]:
    return list(queryset.values_list("pk", flat=True)[:batch_size])


def _columns(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    if not values:
        raise MaintenanceError("update() needs at least one field=value to set.")
    columns: dict[str, Any] = {}
    for name, value in values.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if not isinstance(field, models.Field) or not field.concrete or field.primary_key:
            raise MaintenanceError(
                f"{model._meta.label} has no field {name!r} that update() can set; "
                "name concrete fields other than the primary key."
            )
        columns[str(field.column)] = value.pk if isinstance(value, models.Model) else value
    return columns


def _call(using: str, call: str, params: list[Any]) -> int:
    params = [params[0], [str(key) for key in params[1]], *params[2:]]
    try:
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT {call}", params)
            return int(cursor.fetchone()[0])
    except DatabaseError as error:
        cause = error.__cause__
        if (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) == "42501":
            raise MaintenanceError(
                f"The database role of {using!r} may not run the history maintenance "
                f"functions: {str(error).splitlines()[0]}. Run this as the role that owns the "
                "history tables, or grant it: " + GRANT_SQL.format(role="<role>")
            ) from error
        raise
