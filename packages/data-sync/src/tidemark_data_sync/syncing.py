"""Dump from one configured database and load into another in one streaming step."""

from __future__ import annotations

from typing import Any

from .dumping import iter_dump
from .exceptions import DataSyncError
from .loading import load
from .report import LoadResult
from .specs import get_dataset, parse_name


def sync(dataset: str, *, source: str, target: str, **options: Any) -> LoadResult:
    """Dump `dataset` from the database `source` and load it into `target`.

    The dump streams straight into the load (through a temporary file, never memory), and
    the load runs every check a file would get.

    Args:
        dataset: ``"NAME"`` or ``"NAME:ARGS"``.
        source: The database alias to read.
        target: The database alias to write.
        **options: `load()` options: ``plan``, ``max_delete``, ``progress``.

    Returns:
        What changed in `target` (or would change, for a plan).

    Raises:
        DataSyncError: `source` and `target` are the same database; nothing is read.
    """
    if source == target:
        raise DataSyncError(
            f"The source and the target are the same database ({source!r}); nothing to sync."
        )
    resolved = get_dataset(*parse_name(dataset))
    return load(iter_dump(resolved, using=source), using=target, **options)
