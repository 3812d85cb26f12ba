"""Settings shared by every test suite; each suite's settings.py star-imports this module."""

from __future__ import annotations

from typing import Any

import dj_database_url

from tidemark_core.devdb import database_url

SECRET_KEY = "tidemark-tests"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
BASE_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
# Every Tidemark app with what it needs, and Django's admin: the suites that install them all.
ALL_APPS = [
    *BASE_APPS,
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.postgres",
    "pgtrigger",
    "tidemark_core",
    "tidemark_history",
    "tidemark_migration_state",
    "tidemark_smooth_migrations",
    "tidemark_data_sync",
]
MIDDLEWARE: list[str] = []
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# What a suite that installs django.contrib.admin needs besides the app.
ADMIN_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ADMIN_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def databases(suite: str, *aliases: str) -> dict[str, dict[str, Any]]:
    """Database aliases on the test PostgreSQL, each with a test database name of its own.

    The alias ``lite`` is SQLite.

    Suites never share a test database, so they can run one after another or at once.
    """
    url = database_url()
    result = {}
    for alias in ("default", *aliases):
        config = dj_database_url.parse(url)
        suffix = "" if alias == "default" else f"_{alias}"
        config["TEST"] = {"NAME": f"test_tidemark_{suite}{suffix}"}
        result[alias] = config
    # A database of another vendor, for the PostgreSQL-only checks and errors.
    result["lite"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    return result
