"""Tidemark smooth migrations: backward-compatible model changes and all-or-nothing deploys."""

from __future__ import annotations

from importlib.metadata import version as _version

from .apply import ApplyResult, SaveRelease, apply_migrations
from .changes import Change, pending_changes, with_releases
from .decorators import backward_compatible_model, deprecate_model, deprecated_model
from .exceptions import (
    ApplyMigrationsError,
    FieldDeprecatedError,
    ModelDeprecatedError,
    NotNullableFieldError,
    ReleaseNotRecorded,
)
from .fields import deprecated_field, new_field
from .target import target_applied_set

__version__ = _version("django-tidemark-smooth-migrations")

__all__ = [
    "ApplyMigrationsError",
    "ApplyResult",
    "Change",
    "FieldDeprecatedError",
    "ModelDeprecatedError",
    "NotNullableFieldError",
    "ReleaseNotRecorded",
    "SaveRelease",
    "__version__",
    "apply_migrations",
    "backward_compatible_model",
    "deprecate_model",
    "deprecated_field",
    "deprecated_model",
    "new_field",
    "pending_changes",
    "target_applied_set",
    "with_releases",
]
