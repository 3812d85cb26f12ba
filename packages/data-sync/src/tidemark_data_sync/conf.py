"""The settings of Tidemark data sync, declared once, each read lazily through one accessor.

An accessor raises `ImproperlyConfigured` with the same message as the system check that
covers its setting, so a project that skips the checks still gets the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from tidemark_core.conf import Setting, optional_text, seconds

T = TypeVar("T")

MIN_KEY_LENGTH = 32
"""Signing keys shorter than this get the warning ``tidemark_data_sync.W001``."""


@dataclass(frozen=True)
class SecretSetting(Setting[T]):
    """A setting whose value never appears in a message (only its type does)."""

    def problem(self, raw: Any, error: BaseException | None = None) -> str:
        """The message for an unacceptable value, without the value."""
        detail = f" ({error})" if error is not None and str(error) else ""
        return f"{self.name} must be {self.accepted}, not a {type(raw).__name__}{detail}."


def _dotted_path(value: Any) -> str | None:
    text = optional_text(value)
    if text is not None and (" " in text or "." not in text.strip(".")):
        raise ValueError("not a dotted path")
    return text


def _keys(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise TypeError("")
    if not all(isinstance(key, str) and key for key in value):
        raise ValueError("every key must be a non-empty string")
    return tuple(value)


def _required(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("")
    if value and not SIGNING_KEYS.raw():
        raise ValueError(f"{SIGNING_KEYS.name} is empty: no dump could be verified")
    return value


DATASETS = Setting(
    "TIDEMARK_DATA_SYNC_DATASETS",
    None,
    _dotted_path,
    "the dotted path of a callable returning the datasets, e.g. 'shop.datasets.datasets'",
    "tidemark_data_sync.E002",
)
LOCK_TIMEOUT = Setting(
    "TIDEMARK_DATA_SYNC_LOCK_TIMEOUT",
    60.0,
    seconds,
    "a number of seconds, 0 or more",
    "tidemark_data_sync.E003",
)
SIGNING_KEYS: Setting[tuple[str, ...]] = SecretSetting(
    "TIDEMARK_DATA_SYNC_SIGNING_KEYS",
    (),
    _keys,
    "a list of non-empty strings (the first signs, each verifies), e.g. "
    '[os.environ["DATA_SYNC_KEY"]]',
    "tidemark_data_sync.E004",
)
REQUIRE_SIGNATURE = Setting(
    "TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE",
    False,
    _required,
    "True (with a key in TIDEMARK_DATA_SYNC_SIGNING_KEYS) or False",
    "tidemark_data_sync.E005",
)
SETTINGS = (DATASETS, LOCK_TIMEOUT, SIGNING_KEYS, REQUIRE_SIGNATURE)
"""Every setting of the app, checked by ``manage.py check``."""

DATASETS_SETTING = DATASETS.name


def datasets_path() -> str | None:
    """``TIDEMARK_DATA_SYNC_DATASETS``: dotted path of the callable returning the datasets.

    Default: None (no datasets are defined).
    """
    return DATASETS.value()


def lock_timeout() -> float:
    """``TIDEMARK_DATA_SYNC_LOCK_TIMEOUT``: seconds a load waits for another load. Default 60."""
    return LOCK_TIMEOUT.value()


def signing_keys() -> tuple[str, ...]:
    """``TIDEMARK_DATA_SYNC_SIGNING_KEYS``: the shared keys that sign and verify dumps.

    The first signs every dump written here, each of them verifies (list the new key first
    and keep the old one until every environment has the new one). Default: ``[]`` (dumps
    are not signed, and signatures are not checked).
    """
    return SIGNING_KEYS.value()


def require_signature() -> bool:
    """``TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE``: refuse dumps without a valid signature.

    Default: False (an unsigned dump loads; a wrongly signed one is always refused).
    """
    return REQUIRE_SIGNATURE.value()
