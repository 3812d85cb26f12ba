"""Django settings of the history scale benchmark: its own database on the shared server."""

from __future__ import annotations

import dj_database_url

from tidemark_core.devdb import database_url

DATABASE_NAME = "tidemark_bench_history_scale"

SECRET_KEY = "tidemark-bench"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.postgres",
    "pgtrigger",
    "simple_history",
    "tidemark_history",
    "history_scale_app",
]
DATABASES = {"default": {**dj_database_url.parse(database_url()), "NAME": DATABASE_NAME}}
# No migration files: migrate creates the tables (and partitions the partitioned event
# tables), pgtrigger.install() the triggers.
MIGRATION_MODULES = {"history_scale_app": None}
