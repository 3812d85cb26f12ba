"""System checks of Tidemark data sync (ids ``tidemark_data_sync.E0xx``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, register

from tidemark_core import postgresql_check
from tidemark_core.conf import check_settings

from . import conf


@register()
def check_postgresql(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``tidemark_data_sync.E001``: the databases it runs on are PostgreSQL."""
    return postgresql_check("tidemark_data_sync", "tidemark_data_sync.E001", databases)


@register()
def check_settings_valid(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_data_sync.E002``/``E003``: the app's settings have accepted values."""
    return check_settings(*conf.SETTINGS)
