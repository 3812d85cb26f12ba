"""System checks of Tidemark migration state (ids ``tidemark_migration_state.E0xx``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Error, register

from tidemark_core import postgresql_check

from . import conf
from .exceptions import ReleaseUnknown
from .release import validate_commit


@register()
def check_postgresql(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``tidemark_migration_state.E001``: the databases it runs on are PostgreSQL."""
    return postgresql_check("tidemark_migration_state", "tidemark_migration_state.E001", databases)


@register()
def check_release_commit(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_migration_state.E002``: a configured release commit is a hex SHA."""
    commit = conf.configured_commit()
    if commit is None:
        return []
    try:
        validate_commit(commit)
    except ReleaseUnknown as error:
        return [
            Error(
                str(error),
                hint=f"Set {conf.COMMIT_SETTING} or {conf.COMMIT_ENVIRONMENT_VARIABLE} to the "
                "output of `git rev-parse HEAD` at build time, or leave both unset to use git.",
                id="tidemark_migration_state.E002",
            )
        ]
    return []
