"""Django settings of the history reading benchmark: its own database on the shared server."""

from __future__ import annotations

import dj_database_url

from tidemark_core.devdb import database_url

DATABASE_NAME = "tidemark_bench_history_read"

SECRET_KEY = "tidemark-bench"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.postgres",
    "pgtrigger",
    "pghistory",
    "simple_history",
    "tidemark_history",
    "history_read_app",
]
DATABASES = {"default": {**dj_database_url.parse(database_url()), "NAME": DATABASE_NAME}}
# No migration files: migrate creates the tables. No trigger is installed either: the events
# are written by set-based SQL, and reads are what is measured.
MIGRATION_MODULES = {"history_read_app": None}
