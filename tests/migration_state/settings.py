"""Settings of the migration-state suite: tidemark_migration_state plus model-less release
apps, and the admin (its pages for releases, rollbacks and runs are tested here)."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import ADMIN_MIDDLEWARE, ADMIN_TEMPLATES, BASE_APPS, databases

RELEASE_APPS = [
    "tests.migration_state.releaseapps.alpha",
    "tests.migration_state.releaseapps.beta",
    "tests.migration_state.releaseapps.gamma",
]
ADMIN_APPS = [
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
INSTALLED_APPS = [*BASE_APPS, *ADMIN_APPS, "tidemark_migration_state", *RELEASE_APPS]
DATABASES = databases("migration_state", "other")
ROOT_URLCONF = "tests.migration_state.urls"
STATIC_URL = "static/"
MIDDLEWARE = [
    *ADMIN_MIDDLEWARE[:1],
    "django.middleware.csrf.CsrfViewMiddleware",
    *ADMIN_MIDDLEWARE[1:],
]
TEMPLATES = ADMIN_TEMPLATES
