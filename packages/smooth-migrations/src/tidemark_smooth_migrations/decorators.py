"""Model decorators: `backward_compatible_model` and `deprecate_model`."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from .exceptions import ModelDeprecatedError, NotNullableFieldError
from .fields import is_new_field

M = TypeVar("M", bound=type[models.Model])

BACKWARD_COMPATIBLE_MARK = "_tidemark_backward_compatible"
DEPRECATED_MARK = "_tidemark_deprecated_model"


def new_fields(model: type[models.Model]) -> list[models.Field]:  # type: ignore[type-arg]
    """The fields of `model` wrapped in `new_field`."""
    return [field for field in model._meta.concrete_fields if is_new_field(field)]


def _missing(
    instance: models.Model,
    names: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> list[str]:
    wanted = None if names is None else set(names)
    skipped = set(exclude or ())
    return [
        field.name
        for field in new_fields(type(instance))
        if (wanted is None or field.name in wanted or field.attname in wanted)
        and field.name not in skipped
        and getattr(instance, field.attname) is None
    ]


def _require(instance: models.Model, names: Iterable[str] | None = None) -> None:
    missing = _missing(instance, names)
    if missing:
        raise NotNullableFieldError(type(instance)._meta.label, missing)


def backward_compatible_model(model: M) -> M:
    """Treat every `new_field` of `model` as NOT NULL in this release's code.

    The column stays nullable for the previous release, so the check is made in Python:
    ``save()`` (only the fields it writes, with ``update_fields``), ``full_clean()``,
    ``QuerySet.bulk_create()`` and ``QuerySet.bulk_update()`` (the fields it updates) raise
    `NotNullableFieldError` naming the model and the fields without a value.
    ``QuerySet.update()`` and raw SQL are not checked.

    Returns:
        The same model class.
    """
    cls: Any = model
    original_save = cls.save
    original_full_clean = cls.full_clean
    original_prepare = cls._prepare_related_fields_for_save

    @functools.wraps(original_save)
    def save(self: models.Model, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields", args[3] if len(args) > 3 else None)
        _require(self, update_fields)
        original_save(self, *args, **kwargs)

    @functools.wraps(original_full_clean)
    def full_clean(self: models.Model, *args: Any, **kwargs: Any) -> None:
        exclude = kwargs.get("exclude", args[0] if args else None)
        missing = _missing(self, exclude=exclude)
        try:
            original_full_clean(self, *args, **kwargs)
        except ValidationError as error:
            if not missing:
                raise
            others = error.update_error_dict({})
            raise NotNullableFieldError(type(self)._meta.label, missing, others) from error
        if missing:
            raise NotNullableFieldError(type(self)._meta.label, missing)

    @functools.wraps(original_prepare)
    def _prepare_related_fields_for_save(
        self: models.Model, operation_name: str, fields: Any = None
    ) -> None:
        # Django calls this for every object in save(), bulk_create() and bulk_update()
        # before writing anything; save() is checked above, knowing its update_fields.
        if operation_name != "save":
            _require(self, None if fields is None else [field.name for field in fields])
        original_prepare(self, operation_name, fields=fields)

    cls.save = save
    cls.full_clean = full_clean
    cls._prepare_related_fields_for_save = _prepare_related_fields_for_save
    setattr(model, BACKWARD_COMPATIBLE_MARK, True)
    return model


def is_backward_compatible(model: type[models.Model]) -> bool:
    """Whether `model` itself was decorated with `backward_compatible_model`."""
    return bool(model.__dict__.get(BACKWARD_COMPATIBLE_MARK))


class _DeprecatedQuerySetMixin:
    """Refuses to run any query; building querysets (``.all()``, ``.filter()``) still works."""

    model: type[models.Model]

    @property
    def db(self) -> str:
        # Every path that reaches the database (iteration, count, exists, get, create,
        # bulk_create, update, delete, aggregate, iterator, explain) asks for self.db.
        raise ModelDeprecatedError(
            f"{self.model._meta.label} is deprecated and its table is dropped in the next "
            "release: stop querying it. (Django's own cascading deletes still work.)"
        )


class _DeprecatedManagerMixin:
    def get_queryset(self) -> models.QuerySet[Any]:
        queryset: models.QuerySet[Any] = super().get_queryset()  # type: ignore[misc]
        queryset.__class__ = _subclass(_DeprecatedQuerySetMixin, type(queryset))
        return queryset


_SUBCLASSES: dict[tuple[type, type], type] = {}


def _subclass(mixin: type, base: type) -> type:
    # Same module and name as the base, so migrations and pickles name the base class.
    if (mixin, base) not in _SUBCLASSES:
        namespace = {"__module__": base.__module__, "__qualname__": base.__qualname__}
        _SUBCLASSES[mixin, base] = type(base.__name__, (mixin, base), namespace)
    return _SUBCLASSES[mixin, base]


def deprecate_model(model: M) -> M:
    """Stop querying `model` while its table stays for the previous release.

    Queries through the model's managers (``objects`` and any other declared one, and the
    related managers built from them, e.g. ``product.reviews``) raise
    `ModelDeprecatedError` when they would reach the database. Django's internals keep
    working: cascading deletes from live models and the admin's deletion summary use the
    automatic base manager, and migrations use historical models. In the next release,
    delete the model and run ``makemigrations`` to drop the table.

    Returns:
        The same model class.
    """
    managers = {id(manager): manager for manager in model._meta.local_managers}
    managers.update({id(manager): manager for manager in model._meta.managers})
    for manager in managers.values():
        manager.__class__ = _subclass(_DeprecatedManagerMixin, type(manager))
    setattr(model, DEPRECATED_MARK, True)
    return model


deprecated_model = deprecate_model
"""django-smooth-migrations' name for `deprecate_model`, kept for those coming from it."""


def is_deprecated_model(model: type[models.Model]) -> bool:
    """Whether `model` itself was decorated with `deprecate_model`."""
    return bool(model.__dict__.get(DEPRECATED_MARK))
