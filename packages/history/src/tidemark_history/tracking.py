"""`track()`: generate an event model for a tracked model and register its triggers."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pgtrigger
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models.functions import Now

from .event import Event
from .exceptions import TrackingError
from .partitions import partitioning
from .placement import event_app, trigger_holder
from .trackers import DeleteEvent, InsertEvent, Tracker, UpdateEvent
from .triggers import guard_triggers

_M = TypeVar("_M", bound=type[models.Model])

HISTORY_FIELDS = ("history_id", "history_at", "history_label", "history_object", "history_context")
# An event records what was written: no constraint, index or default of the tracked field
# applies to it. Without a default and always nullable, the copy never makes a migration
# fill or rewrite recorded values (null to NOT NULL, a new default, an added field).
_DROPPED_KWARGS = (
    *("primary_key", "unique", "db_index", "auto_now", "auto_now_add", "db_default"),
    *("unique_for_date", "unique_for_month", "unique_for_year", "validators", "default"),
)


@dataclass
class EventSpec:
    """What one `track()` decorator generated: its event model and the columns it copies."""

    tracked: type[models.Model]
    trackers: Sequence[Tracker]
    tracked_fields: list[models.Field[Any, Any]]
    drop_removed_fields: bool = False
    app_label: str = ""
    module: str = ""
    event_model: type[models.Model] = field(init=False)
    holder: type[models.Model] = field(init=False)

    @property
    def tracked_names(self) -> list[str]:
        return [field.name for field in self.tracked_fields]

    @property
    def copied_columns(self) -> list[str]:
        return [str(field.column) for field in self.tracked_fields]

    @property
    def pk_column(self) -> str:
        pk = self.tracked._meta.pk
        assert pk is not None
        return str(pk.column)

    @property
    def event_table(self) -> str:
        return self.event_model._meta.db_table

    @property
    def suffix(self) -> str:
        return self.event_model._meta.model_name or ""

    @property
    def labels(self) -> list[str]:
        return [tracker.label for tracker in self.trackers]


_specs: dict[type[models.Model], list[EventSpec]] = {}


def specs_of(model: type[models.Model]) -> list[EventSpec]:
    """The `track()` declarations of `model`, in decoration order."""
    return list(_specs.get(model, []))


def all_specs() -> list[EventSpec]:
    """Every `track()` declaration."""
    return [spec for specs in _specs.values() for spec in specs]


def track(
    *trackers: Tracker,
    fields: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    model_name: str | None = None,
    related_name: str = "history",
    drop_removed_fields: bool = False,
    partition: str | None = None,
    app_label: str | None = None,
) -> Callable[[_M], _M]:
    """Record the changes of the decorated model in a generated event model.

    With no trackers, inserts, updates that change a tracked field, and deletes are
    recorded. The event model (``<Model>Event`` unless `model_name` is given) is a concrete
    model of the tracked model's app (or of `app_label`), so ``makemigrations`` writes its
    table and the triggers into that app's migrations.

    Models of other apps (``django.contrib.auth``'s ``User``, third-party models) and the
    auto-created ``through`` model of a many-to-many field (``Pizza.toppings.through``) are
    tracked too: their triggers are declared on a proxy model (``<EventModel>Triggers``) in
    the event model's app.

    Args:
        *trackers: `InsertEvent`, `UpdateEvent`, `DeleteEvent` and `ManualEvent` instances.
        fields: The fields to copy into each event (default: every concrete field but the
            primary key, which ``history_object`` holds).
        exclude: Fields not to copy.
        model_name: The name of the generated event model.
        related_name: The reverse accessor from a tracked row to its events.
        drop_removed_fields: When a field leaves the tracked model, let ``makemigrations``
            drop its event column and the values recorded in it. By default the column and
            its values stay in the event table (the migration removes the field from the
            event model's state only).
        partition: ``"day"``, ``"week"``, ``"month"`` or ``"year"``: range-partition the
            event table on ``history_at`` by that period (see ``history_partitions``).
        app_label: The installed app the event model and the triggers' migrations go to
            (default: the tracked model's).

    Raises:
        TrackingError: For an abstract or proxy model, unknown fields, repeated labels, an
            unknown app label, or arguments of the wrong kind.
    """
    _validate_arguments(trackers, fields, exclude)
    chosen = list(trackers) or [InsertEvent(), UpdateEvent(), DeleteEvent()]

    def decorate(model: _M) -> _M:
        _validate(model, chosen)
        label, module = event_app(model, app_label)
        spec = EventSpec(
            model,
            chosen,
            _tracked_fields(model, fields, exclude),
            drop_removed_fields,
            label,
            module,
        )
        name = model_name or f"{model.__name__}Event"
        spec.holder = trigger_holder(model, label, module, name)
        spec.event_model = _event_model(spec, name, related_name, partition)
        for tracker in chosen:
            pgtrigger.register(*tracker.triggers(spec))(spec.holder)
        _specs.setdefault(model, []).append(spec)
        return model

    return decorate


def _validate_arguments(
    trackers: Sequence[Any], fields: Sequence[str] | None, exclude: Sequence[str] | None
) -> None:
    for tracker in trackers:
        if not isinstance(tracker, Tracker):
            hint = (
                f" Call it: {tracker.__name__}()."
                if isinstance(tracker, type) and issubclass(tracker, Tracker)
                else ""
            )
            raise TrackingError(
                f"track({tracker!r}): trackers are history.InsertEvent(), UpdateEvent(), "
                f"DeleteEvent() and ManualEvent(label) instances.{hint}"
            )
    for option, names in (("fields", fields), ("exclude", exclude)):
        if isinstance(names, str) or (
            names is not None and not all(isinstance(name, str) for name in names)
        ):
            raise TrackingError(
                f"track({option}={names!r}): {option} is a list of field names, "
                f'e.g. {option}=["name"].'
            )


def _validate(model: type[models.Model], trackers: list[Tracker]) -> None:
    if not (isinstance(model, type) and issubclass(model, models.Model)):
        raise TrackingError(
            f"track() decorates a model class, not {model!r}. For a many-to-many field, "
            "pass its through model (Model.field.through) once both models are defined."
        )
    if model._meta.abstract or model._meta.proxy:
        raise TrackingError(
            f"track() needs a concrete model; {model.__name__} is abstract or a proxy. "
            "Decorate the concrete model that owns the table."
        )
    labels = [tracker.label for tracker in trackers]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise TrackingError(
            f"track() on {model.__name__}: the labels {repeated} are used by several "
            "trackers; give each tracker its own label."
        )


def _tracked_fields(
    model: type[models.Model], fields: Sequence[str] | None, exclude: Sequence[str] | None
) -> list[models.Field[Any, Any]]:
    concrete = [
        field
        for field in state_fields(model)
        if not field.primary_key and not getattr(field, "generated", False)
    ]
    by_name = {field.name: field for field in concrete}
    unknown = sorted(set(fields or ()).union(exclude or ()) - set(by_name))
    if unknown:
        raise TrackingError(
            f"track() on {model.__name__}: {unknown} are not concrete, non-primary-key "
            f"fields of the model. Choose among {sorted(by_name)}."
        )
    clashing = sorted(set(by_name) & set(HISTORY_FIELDS))
    if clashing:
        raise TrackingError(
            f"track() on {model.__name__}: the fields {clashing} clash with the event "
            "model's own columns; exclude them or rename them."
        )
    chosen = [by_name[name] for name in fields] if fields is not None else concrete
    return [field for field in chosen if field.name not in set(exclude or ())]


def state_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields with a column in `model`'s own table, as migrations see them."""
    fields = (_state_field(field) for field in model._meta.local_fields)
    return [field for field in fields if field is not None]


def _state_field(field: models.Field[Any, Any]) -> models.Field[Any, Any] | None:
    """`field` as migrations see it, when it has a column there; else None.

    A field without a column at run time but with one in the migration state (a field
    wrapped in smooth-migrations' ``deprecated_field``, which the previous release still
    writes) is tracked through its migration-state clone, so its column keeps being
    recorded and ``makemigrations`` never drops its event column while it exists.
    """
    if field.column is not None:
        return field
    clone = field.clone()
    clone.set_attributes_from_name(field.name)
    clone.model = field.model
    return clone if clone.column is not None else None


def _copy(field: models.Field[Any, Any]) -> models.Field[Any, Any]:
    """The event model's copy of a tracked field: no uniqueness, index or FK constraint."""
    if field.is_relation and field.remote_field is not None:
        # Not deconstruct(): it needs a ready app registry, and track() runs at import. A
        # relation to "self" is already resolved to the tracked model here; a lazy
        # "app.Model" string stays a string and resolves the same way for the copy.
        target: Any = field.remote_field.model
        options: dict[str, Any] = {}
        if field.remote_field.field_name:
            options["to_field"] = field.remote_field.field_name
        relation: models.Field[Any, Any] = models.ForeignKey(
            target,
            on_delete=models.DO_NOTHING,
            db_constraint=False,
            db_index=False,
            related_name="+",
            related_query_name="+",
            null=True,
            blank=field.blank,
            db_column=field.db_column,
            **options,
        )
        return relation
    _name, _path, args, kwargs = field.deconstruct()
    for key in _DROPPED_KWARGS:
        kwargs.pop(key, None)
    kwargs["db_index"] = False
    kwargs["null"] = True
    copy: models.Field[Any, Any] = field.__class__(*args, **kwargs)
    return copy


def _name(prefix: str, table: str, kind: str) -> str:
    return f"{prefix}_{hashlib.sha1(table.encode()).hexdigest()[:10]}_{kind}"


def _event_model(
    spec: EventSpec, model_name: str | None, related_name: str, partition: str | None = None
) -> type[models.Model]:
    tracked = spec.tracked
    name = model_name or f"{tracked.__name__}Event"
    table = f"{spec.app_label}_{name.lower()}"
    meta = type(
        "Meta",
        (),
        {
            "app_label": spec.app_label,
            "indexes": [
                models.Index(
                    fields=["history_object", "history_at"], name=_name("th", table, "obj")
                ),
                models.Index(
                    fields=["history_context"],
                    name=_name("th", table, "ctx"),
                    condition=models.Q(history_context__isnull=False),
                ),
                BrinIndex(fields=["history_at"], name=_name("th", table, "at")),
            ],
            "constraints": partitioning(table, partition),
        },
    )
    attrs: dict[str, Any] = {
        "__module__": spec.module,
        "history_spec": spec,
        "Meta": meta,
        "history_id": models.BigAutoField(primary_key=True),
        "history_at": models.DateTimeField(db_default=Now()),
        "history_label": models.CharField(max_length=40),
        "history_object": models.ForeignKey(
            # An auto-created through model has no migration state; its proxy has.
            spec.holder if tracked._meta.auto_created else tracked,
            on_delete=models.DO_NOTHING,
            db_constraint=False,
            db_index=False,
            related_name=related_name,
        ),
        "history_context": models.ForeignKey(
            "tidemark_history.Context",
            on_delete=models.DO_NOTHING,
            db_constraint=False,
            db_index=False,
            null=True,
            related_name="+",
        ),
        "__str__": lambda self: (
            f"{self.history_label} of {tracked.__name__} "
            f"{self.history_object_id} at {self.history_at}"
        ),
    }
    for tracked_field in spec.tracked_fields:
        attrs[tracked_field.name] = _copy(tracked_field)
    event_model: type[models.Model] = type(name, (Event, models.Model), attrs)
    # Importable beside the tracked model (`from shop.models import ProductEvent`), which
    # is also where `manage.py shell` looks for it.
    module = sys.modules.get(spec.module)
    existing = getattr(module, name, None)
    if module is not None and (existing is None or getattr(existing, "_meta", None)):
        setattr(module, name, event_model)
    pgtrigger.register(*guard_triggers())(event_model)
    return event_model
