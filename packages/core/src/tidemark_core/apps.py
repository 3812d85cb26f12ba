"""The Django app configuration of Tidemark core (optional in INSTALLED_APPS)."""

from __future__ import annotations

from django.apps import AppConfig


class TidemarkCoreConfig(AppConfig):
    """Tidemark core holds no models; installing it is optional."""

    name = "tidemark_core"
    label = "tidemark_core"
    verbose_name = "Tidemark core"
