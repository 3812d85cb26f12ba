"""System checks of Tidemark history (ids ``tidemark_history.E0xx`` and ``W0xx``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, connections

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
    return _requires_app("pgtrigger", "tidemark_history.E002", "it installs the triggers")


@register()
def check_contrib_postgres_installed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_history.E003``: event tables use a BRIN index, from django.contrib.postgres."""
    return _requires_app(
        "django.contrib.postgres", "tidemark_history.E003", "the event tables use its BrinIndex"
    )


def _requires_app(name: str, check_id: str, reason: str) -> list[CheckMessage]:
    if apps.is_installed(name):
        return []
    return [
        Error(
            f"tidemark_history needs {name} in INSTALLED_APPS: {reason}.",
            hint=f'Add "{name}" to INSTALLED_APPS.',
            id=check_id,
        )
    ]


@register(Tags.security, Tags.database, deploy=True)
def check_connection_does_not_own_history(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``tidemark_history.W001``: the application's role does not own the history tables.

    A deployment check (``manage.py check --deploy --database default``): a role that owns
    the event tables, or a superuser, can disable their triggers, so history is append-only
    only against a role with DML rights alone. Skipped for a database it cannot reach.
    """
    from .maintenance import owned_history_tables

    messages: list[CheckMessage] = []
    for alias in databases or []:
        try:
            role, owned = owned_history_tables(alias)
        except DatabaseError:
            continue
        if owned:
            listed = ", ".join(owned[:3]) + (
                f" and {len(owned) - 3} more" if len(owned) > 3 else ""
            )
            messages.append(
                Warning(
                    f"The database role {role!r} of the alias {alias!r} owns (or, as a "
                    f"superuser, controls) the history tables {listed}: it can disable "
                    "their triggers, so history is not append-only against this connection.",
                    hint="Connect the application as a role with SELECT, INSERT, UPDATE and "
                    "DELETE only, and run migrations as the owner; see the security page of "
                    "the history docs.",
                    id="tidemark_history.W001",
                )
            )
    return messages


@register()
def check_history_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_history.E010``/``E011``: the retention settings have acceptable values."""
    from tidemark_core.conf import check_settings

    from .conf import SETTINGS

    return check_settings(*SETTINGS)


@register(Tags.database)
def check_triggers(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``tidemark_history.W002``: every Tidemark trigger is installed, enabled and current.

    Run when the checks are given databases (``migrate``, ``check --database``). Apps with
    unapplied migrations are skipped (``migrate`` is about to install their triggers), and
    so is a database that cannot be reached.
    """
    from .verify import unmigrated_apps, verify_triggers

    messages: list[CheckMessage] = []
    for alias in databases or []:
        if connections[alias].vendor != "postgresql":
            continue
        try:
            _count, problems = verify_triggers(alias, skip_apps=unmigrated_apps(alias))
        except DatabaseError:
            continue
        messages.extend(
            Warning(
                f"History is not recorded or not protected as declared on {alias!r}: {problem}.",
                hint="Run `manage.py history_verify` to list every problem; a trigger that a "
                "role disabled or replaced must be installed again by the tables' owner.",
                obj=problem.model,
                id="tidemark_history.W002",
            )
            for problem in problems
        )
    return messages
