"""The settings of Tidemark smooth migrations, read lazily (never at import).

The migration lock's timeout is core's ``TIDEMARK_MIGRATION_LOCK_TIMEOUT``, shared with
``rollback_migrations`` (see `tidemark_core.migration_lock_timeout`).
"""

from __future__ import annotations

from typing import Any

from tidemark_core import StatementLimits
from tidemark_core.conf import Setting, seconds, whole_number

MAX_RELEASES = Setting(
    "TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES",
    1,
    whole_number(0),
    "a whole number of releases (0 or more)",
    "tidemark_smooth_migrations.E002",
)


def _baseline(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TypeError("not a dict")
    if not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items()):
        raise ValueError("keys and values must be non-empty strings")
    return dict(value)


LINT_BASELINE: Setting[dict[str, str]] = Setting(
    "TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE",
    {},
    _baseline,
    "a dict of app label to migration name, e.g. {'shop': '0042_order_total'}",
    "tidemark_smooth_migrations.E002",
)


def optional_seconds(value: Any) -> float | None:
    """A duration in seconds, or None for no limit (0 means no limit too)."""
    return None if value is None else (seconds(value) or None)


STATEMENT_LOCK_TIMEOUT: Setting[float | None] = Setting(
    "TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_LOCK_TIMEOUT",
    2.0,
    optional_seconds,
    "a number of seconds, 0 or more, or None (no limit)",
    "tidemark_smooth_migrations.E003",
)
"""PostgreSQL's ``lock_timeout`` for every statement of ``apply_migrations``. Default: 2."""

STATEMENT_TIMEOUT: Setting[float | None] = Setting(
    "TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_TIMEOUT",
    None,
    optional_seconds,
    "a number of seconds, 0 or more, or None (no limit)",
    "tidemark_smooth_migrations.E004",
)
"""PostgreSQL's ``statement_timeout`` for every statement of ``apply_migrations``."""

LOCK_RETRIES = Setting(
    "TIDEMARK_SMOOTH_MIGRATIONS_LOCK_RETRIES",
    5,
    whole_number(1),
    "a whole number of tries, 1 or more",
    "tidemark_smooth_migrations.E005",
)
"""How many times a migration that hit the lock timeout is tried in all. Default: 5."""

SETTINGS = (
    MAX_RELEASES,
    LINT_BASELINE,
    STATEMENT_LOCK_TIMEOUT,
    STATEMENT_TIMEOUT,
    LOCK_RETRIES,
)
"""Every setting of the app, checked by ``manage.py check``."""


def max_releases() -> int:
    """``TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES`` (default 1).

    How many saved releases a backward-compatibility change (new field, deprecated field or
    model) may have existed in before ``show_migration_changes --check`` fails. The default
    gives the contract step one release: a field added in release N+1 must be finished in
    N+2, so the check fails once a second saved release still has it.
    """
    return MAX_RELEASES.value()


def lint_baseline() -> dict[str, str]:
    """``TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE`` (default ``{}``).

    Per app label, the last migration deployed before the project adopted the linter: that
    migration and every earlier one of its app are not linted, e.g.
    ``{"shop": "0042_order_total"}``.
    """
    return LINT_BASELINE.value()


def statement_limits() -> StatementLimits:
    """The limits of every statement ``apply_migrations`` runs, from the settings.

    ``TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_LOCK_TIMEOUT`` (default 2 s): how long a statement may
    wait for a lock; ``TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_TIMEOUT`` (default: no limit):
    how long it may run; ``TIDEMARK_SMOOTH_MIGRATIONS_LOCK_RETRIES`` (default 5): how many
    times a migration that hit the lock timeout is tried in all. Concurrent index builds
    and ``VALIDATE CONSTRAINT`` run without either timeout.
    """
    return StatementLimits(
        lock_timeout=STATEMENT_LOCK_TIMEOUT.value(),
        statement_timeout=STATEMENT_TIMEOUT.value(),
        attempts=LOCK_RETRIES.value(),
    )
