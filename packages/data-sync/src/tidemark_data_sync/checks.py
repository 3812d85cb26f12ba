"""System checks of Tidemark data sync (ids ``tidemark_data_sync.E0xx/W0xx``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from tidemark_core import postgresql_check

from . import conf


@register()
def check_postgresql(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``tidemark_data_sync.E001``: the databases it runs on are PostgreSQL."""
    return postgresql_check("tidemark_data_sync", "tidemark_data_sync.E001", databases)


@register()
def check_signing_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_data_sync.E002``: the signing keys are a list of strings.

    ``tidemark_data_sync.W001``: each key has at least 32 characters.
    """
    errors = _setting_error(
        conf.signing_keys,
        "tidemark_data_sync.E002",
        'Set it to a list such as ["<new key>", "<old key>"], from the environment; '
        "generate a key with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`.",
    )
    if errors:
        return errors
    short = [
        number
        for number, key in enumerate(conf.signing_keys(), 1)
        if len(key) < conf.MIN_KEY_LENGTH
    ]
    if not short:
        return []
    return [
        Warning(
            f"{conf.SIGNING_KEYS_SETTING}: key number {', '.join(map(str, short))} has fewer "
            f"than {conf.MIN_KEY_LENGTH} characters; a short shared key can be guessed.",
            hint="Generate keys with `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`.",
            id="tidemark_data_sync.W001",
        )
    ]


@register()
def check_require_signature(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_data_sync.E003``: requiring signatures is True or False, with a key to check."""
    if _setting_error(conf.signing_keys, "", ""):
        return []  # E002 says what is wrong with the keys
    return _setting_error(
        conf.require_signature,
        "tidemark_data_sync.E003",
        f"Set {conf.REQUIRE_SIGNATURE_SETTING} to True (with at least one key in "
        f"{conf.SIGNING_KEYS_SETTING}) or to False.",
    )


def _setting_error(accessor: Callable[[], object], check_id: str, hint: str) -> list[CheckMessage]:
    try:
        accessor()
    except ImproperlyConfigured as error:
        return [Error(str(error), hint=hint, id=check_id)]
    return []
