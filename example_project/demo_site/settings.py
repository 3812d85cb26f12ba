"""Settings of the Tidemark example project: a small shop using all four Tidemark apps."""

from pathlib import Path

import dj_database_url

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

# DATABASE_URL when set, else the embedded PostgreSQL shared with the test suites.
DATABASES = {"default": dj_database_url.parse(database_url())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TIDEMARK_DATA_SYNC_DATASETS = "shop.datasets.datasets"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
