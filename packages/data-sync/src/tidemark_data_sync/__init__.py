"""Tidemark data sync: move a declared dataset, deletions included, between environments."""

from __future__ import annotations

from importlib.metadata import version as _version

from .dumping import dump, iter_dump
from .exceptions import (
    DatasetMismatch,
    DataSyncError,
    InvalidDump,
    InvalidSpec,
    LoadFailed,
    MissingMigrations,
    TooManyDeletions,
    UnknownDataset,
)
from .loading import load, plan
from .report import LoadResult, ModelChanges
from .specs import (
    Dataset,
    Spec,
    get_dataset,
    specs_for_app_models,
    specs_for_derived_models,
    specs_for_models,
)
from .syncing import sync

__version__ = _version("django-tidemark-data-sync")

__all__ = [
    "DataSyncError",
    "Dataset",
    "DatasetMismatch",
    "InvalidDump",
    "InvalidSpec",
    "LoadFailed",
    "LoadResult",
    "MissingMigrations",
    "ModelChanges",
    "Spec",
    "TooManyDeletions",
    "UnknownDataset",
    "__version__",
    "dump",
    "get_dataset",
    "iter_dump",
    "load",
    "plan",
    "specs_for_app_models",
    "specs_for_derived_models",
    "specs_for_models",
    "sync",
]
