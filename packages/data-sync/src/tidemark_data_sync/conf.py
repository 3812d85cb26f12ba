"""The settings of Tidemark data sync, each read lazily through one accessor."""

from __future__ import annotations

from django.conf import settings

DATASETS_SETTING = "TIDEMARK_DATA_SYNC_DATASETS"


def datasets_path() -> str | None:
    """``TIDEMARK_DATA_SYNC_DATASETS``: dotted path of the callable returning the datasets.

    Default: None (no datasets are defined).
    """
    value = getattr(settings, DATASETS_SETTING, None)
    return str(value) if value is not None else None


def lock_timeout() -> float:
    """``TIDEMARK_DATA_SYNC_LOCK_TIMEOUT``: seconds a load waits for another load. Default 60."""
    return float(getattr(settings, "TIDEMARK_DATA_SYNC_LOCK_TIMEOUT", 60.0))
