"""Tidemark data sync: move a declared dataset, deletions included, between environments."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("django-tidemark-data-sync")

__all__ = ["__version__"]
