"""System checks of Tidemark data sync (ids ``tidemark_data_sync.E0xx/W0xx``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Warning, register
from django.core.exceptions import ImproperlyConfigured

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
    """``tidemark_data_sync.E002``-``E005``: the app's settings have accepted values."""
    return check_settings(*conf.SETTINGS)


@register()
def check_signing_key_length(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_data_sync.W001``: each signing key has at least 32 characters."""
    try:
        keys = conf.signing_keys()
    except ImproperlyConfigured:
        return []  # E004 says what is wrong
    short = [str(number) for number, key in enumerate(keys, 1) if len(key) < conf.MIN_KEY_LENGTH]
    if not short:
        return []
    return [
        Warning(
            f"{conf.SIGNING_KEYS.name}: key number {', '.join(short)} has fewer than "
            f"{conf.MIN_KEY_LENGTH} characters; a short shared key can be guessed.",
            hint="Generate keys with `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`.",
            id="tidemark_data_sync.W001",
        )
    ]
