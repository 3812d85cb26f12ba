"""Settings that install every Django contrib app with migrations, and the benchmark's polls
app, for the repository lint."""

import sys
from pathlib import Path

from tests.settings_base import *  # noqa: F403
from tests.settings_base import databases

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.flatpages",
    "django.contrib.redirects",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "tidemark_smooth_migrations",
    "polls",
]
# The polls app of the data-sync benchmark lives outside the test packages.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "data_sync_project"))
DATABASES = databases("smooth_migrations", "other")
SITE_ID = 1
