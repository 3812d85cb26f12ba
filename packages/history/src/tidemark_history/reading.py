"""Reading history: the event models of a tracked model, `as_of()` and `deleted()`."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.db.models.query import BaseIterable

from .backfill import BASELINE_LABEL
from .event import Event, Kind, kind_of
from .exceptions import HistoryError
from .tracking import EventSpec, _specs

if TYPE_CHECKING:
    from django.db.models.query import QuerySet


def all_specs() -> list[EventSpec]:
    """Every `track()` declaration of the project, in registration order."""
    return [spec for specs in _specs.values() for spec in specs]


def _concrete(model: type[models.Model]) -> type[models.Model]:
    concrete = model._meta.concrete_model
    assert concrete is not None
    return concrete


def _resolve_model(model: type[models.Model] | models.Model | str) -> type[models.Model]:
    if isinstance(model, str):
        from django.apps import apps

        try:
            return apps.get_model(model)
        except (LookupError, ValueError):
            raise HistoryError(
                f"{model!r} is not an installed model; name one as 'app_label.ModelName'."
            ) from None
    return model if isinstance(model, type) else type(model)


def event_models(model: type[models.Model] | models.Model | str) -> list[type[Event]]:
    """The event models `track()` generated for `model`, in decoration order.

    Args:
        model: A tracked model, one of its instances, or ``"app_label.ModelName"``.

    Returns:
        One event model per ``@history.track()`` of the model (empty when untracked).
    """
    resolved = _concrete(_resolve_model(model))
    return [spec.event_model for spec in _specs.get(resolved, [])]  # type: ignore[misc]


def event_model(model: type[models.Model] | models.Model | str) -> type[Event]:
    """The event model of `model`: the one that records its whole state.

    With one ``@history.track()`` that is its event model; with several, the one that
    records inserts, updates and deletes and copies the most fields.

    Raises:
        HistoryError: When `model` is not tracked.
    """
    return state_spec(_resolve_model(model)).event_model  # type: ignore[return-value]


def state_spec(model: type[models.Model], *, need_deletes: bool = False) -> EventSpec:
    """The declaration whose events hold the row's state: most kinds, then most fields."""
    concrete = _concrete(model)
    specs = _specs.get(concrete, [])
    if not specs:
        raise HistoryError(
            f"{concrete.__name__} is not tracked; decorate it with @history.track()."
        )

    def score(spec: EventSpec) -> tuple[int, int, int]:
        kinds = {kind_of(tracker) for tracker in spec.trackers}
        return (
            int(Kind.DELETE in kinds),
            int(bool(kinds & {Kind.INSERT, Kind.UPDATE, Kind.SNAPSHOT})),
            len(spec.tracked_fields),
        )

    best = max(specs, key=score)
    kinds = {kind_of(tracker) for tracker in best.trackers}
    if need_deletes and Kind.DELETE not in kinds:
        raise HistoryError(
            f"{concrete.__name__} is tracked without a DeleteEvent, so its history cannot "
            "tell which rows were deleted. Add history.DeleteEvent() to its @history.track()."
        )
    if not kinds & {Kind.INSERT, Kind.UPDATE, Kind.SNAPSHOT}:
        raise HistoryError(
            f"No @history.track() of {concrete.__name__} records the row's state (inserts, "
            "updates with row='new', or manual events)."
        )
    return best


def labels_of(spec: EventSpec, *kinds: Kind) -> list[str]:
    """The labels of `spec`'s trackers that record events of one of `kinds`.

    Snapshots include the baselines `history_backfill` writes.
    """
    labels = [tracker.label for tracker in spec.trackers if kind_of(tracker) in kinds]
    if Kind.SNAPSHOT in kinds and BASELINE_LABEL not in labels:
        labels.append(BASELINE_LABEL)
    return labels


class _AsInstances(BaseIterable):  # type: ignore[type-arg]
    """Yield each event row as the tracked row it recorded, built once from its columns."""

    def __iter__(self) -> Iterator[Any]:
        queryset = self.queryset
        spec = cast("EventSpec", queryset.model.history_spec)
        model = spec.tracked
        names, columns = instance_columns(spec)
        rows: models.QuerySet[Any] = models.QuerySet(
            model=queryset.model, query=queryset.query.chain(), using=queryset.db
        )
        for row in rows.values_list(*columns):
            yield model.from_db(queryset.db, names, row)


def instance_columns(spec: EventSpec) -> tuple[list[str], list[str]]:
    """The tracked model's attnames an event fills, in the model's order, and the event
    columns holding them (the primary key is ``history_object_id``)."""
    copied = {field.name: field.attname for field in spec.tracked_fields}
    names, columns = [], []
    for field in spec.tracked._meta.concrete_fields:
        if field.primary_key:
            names.append(field.attname)
            columns.append("history_object_id")
        elif field.name in copied:
            names.append(field.attname)
            columns.append(copied[field.name])
    return names, columns


class AsOfQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """The rows of a tracked model at a point in time: a queryset over its events that
    yields instances of the tracked model.

    Filter, exclude, order and slice it with the tracked fields' names; ``pk`` and the
    model's primary key name mean the row's primary key. ``values()`` gives the events'
    columns.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._iterable_class = _AsInstances

    def _rename(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        pk = self.model.history_spec.tracked._meta.pk
        names = {"pk", pk.name if pk is not None else "pk"}
        renamed = {}
        for key, value in kwargs.items():
            head, _, rest = key.partition("__")
            target = "history_object" if head in names else head
            renamed[f"{target}__{rest}" if rest else target] = value
        return renamed

    def filter(self, *args: Any, **kwargs: Any) -> AsOfQuerySet:
        return super().filter(*args, **self._rename(kwargs))

    def exclude(self, *args: Any, **kwargs: Any) -> AsOfQuerySet:
        return super().exclude(*args, **self._rename(kwargs))

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return super().get(*args, **self._rename(kwargs))

    def order_by(self, *field_names: Any) -> AsOfQuerySet:
        pk = self.model.history_spec.tracked._meta.pk
        names = {"pk", pk.name if pk is not None else "pk"}
        renamed = [
            ("-" if name.startswith("-") else "") + "history_object"
            if isinstance(name, str) and name.lstrip("-") in names
            else name
            for name in field_names
        ]
        return super().order_by(*renamed)


def _latest(spec: EventSpec, using: str, when: datetime.datetime | None) -> QuerySet[Any]:
    """The id of the newest state or delete event of each row (at `when`, if given)."""
    labels = labels_of(spec, Kind.INSERT, Kind.UPDATE, Kind.SNAPSHOT, Kind.DELETE)
    events = spec.event_model._default_manager.using(using).filter(history_label__in=labels)
    if when is not None:
        events = events.filter(history_at__lte=when)
    # Ordered as the (history_object_id, history_at) index is, read backwards.
    return (
        events.order_by("-history_object_id", "-history_at", "-history_id")
        .distinct("history_object_id")
        .values("history_id")
    )


class _InArray(models.Func):
    """``column = ANY(ARRAY(subquery))``: the subquery runs once and its ids are looked up
    in the primary key, where ``IN (subquery)`` lets the planner misjudge a semi-join of
    100,000 rows as 200 and loop over them."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY(ARRAY"
    output_field = models.BooleanField()


def _require_aware(when: datetime.datetime) -> None:
    if not isinstance(when, datetime.datetime):
        raise HistoryError(f"as_of() needs a datetime, not {type(when).__name__}.")
    if when.tzinfo is None:
        raise HistoryError(
            f"as_of() needs a timezone-aware datetime, not {when!r}; events are stored in "
            "UTC (use django.utils.timezone.make_aware() or datetime.UTC)."
        )


def as_of(
    model: type[models.Model] | str, when: datetime.datetime, *, using: str = "default"
) -> AsOfQuerySet:
    """The rows of `model` as they stood at `when`, in one SQL query.

    Each row's state is its newest event at or before `when` that records the row's
    values (an insert, an update, a manual event or a baseline); rows whose newest event
    then is a delete, and rows first recorded after `when`, are left out. The result is a
    lazy queryset yielding instances of `model`, filterable with the tracked fields.

    A row that existed before tracking started and has no event by `when` (no baseline,
    never changed since) is not in the result. Fields tracking does not copy are deferred
    on the instances: reading one loads today's value from the live row.

    Args:
        model: A tracked model or ``"app_label.ModelName"``.
        when: A timezone-aware datetime.
        using: The database alias.

    Raises:
        HistoryError: When `model` is not tracked with deletes, or `when` is naive.
    """
    _require_aware(when)
    spec = state_spec(_resolve_model(model), need_deletes=True)
    states = labels_of(spec, Kind.INSERT, Kind.UPDATE, Kind.SNAPSHOT)
    return AsOfQuerySet(model=spec.event_model, using=using).filter(
        _InArray(models.F("history_id"), models.Subquery(_latest(spec, using, when))),
        history_label__in=states,
    )


def deleted(model: type[models.Model] | str, *, using: str = "default") -> QuerySet[Any]:
    """The delete events of the rows of `model` that are deleted now, newest first.

    Each deleted row appears once, with its last values; ``event.revert()`` re-creates it.

    Raises:
        HistoryError: When `model` is not tracked with deletes.
    """
    resolved = _concrete(_resolve_model(model))
    spec = state_spec(resolved, need_deletes=True)
    pk = resolved._meta.pk
    assert pk is not None
    live = resolved._base_manager.using(using).filter(pk=models.OuterRef("history_object_id"))
    return (
        spec.event_model._default_manager.using(using)
        .filter(
            history_id__in=_latest(spec, using, None),
            history_label__in=labels_of(spec, Kind.DELETE),
        )
        .exclude(models.Exists(live))
        .select_related("history_context")
        .order_by("-history_at", "-history_id")
    )
