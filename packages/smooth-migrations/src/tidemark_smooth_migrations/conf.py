"""The settings of Tidemark smooth migrations, read lazily (never at import).

The migration lock's timeout is core's ``TIDEMARK_MIGRATION_LOCK_TIMEOUT``, shared with
``rollback_migrations`` (see `tidemark_core.migration_lock_timeout`).
"""

from __future__ import annotations

from tidemark_core.conf import Setting, whole_number

MAX_RELEASES = Setting(
    "TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES",
    1,
    whole_number(0),
    "a whole number of releases (0 or more)",
    "tidemark_smooth_migrations.E002",
)
SETTINGS = (MAX_RELEASES,)
"""Every setting of the app, checked by ``manage.py check``."""


def max_releases() -> int:
    """``TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES`` (default 1).

    How many saved releases a backward-compatibility change (new field, deprecated field or
    model) may have existed in before ``show_migration_changes --check`` fails. The default
    gives the contract step one release: a field added in release N+1 must be finished in
    N+2, so the check fails once a second saved release still has it.
    """
    return MAX_RELEASES.value()
