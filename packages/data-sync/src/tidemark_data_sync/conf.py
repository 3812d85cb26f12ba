"""The settings of Tidemark data sync, each read lazily through one accessor.

An accessor raises `ImproperlyConfigured` with the same message as its system check, so a
project that skips the checks still gets the reason, never a wrong behaviour.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DATASETS_SETTING = "TIDEMARK_DATA_SYNC_DATASETS"
SIGNING_KEYS_SETTING = "TIDEMARK_DATA_SYNC_SIGNING_KEYS"
REQUIRE_SIGNATURE_SETTING = "TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE"
MIN_KEY_LENGTH = 32
"""Signing keys shorter than this get the warning ``tidemark_data_sync.W001``."""


def datasets_path() -> str | None:
    """``TIDEMARK_DATA_SYNC_DATASETS``: dotted path of the callable returning the datasets.

    Default: None (no datasets are defined).
    """
    value = getattr(settings, DATASETS_SETTING, None)
    return str(value) if value is not None else None


def lock_timeout() -> float:
    """``TIDEMARK_DATA_SYNC_LOCK_TIMEOUT``: seconds a load waits for another load. Default 60."""
    return float(getattr(settings, "TIDEMARK_DATA_SYNC_LOCK_TIMEOUT", 60.0))


def signing_keys() -> tuple[str, ...]:
    """``TIDEMARK_DATA_SYNC_SIGNING_KEYS``: the shared keys that sign and verify dumps.

    A list of strings: the first signs every dump written here, each of them verifies (list
    the new key first and keep the old one until every environment has the new one).
    Default: ``[]`` (dumps are not signed, and signatures are not checked).

    Raises:
        ImproperlyConfigured: The value is not a list or tuple of non-empty strings.
    """
    value = getattr(settings, SIGNING_KEYS_SETTING, [])
    if not isinstance(value, list | tuple) or not all(
        isinstance(key, str) and key for key in value
    ):
        raise ImproperlyConfigured(
            f"{SIGNING_KEYS_SETTING} must be a list of non-empty strings (the first signs, "
            f"each verifies), not {_shown(value)}."
        )
    return tuple(value)


def require_signature() -> bool:
    """``TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE``: refuse to load dumps without a valid signature.

    Default: False (an unsigned dump loads; a wrongly signed one is always refused).

    Raises:
        ImproperlyConfigured: The value is not True or False, or it is True and
            ``TIDEMARK_DATA_SYNC_SIGNING_KEYS`` names no key to verify with.
    """
    value = getattr(settings, REQUIRE_SIGNATURE_SETTING, False)
    if not isinstance(value, bool):
        raise ImproperlyConfigured(
            f"{REQUIRE_SIGNATURE_SETTING} must be True or False, not {_shown(value)}."
        )
    if value and not signing_keys():
        raise ImproperlyConfigured(
            f"{REQUIRE_SIGNATURE_SETTING} is True but {SIGNING_KEYS_SETTING} is empty: "
            "no dump could be verified."
        )
    return value


def _shown(value: object) -> str:
    """The value's type, never its content: a misplaced key must not end up in a log."""
    return f"a {type(value).__name__}"
