"""Tidemark migration state: record each release's migrations and roll back to any of them."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("django-tidemark-migration-state")

__all__ = ["__version__"]
