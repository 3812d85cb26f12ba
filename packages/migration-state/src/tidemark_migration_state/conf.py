"""Settings of Tidemark migration state, read when used (never at import).

The migration lock's timeout is core's ``TIDEMARK_MIGRATION_LOCK_TIMEOUT``, shared with
``apply_migrations`` (see `tidemark_core.migration_lock_timeout`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from tidemark_core.conf import Setting, optional_text

COMMIT_ENVIRONMENT_VARIABLE = "TIDEMARK_RELEASE_COMMIT"
COMMIT_PATTERN = re.compile(r"^[0-9a-f]{4,64}$")
COMMIT_ACCEPTED = "4 to 64 hexadecimal digits, such as the output of `git rev-parse HEAD`"


def parse_commit(value: Any) -> str | None:
    """A release commit: stripped, lower-cased hex digits, or None when unset or blank."""
    text = optional_text(value)
    if text is None:
        return None
    if not COMMIT_PATTERN.match(text.lower()):
        raise ValueError("not a git commit")
    return text.lower()


COMMIT = Setting(
    "TIDEMARK_MIGRATION_STATE_COMMIT",
    None,
    parse_commit,
    COMMIT_ACCEPTED,
    "tidemark_migration_state.E002",
)
"""The commit of the release being deployed, for images without ``.git``. Default: None."""

COMMIT_SETTING = COMMIT.name


def configured_commit() -> str | None:
    """The release commit set in settings or the environment, if any, as configured.

    ``TIDEMARK_MIGRATION_STATE_COMMIT`` (setting) wins over ``TIDEMARK_RELEASE_COMMIT``
    (environment variable). Default: neither, so git ``HEAD`` is used. The value is only
    stripped here; `current_release` validates it.
    """
    for value in (COMMIT.raw(), os.environ.get(COMMIT_ENVIRONMENT_VARIABLE)):
        text = str(value or "").strip()
        if text:
            return text
    return None
