"""Field wrappers: `new_field` (expand a column) and `deprecated_field` (stop using one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.db.models.fields import NOT_PROVIDED

from .exceptions import FieldDeprecatedError

F = TypeVar("F", bound=models.Field)  # type: ignore[type-arg]

NEW_FIELD_MARK = "_tidemark_new_field"


def new_field(field: F) -> F:
    """Add a column that the previous release does not know, without breaking its INSERTs.

    The column is created nullable, or, when the field has a ``db_default``, NOT NULL with
    that default written into the database; either way the previous release can insert rows
    without it. Decorate the model with `backward_compatible_model` so this release treats
    the field as required. In the next release, remove the wrapper and run
    ``makemigrations`` to make the column NOT NULL.

    Args:
        field: The new field, as it should be once the previous release is gone.

    Returns:
        The same field, marked as new (and made nullable unless it has a ``db_default``).

    Raises:
        TypeError: The field is a many-to-many relation or a primary key, which have no
            nullable column to add.
    """
    if field.many_to_many or field.primary_key:
        raise TypeError(
            "new_field() wraps a field with a column of its own; many-to-many relations and "
            "primary keys cannot be added this way."
        )
    if field.db_default is NOT_PROVIDED:
        field.null = True
    setattr(field, NEW_FIELD_MARK, True)
    return field


def is_new_field(field: Any) -> bool:
    """Whether `field` was wrapped in `new_field`."""
    return bool(getattr(field, NEW_FIELD_MARK, False))


@dataclass(frozen=True)
class _Deprecation:
    raise_on_access: bool
    return_instead: Any


_NOTHING: Any = object()


def deprecated_field(field: F, return_instead: Any = _NOTHING, raise_on_access: bool = True) -> F:
    """Stop using a column that the previous release still reads and writes.

    The field stays in the model's migration state, so migrations keep the column (made
    nullable by an ordinary ``makemigrations`` migration, so this release's INSERTs work),
    and ``makemigrations`` sees the same model in every process. At run time the model no
    longer selects, inserts or updates the column, and queries cannot filter by it. In the
    next release, delete the field and run ``makemigrations`` to drop the column.

    Reading the attribute on an instance raises `FieldDeprecatedError` (an
    ``AttributeError``, so ``hasattr`` is False), or, with ``raise_on_access=False``,
    returns `return_instead`. Writing it raises, or with ``raise_on_access=False`` is
    ignored. Class-level access returns the descriptor, as for any field.

    Args:
        field: The field to deprecate, as it is declared today.
        return_instead: What instance access returns when ``raise_on_access`` is False: a
            value, or a callable taking the instance. Defaults to None.
        raise_on_access: Raise on instance access (the default).

    Returns:
        The same field, changed into its deprecated form.

    Raises:
        TypeError: The field is a relation (drop its constraint first and deprecate a
            plain column, see the guide), or `return_instead` is given while
            ``raise_on_access`` is True.
    """
    if field.is_relation:
        raise TypeError(
            "deprecated_field() does not wrap relations: Django's deletion cascade and "
            "reverse accessors still use them. Replace the ForeignKey with a plain column "
            "of the same db_column (e.g. BigIntegerField(db_column='supplier_id')) in a "
            "release that drops the constraint, then deprecate that column."
        )
    if raise_on_access and return_instead is not _NOTHING:
        raise TypeError(
            "deprecated_field(): return_instead is used only with raise_on_access=False."
        )
    field.null = True
    field._tidemark_deprecation = _Deprecation(  # type: ignore[attr-defined]
        raise_on_access, None if return_instead is _NOTHING else return_instead
    )
    field.__class__ = _deprecated_class(type(field))
    return field


def is_deprecated_field(field: Any) -> bool:
    """Whether `field` was wrapped in `deprecated_field`."""
    return isinstance(field, _DeprecatedFieldMixin)


class _DeprecatedAttribute:
    """The instance attribute of a deprecated field: raises or returns a stand-in."""

    def __init__(self, field: models.Field) -> None:  # type: ignore[type-arg]
        self.field = field

    def _where(self, instance: models.Model) -> str:
        return f"{type(instance)._meta.label}.{self.field.name}"

    def __get__(self, instance: models.Model | None, owner: Any = None) -> Any:
        if instance is None:
            return self
        deprecation: _Deprecation = self.field._tidemark_deprecation  # type: ignore[attr-defined]
        if deprecation.raise_on_access:
            raise FieldDeprecatedError(
                f"{self._where(instance)} is deprecated: this release no longer reads or writes "
                "the column, which the next release drops. Stop using the attribute, or pass "
                "raise_on_access=False and return_instead=... to deprecated_field()."
            )
        value = deprecation.return_instead
        return value(instance) if callable(value) else value

    def __set__(self, instance: models.Model, value: Any) -> None:
        if self.field._tidemark_deprecation.raise_on_access:  # type: ignore[attr-defined]
            raise FieldDeprecatedError(
                f"{self._where(instance)} is deprecated: this release does not write the "
                "column any more, so the value would be lost. Stop setting it."
            )


class _DeprecatedFieldMixin:
    """Makes a field non-concrete at run time while its migration state stays unchanged."""

    _tidemark_base: type[models.Field]  # type: ignore[type-arg]
    # A database default would otherwise be read back after INSERT.
    db_returning = False

    def get_attname_column(self) -> tuple[str, None]:
        attname, _column = super().get_attname_column()  # type: ignore[misc]
        # No column: Django leaves the field out of SELECT, INSERT and UPDATE. The attname
        # differs from the name so that Model.clean_fields() reads None, not the descriptor.
        return f"_tidemark_deprecated_{attname}", None

    def contribute_to_class(self, cls: type[models.Model], name: str, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, **kwargs)  # type: ignore[misc]
        # dumpdata leaves the column out, so loaddata into this release works.
        self._tidemark_serialize: bool = self.serialize  # type: ignore[has-type]
        self.serialize = False
        setattr(cls, name, _DeprecatedAttribute(self))  # type: ignore[arg-type]
        setattr(cls, self.attname, None)  # type: ignore[attr-defined]

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        if getattr(self, "_tidemark_serialize", False):
            kwargs.pop("serialize", None)
        return name, path, args, kwargs

    def clean(self, value: Any, model_instance: Any) -> Any:
        return value

    def formfield(self, **kwargs: Any) -> None:
        return None

    def get_col(self, alias: str, output_field: Any = None) -> Any:
        raise FieldDeprecatedError(
            f"{self.model._meta.label}.{self.name} is deprecated, "  # type: ignore[attr-defined]
            "so queries cannot filter, order or select by it."
        )

    def clone(self) -> models.Field:  # type: ignore[type-arg]
        # Migration states are built from clones: they get the plain field and its column.
        _name, _path, args, kwargs = self.deconstruct()
        return self._tidemark_base(*args, **kwargs)


_CLASSES: dict[type, type] = {}


def _deprecated_class(base: type) -> type:
    # The same module and name as the base: deconstruct() then writes the base's path into
    # migrations, so the migration state is identical with and without the wrapper.
    if base not in _CLASSES:
        namespace: dict[str, Any] = {
            "__module__": base.__module__,
            "__qualname__": base.__qualname__,
            "_tidemark_base": base,
        }
        _CLASSES[base] = type(base.__name__, (_DeprecatedFieldMixin, base), namespace)
    return _CLASSES[base]
