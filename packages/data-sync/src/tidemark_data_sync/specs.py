"""Specs: one model's rows and how to load them, validated, and the helpers that build them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .exceptions import InvalidSpec

SPEC_KEYS = frozenset(
    {
        "model",
        "filter",
        "delete_missing",
        "ignore_missing_m2m",
        "save_as_new",
        "defer_values",
        "identity",
    }
)
"""The keys a spec may have: feincms3-data's keys plus ``identity``."""

Mappers = Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]


@dataclass(frozen=True)
class Spec:
    """One validated spec: a model, the filter selecting its rows, and how to load them.

    Attributes:
        model: The concrete model.
        filter: Keyword lookups selecting the rows, on the source and on the target.
        delete_missing: Delete target rows inside the filter that the dump lacks.
        delete_map: ``(filter key, model label)`` pairs whose filter values are source pks
            of a ``save_as_new`` model, mapped to the new pks before deleting.
        ignore_missing_m2m: Many-to-many fields whose links to absent rows are dropped.
        save_as_new: Insert every row with a new pk (remapping every reference to it).
        defer_values: Fields written in a second pass, so unique values can move.
        identity: Fields matching target rows instead of the pk (a natural key).
    """

    model: type[models.Model]
    filter: Mapping[str, Any] = field(default_factory=dict)
    delete_missing: bool = False
    delete_map: tuple[tuple[str, str], ...] = ()
    ignore_missing_m2m: tuple[str, ...] = ()
    save_as_new: bool = False
    defer_values: tuple[str, ...] = ()
    identity: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The model's ``app_label.model_name``."""
        return str(self.model._meta.label_lower)

    def flags(self) -> dict[str, Any]:
        """The model and flags, as compared between a dump and the target's definition."""
        delete: Any = (
            {"map": [list(pair) for pair in self.delete_map]}
            if self.delete_map
            else (self.delete_missing)
        )
        return {
            "model": self.label,
            "delete_missing": delete,
            "ignore_missing_m2m": sorted(self.ignore_missing_m2m),
            "save_as_new": self.save_as_new,
            "defer_values": sorted(self.defer_values),
            "identity": list(self.identity),
        }

    def to_json(self) -> dict[str, Any]:
        """The spec as written into a dump's manifest (its filter made JSON-safe)."""
        data = self.flags()
        data["filter"] = json.loads(json.dumps(dict(self.filter), cls=_Encoder))
        return data


_TEXT = (models.CharField, models.TextField)


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, models.Model):
            return o.pk
        if isinstance(o, models.QuerySet | set | frozenset | tuple):
            return list(o)
        return super().default(o)


