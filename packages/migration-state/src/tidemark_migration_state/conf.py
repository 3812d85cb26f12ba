"""Settings of Tidemark migration state, read when used (never at import)."""

from __future__ import annotations

import os

from django.conf import settings

COMMIT_SETTING = "TIDEMARK_MIGRATION_STATE_COMMIT"
COMMIT_ENVIRONMENT_VARIABLE = "TIDEMARK_RELEASE_COMMIT"
LOCK_TIMEOUT_SETTING = "TIDEMARK_MIGRATION_STATE_LOCK_TIMEOUT"


def configured_commit() -> str | None:
    """The release commit set in settings or the environment, if any.

    ``TIDEMARK_MIGRATION_STATE_COMMIT`` (setting) wins over ``TIDEMARK_RELEASE_COMMIT``
    (environment variable). Default: neither, so git ``HEAD`` is used.
    """
    value = getattr(settings, COMMIT_SETTING, None) or os.environ.get(COMMIT_ENVIRONMENT_VARIABLE)
    text = str(value or "").strip()
    return text or None


def lock_timeout() -> float:
    """``TIDEMARK_MIGRATION_STATE_LOCK_TIMEOUT``: seconds to wait for the migration lock.

    Default: 60.
    """
    return float(getattr(settings, LOCK_TIMEOUT_SETTING, 60.0))
