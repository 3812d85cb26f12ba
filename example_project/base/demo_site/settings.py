"""Settings of the demo shop: one code base, deployed as two environments.

``TIDEMARK_DEMO_ENVIRONMENT`` says which one a process is: ``production`` (the default), whose
database alias ``staging`` reads the staging database for ``sync_dataset``, or ``staging``.
The databases are ``tidemark_demo`` and ``tidemark_demo_staging`` (``TIDEMARK_DEMO_DATABASE``
changes the first name, the tests use it) on the server of ``DATABASE_URL``, else on the
embedded PostgreSQL of the Tidemark checkout (see `tidemark_core.devdb`).
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tidemark_core.devdb import database_url

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "tidemark-demo-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "pgtrigger",
    "tidemark_history",
    "tidemark_migration_state",
    "tidemark_smooth_migrations",
    "tidemark_data_sync",
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every change made through a request records who made it, the method and the path.
    "tidemark_history.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "demo_site.wsgi.application"

ENVIRONMENT = os.environ.get("TIDEMARK_DEMO_ENVIRONMENT", "production")
if ENVIRONMENT not in ("production", "staging"):
    raise ImproperlyConfigured(
        f"TIDEMARK_DEMO_ENVIRONMENT is {ENVIRONMENT!r}: use production (the default) or staging."
    )
PRODUCTION_DATABASE = os.environ.get("TIDEMARK_DEMO_DATABASE", "tidemark_demo")
STAGING_DATABASE = f"{PRODUCTION_DATABASE}_staging"


def _database(name: str) -> dict[str, Any]:
    """The database `name` on the demo's PostgreSQL server."""
    return {**dj_database_url.parse(database_url()), "NAME": name}


if ENVIRONMENT == "production":
    DATABASES = {"default": _database(PRODUCTION_DATABASE), "staging": _database(STAGING_DATABASE)}
else:
    DATABASES = {"default": _database(STAGING_DATABASE)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TIDEMARK_DATA_SYNC_DATASETS = "shop.datasets.datasets"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
