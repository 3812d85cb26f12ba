"""Settings of the integration suite: all four Tidemark apps installed together."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

INSTALLED_APPS = [
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
    "tests.smooth_migrations.testapp",
    "tests.integration.shop",
    # A model-less app whose migrations the deploy tests write into temporary modules.
    "tests.core.planapps.alpha",
    # Tracked models defined per test, for the linter's judgement of history's migrations.
    "tests.integration.tracked",
]
DATABASES = databases("integration", "other")
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
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

TIDEMARK_DATA_SYNC_DATASETS = "tests.integration.datasets.datasets"
