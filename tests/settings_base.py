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
MIDDLEWARE: list[str] = []
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
