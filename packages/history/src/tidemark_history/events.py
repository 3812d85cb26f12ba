"""`create_event()`: record a manual event of a tracked row from Python."""

from __future__ import annotations

from typing import Any

from django.db import connections, models, router, transaction

from .context import active_state
from .exceptions import TrackingError
from .trackers import STORE_CONTEXT_SQL
from .tracking import specs_of


def create_event(obj: models.Model, *, label: str, using: str | None = None) -> models.Model:
    """Record an event with label `label` for `obj`, copying its current field values.

    The event joins the active `context()`, if any, like the events the triggers record.

    Args:
        obj: A saved instance of a tracked model.
        label: The label of a tracker of that model (usually a `ManualEvent`).
        using: The database alias (default: the router's choice for writing `obj`).

    Returns:
        The created event row.

    Raises:
        TrackingError: When the model is not tracked with a tracker of that label, or
            `obj` is not saved.
    """
    model = type(obj)._meta.concrete_model
    assert model is not None
    specs = [spec for spec in specs_of(model) if label in spec.labels]
    if not specs:
        labels = sorted({label for spec in specs_of(model) for label in spec.labels})
        raise TrackingError(
            f"{model.__name__} has no tracker labelled {label!r}"
            + (f" (its labels: {labels})." if labels else " (it is not tracked).")
            + f' Add history.ManualEvent("{label}") to its @history.track().'
        )
    if obj.pk is None:
        raise TrackingError(f"create_event() needs a saved {model.__name__}; save it first.")
    state = active_state()
    values: dict[str, Any] = {
        field.attname: getattr(obj, field.attname) for field in specs[0].tracked_fields
    }
    event_model = specs[0].event_model
    database = using or router.db_for_write(model, instance=obj)
    with transaction.atomic(using=database):
        event = event_model._default_manager.using(database).create(
            history_label=label,
            history_object_id=obj.pk,
            history_context_id=state.id if state is not None else None,
            **values,
        )
        if state is not None:
            # The INSERT set the context (the delivery did); write its row as triggers do.
            with connections[database].cursor() as cursor:
                cursor.execute(STORE_CONTEXT_SQL)
    return event
