"""Tidemark history: every change of a tracked model, recorded by PostgreSQL triggers."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("django-tidemark-history")

__all__ = ["__version__"]
