"""The settings of Tidemark smooth migrations, read lazily (never at import)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_MAX_RELEASES = 1


def max_releases() -> int:
    """``TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES`` (default 1).

    How many saved releases a backward-compatibility change (new field, deprecated field or
    model) may have existed in before ``show_migration_changes --check`` fails. The default
    gives the contract step one release: a field added in release N+1 must be finished in
    N+2, so the check fails once a second saved release still has it.
    """
    value = getattr(settings, "TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES", DEFAULT_MAX_RELEASES)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImproperlyConfigured(
            "TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES must be a whole number of releases "
            f"(0 or more), not {value!r}."
        )
    return value


def lint_baseline() -> dict[str, str]:
    """``TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE`` (default ``{}``).

    Per app label, the last migration that was deployed before the project adopted the
    linter: that migration and every earlier one of its app are not linted, e.g.
    ``{"shop": "0042_order_total"}``.
    """
    value = getattr(settings, "TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE", {})
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(name, str) and key and name
        for key, name in value.items()
    ):
        raise ImproperlyConfigured(
            "TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE must map app labels to migration names, "
            f"e.g. {{'shop': '0042_order_total'}}, not {value!r}."
        )
    return dict(value)
