"""The settings of Tidemark data sync, each read lazily through one accessor."""

from __future__ import annotations

from typing import Any

from tidemark_core.conf import Setting, optional_text, seconds


def _dotted_path(value: Any) -> str | None:
    text = optional_text(value)
    if text is not None and (" " in text or "." not in text.strip(".")):
        raise ValueError("not a dotted path")
    return text


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
SETTINGS = (DATASETS, LOCK_TIMEOUT)
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
