"""Django settings of the history benchmark: its own database on the shared server."""

from __future__ import annotations

import dj_database_url

from tidemark_core.devdb import database_url

DATABASE_NAME = "tidemark_bench_history"

SECRET_KEY = "tidemark-bench"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.postgres",
    "pgtrigger",
    "pghistory",
    "tidemark_history",
    "history_app",
]
DATABASES = {"default": {**dj_database_url.parse(database_url()), "NAME": DATABASE_NAME}}
# The bench app has no migration files: migrate creates its tables, pgtrigger.install()
# its triggers.
MIGRATION_MODULES = {"history_app": None}
