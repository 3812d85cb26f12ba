"""System checks of Tidemark migration state (ids ``tidemark_migration_state.E0xx``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Error, register

from tidemark_core import postgresql_check
from tidemark_core.conf import check_core_settings

from . import conf

register(check_core_settings)


@register()
def check_postgresql(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``tidemark_migration_state.E001``: the databases it runs on are PostgreSQL."""
    return postgresql_check("tidemark_migration_state", "tidemark_migration_state.E001", databases)


@register()
def check_release_commit(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_migration_state.E002``: a configured release commit is a hex SHA.

    The setting is checked first; the environment variable when the setting is unset.
    """
    messages = conf.COMMIT.check()
    if messages or conf.COMMIT.value() is not None:
        return messages
    value = conf.configured_commit()
    if value is None or conf.COMMIT_PATTERN.match(value.lower()):
        return []
    return [
        Error(
            f"The environment variable {conf.COMMIT_ENVIRONMENT_VARIABLE} must be "
            f"{conf.COMMIT_ACCEPTED}, not {value!r}.",
            hint="Set it to the output of `git rev-parse HEAD` at build time, or unset it "
            "to use git.",
            id="tidemark_migration_state.E002",
        )
    ]
