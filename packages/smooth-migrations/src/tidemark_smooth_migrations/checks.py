"""System checks of Tidemark smooth migrations (ids ``tidemark_smooth_migrations.E0xx``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, register

from tidemark_core import postgresql_check


@register()
def check_postgresql(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``tidemark_smooth_migrations.E001``: the databases it runs on are PostgreSQL."""
    return postgresql_check(
        "tidemark_smooth_migrations", "tidemark_smooth_migrations.E001", databases
    )
