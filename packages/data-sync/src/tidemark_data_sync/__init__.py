"""Tidemark data sync: move a declared dataset, deletions included, between environments."""

from __future__ import annotations

from importlib.metadata import version as _version

from .datasets import Dataset, get_dataset
from .dropin import dump_specs, load_dump
from .dumping import dump, iter_dump
from .exceptions import (
    DatasetMismatch,
    DataSyncError,
    InvalidArguments,
    InvalidDump,
    InvalidSpec,
    LoadFailed,
    MissingMigrations,
    OutsideScope,
    SignatureError,
    TooManyDeletions,
    UnknownDataset,
)
from .loading import load, load_many, plan
from .report import LoadResult, ModelChanges
from .specs import Spec, specs_for_app_models, specs_for_derived_models, specs_for_models
from .syncing import sync

__version__ = _version("django-tidemark-data-sync")

__all__ = [
    "DataSyncError",
    "Dataset",
    "DatasetMismatch",
    "InvalidArguments",
    "InvalidDump",
    "InvalidSpec",
    "LoadFailed",
    "LoadResult",
    "MissingMigrations",
    "ModelChanges",
    "OutsideScope",
    "SignatureError",
    "Spec",
    "TooManyDeletions",
    "UnknownDataset",
    "__version__",
    "dump",
    "dump_specs",
    "get_dataset",
    "iter_dump",
    "load",
    "load_dump",
    "load_many",
    "plan",
    "specs_for_app_models",
    "specs_for_derived_models",
    "specs_for_models",
    "sync",
]
