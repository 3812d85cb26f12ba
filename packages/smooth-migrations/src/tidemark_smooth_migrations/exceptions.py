"""The errors raised by Tidemark smooth migrations; all derive from `TidemarkError`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError

from tidemark_core import TidemarkError


class NotNullableFieldError(TidemarkError, ValidationError):
    """A field added with `new_field` has no value, but this release treats it as required.

    It is also a `ValidationError` keyed by field name, so `full_clean()` and model forms
    report it next to the field like any other validation error.

    Attributes:
        model: The model's label, e.g. ``shop.Product``.
        fields: The names of the fields without a value.
    """

    def __init__(
        self, model: str, fields: Sequence[str], others: dict[str, list[Any]] | None = None
    ) -> None:
        self.model = model
        self.fields = tuple(fields)
        names = ", ".join(f"{model}.{name}" for name in self.fields)
        self.message_text = (
            f"{names} cannot be null: {'they were' if len(self.fields) > 1 else 'it was'} added "
            "with new_field(), which keeps the column nullable for the previous release while "
            "this release requires a value. Set a value before saving."
        )
        errors: dict[str, list[Any]] = {key: list(value) for key, value in (others or {}).items()}
        for name in self.fields:
            errors[name] = [ValidationError(f"{model}.{name} cannot be null.", code="null")]
        ValidationError.__init__(self, errors)

    def __str__(self) -> str:
        return self.message_text


class FieldDeprecatedError(TidemarkError, AttributeError):
    """A field wrapped in `deprecated_field` was read or written on an instance.

    It is an `AttributeError`, so ``hasattr(instance, name)`` is False and
    ``getattr(instance, name, default)`` returns the default.
    """


class ModelDeprecatedError(TidemarkError):
    """A query ran through a manager of a model decorated with `deprecate_model`."""


class ApplyMigrationsError(TidemarkError):
    """`apply_migrations` failed or was interrupted; what it applied was rolled back.

    The original error is the ``__cause__``.

    Attributes:
        result: What happened: the start and final applied sets, the failed step, the
            rollback, and anything that stays applied.
    """

    def __init__(self, message: str, result: Any) -> None:
        self.result = result
        super().__init__(message)


class ReleaseNotRecorded(TidemarkError):
    """The release of a migration run cannot be, or was not, recorded.

    Raised before anything is applied when the release cannot be recorded (no app records
    releases, an unknown commit, an empty tag), or after a successful run when saving
    failed; the message then says how to save it by hand.
    """


class LintError(TidemarkError):
    """The linter was given something it cannot lint: an unknown app, migration, git
    revision or baseline, or a database that is not PostgreSQL."""


class UnsafeMigrationsError(TidemarkError):
    """``apply_migrations(lint=True)`` refused a plan with linter errors; nothing ran.

    Attributes:
        result: The `LintResult` of the plan's migrations.
    """

    def __init__(self, message: str, result: Any) -> None:
        self.result = result
        super().__init__(message)