def specs_for_models(
    models_: Iterable[type[models.Model]], spec: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One spec per model, each with the keys of `spec` (as feincms3-data's helper)."""
    base = dict(spec or {})
    specs = [{**base, "model": model._meta.label_lower} for model in models_]
    for item in specs:
        _check_keys(item)
    return specs


def specs_for_derived_models(
    base: type[models.Model], spec: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Specs for every concrete, non-proxy model deriving from `base`, parents first."""
    return specs_for_models(
        [
            model
            for model in _subclasses(base)
            if not model._meta.abstract and not model._meta.proxy and not model._meta.swapped
        ],
        spec,
    )


def specs_for_app_models(
    app_label: str, spec: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Specs for every concrete model of the app `app_label`."""
    return specs_for_models(apps.get_app_config(app_label).get_models(), spec)


def _subclasses(cls: type[models.Model]) -> Iterator[type[models.Model]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def unknown_keys(spec: Mapping[str, Any]) -> list[str]:
    """The keys of `spec` that no spec may have, sorted."""
    return sorted(set(spec) - SPEC_KEYS)


def _check_keys(spec: Mapping[str, Any]) -> None:
    if not isinstance(spec, Mapping):
        raise InvalidSpec(f"A spec must be a dict, not {spec!r}.")
    if "model" not in spec:
        raise InvalidSpec(f"The spec {spec!r} has no 'model' key; name the model as 'app.model'.")
    unknown = unknown_keys(spec)
    if unknown:
        raise InvalidSpec(
            f"The spec for {spec['model']!r} has unknown keys {unknown}; "
            f"allowed: {', '.join(sorted(SPEC_KEYS))}."
        )


def _names(spec: Mapping[str, Any], key: str, label: str) -> tuple[str, ...]:
    value = spec.get(key) or ()
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidSpec(f"{label}: {key!r} must be a field name or a list of field names.")
    return tuple(value)


def _resolve_model(value: Any) -> type[models.Model]:
    if isinstance(value, type) and issubclass(value, models.Model):
        model = value
    else:
        try:
            model = apps.get_model(str(value))
        except (LookupError, ValueError):
            raise InvalidSpec(
                f"The spec names the model {value!r}, which is not installed; "
                "use 'app_label.model_name'."
            ) from None
    if model._meta.proxy or model._meta.abstract:
        raise InvalidSpec(f"{model._meta.label_lower}: name the concrete model, not a proxy.")
    return model


def normalize_spec(spec: Mapping[str, Any]) -> Spec:
    """Validate one spec dict and return it as a `Spec`.

    Raises:
        InvalidSpec: A key is unknown, the model is not installed, a field or lookup does
            not exist, or the flags contradict each other; the message names the spec.
    """
    _check_keys(spec)
    model = _resolve_model(spec["model"])
    label = model._meta.label_lower
    lookups = _filter(model, spec.get("filter") or {}, label)
    delete = spec.get("delete_missing", False)
    m2m = _names(spec, "ignore_missing_m2m", label)
    defer = _names(spec, "defer_values", label)
    identity = _names(spec, "identity", label)
    _check_fields(model, label, m2m, defer, identity)
    save_as_new = spec.get("save_as_new", False)
    _check_save_as_new(model, label, save_as_new, identity)
    return Spec(
        model=model,
        filter=lookups,
        delete_missing=bool(delete),
        delete_map=_delete_map(delete, lookups, label),
        ignore_missing_m2m=m2m,
        save_as_new=save_as_new,
        defer_values=defer,
        identity=identity,
    )


def _filter(model: type[models.Model], lookups: Any, label: str) -> dict[str, Any]:
    if not isinstance(lookups, Mapping):
        raise InvalidSpec(f"{label}: 'filter' must be a dict of lookups, not {lookups!r}.")
    try:
        str(model._base_manager.filter(**lookups).query)
    except EmptyResultSet:
        pass  # a filter such as pk__in=[] selects no rows, on both sides
    except (FieldError, FieldDoesNotExist, ValueError, TypeError) as error:
        raise InvalidSpec(f"{label}: invalid filter {dict(lookups)!r}: {error}") from None
    return dict(lookups)


def _delete_map(delete: Any, lookups: dict[str, Any], label: str) -> tuple[tuple[str, str], ...]:
    if isinstance(delete, bool):
        return ()
    pairs = delete.get("map") if isinstance(delete, Mapping) else None
    if not isinstance(delete, Mapping):
        raise InvalidSpec(f"{label}: 'delete_missing' must be True, False or a map dict.")
    if set(delete) != {"map"} or not isinstance(pairs, list | tuple):
        raise InvalidSpec(
            f"{label}: 'delete_missing' is True or {{'map': [(filter key, model), ...]}}."
        )
    result: tuple[tuple[str, str], ...] = ()
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2 or pair[0] not in lookups:
            raise InvalidSpec(
                f"{label}: each 'delete_missing' map entry is (filter key, model label) "
                f"and its key must be in the filter; got {pair!r}."
            )
        result += ((str(pair[0]), _resolve_model(pair[1])._meta.label_lower),)
    return result


def _check_fields(
    model: type[models.Model],
    label: str,
    m2m: tuple[str, ...],
    defer: tuple[str, ...],
    identity: tuple[str, ...],
) -> None:
    for name in m2m:
        if not _field(model, name, label).many_to_many:
            raise InvalidSpec(f"{label}: 'ignore_missing_m2m' names {name!r}, not a m2m field.")
    for name in (*defer, *identity):
        found = _field(model, name, label)
        if not found.concrete or found.many_to_many or found.primary_key:
            raise InvalidSpec(f"{label}: {name!r} must be a concrete, non-pk column.")
    for name in defer:
        found = _field(model, name, label)
        if found.is_relation or not (found.null or isinstance(found, _TEXT)):
            raise InvalidSpec(
                f"{label}: 'defer_values' takes text or nullable fields; {name!r} is neither."
            )


def _check_save_as_new(
    model: type[models.Model], label: str, save_as_new: Any, identity: tuple[str, ...]
) -> None:
    if not isinstance(save_as_new, bool):
        raise InvalidSpec(f"{label}: 'save_as_new' must be True or False.")
    pk = model._meta.pk
    assert pk is not None
    if save_as_new and identity:
        raise InvalidSpec(f"{label}: 'save_as_new' and 'identity' exclude each other.")
    if save_as_new and not isinstance(pk, models.AutoField) and not pk.remote_field:
        raise InvalidSpec(
            f"{label}: 'save_as_new' needs an auto-incrementing primary key; "
            f"{pk.name!r} is a {type(pk).__name__}."
        )


def _field(model: type[models.Model], name: str, label: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        raise InvalidSpec(f"{label} has no field {name!r}.") from None


def normalize_specs(specs: Iterable[Mapping[str, Any]]) -> list[Spec]:
    """Validate a list of specs; a model in several specs must load the same way in each.

    Raises:
        InvalidSpec: A spec is invalid, or two specs of one model disagree on
            ``save_as_new``, ``identity`` or ``ignore_missing_m2m``.
    """
    if isinstance(specs, str | bytes | Mapping):
        raise InvalidSpec("A dataset's specs must be a list of spec dicts.")
    result = [normalize_spec(spec) for spec in specs]
    seen: dict[str, Spec] = {}
    for spec in result:
        first = seen.setdefault(spec.label, spec)
        same = (first.save_as_new, first.identity, first.ignore_missing_m2m) == (
            spec.save_as_new,
            spec.identity,
            spec.ignore_missing_m2m,
        )
        if not same:
            raise InvalidSpec(
                f"{spec.label} appears in several specs with different 'save_as_new', "
                "'identity' or 'ignore_missing_m2m'; a model's rows load one way."
            )
    labels = {spec.label for spec in result}
    for spec in result:
        for _key, target in spec.delete_map:
            if target not in labels or not next(s for s in result if s.label == target).save_as_new:
                raise InvalidSpec(
                    f"{spec.label}: 'delete_missing' maps through {target!r}, which is not a "
                    "'save_as_new' model of this dataset."
                )
    return result
