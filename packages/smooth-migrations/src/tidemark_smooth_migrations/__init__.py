"""Tidemark smooth migrations: backward-compatible model changes and all-or-nothing deploys."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("django-tidemark-smooth-migrations")

__all__ = ["__version__"]
