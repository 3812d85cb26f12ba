"""Tidemark smooth migrations: backward-compatible model changes and all-or-nothing deploys."""

from __future__ import annotations

from importlib.metadata import version as _version

from .apply import ApplyResult, SaveRelease, apply_migrations
from .changes import Change, pending_changes, with_releases
from .column_operations import AddForeignKeyNotValid, SetNotNull, ValidateForeignKey
from .decorators import backward_compatible_model, deprecate_model, deprecated_model
from .exceptions import (
    ApplyMigrationsError,
    FieldDeprecatedError,
    LintError,
    ModelDeprecatedError,
    NotNullableFieldError,
    ReleaseNotRecorded,
    UnsafeMigrationsError,
)
from .fields import deprecated_field, new_field
from .lint.api import lint_migrations
from .lint.report import Finding, LintResult
from .lint.rules import RULES, Rule
from .markers import SafetyAssured, safety_assured
from .operations import (
    AddIndexConcurrently,
    AddUniqueConstraintConcurrently,
    RemoveIndexConcurrently,
)
from .resolving import resolve_run
from .target import target_applied_set

__version__ = _version("django-tidemark-smooth-migrations")

__all__ = [
    "AddForeignKeyNotValid",
    "AddIndexConcurrently",
    "AddUniqueConstraintConcurrently",
    "ApplyMigrationsError",
    "ApplyResult",
    "Change",
    "FieldDeprecatedError",
    "Finding",
    "LintError",
    "LintResult",
    "ModelDeprecatedError",
    "NotNullableFieldError",
    "RULES",
    "ReleaseNotRecorded",
    "RemoveIndexConcurrently",
    "Rule",
    "SafetyAssured",
    "SaveRelease",
    "SetNotNull",
    "UnsafeMigrationsError",
    "ValidateForeignKey",
    "__version__",
    "apply_migrations",
    "backward_compatible_model",
    "deprecate_model",
    "deprecated_field",
    "deprecated_model",
    "lint_migrations",
    "new_field",
    "pending_changes",
    "resolve_run",
    "safety_assured",
    "target_applied_set",
    "with_releases",
]
