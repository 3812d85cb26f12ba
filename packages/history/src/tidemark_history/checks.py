"""System checks of Tidemark history (ids ``tidemark_history.E0xx``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, register

from tidemark_core import postgresql_check


@register()
def check_postgresql(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``tidemark_history.E001``: the databases it runs on are PostgreSQL."""
    return postgresql_check("tidemark_history", "tidemark_history.E001", databases)


@register()
def check_pgtrigger_installed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_history.E002``: django-pgtrigger installs the triggers; it must be an app."""
    if apps.is_installed("pgtrigger"):
        return []
    return [
        Error(
            "tidemark_history needs django-pgtrigger in INSTALLED_APPS.",
            hint='Add "pgtrigger" to INSTALLED_APPS.',
            id="tidemark_history.E002",
        )
    ]


@register()
def check_contrib_postgres_installed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_history.E003``: event tables use a BRIN index, from django.contrib.postgres."""
    if apps.is_installed("django.contrib.postgres"):
        return []
    return [
        Error(
            "tidemark_history needs django.contrib.postgres in INSTALLED_APPS: the event "
            "tables use its BrinIndex.",
            hint='Add "django.contrib.postgres" to INSTALLED_APPS.',
            id="tidemark_history.E003",
        )
    ]
