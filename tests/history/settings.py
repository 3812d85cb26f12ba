"""Settings of the history suite: tidemark_history alone (with pgtrigger, which it needs),
and Django's admin for its History pages, timeline and Context admin."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import ADMIN_MIDDLEWARE, ADMIN_TEMPLATES, BASE_APPS, databases

ADMIN_APPS = [
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
INSTALLED_APPS = [
    *BASE_APPS,
    *ADMIN_APPS,
    "django.contrib.postgres",
    "pgtrigger",
    "tidemark_history",
    "tests.history.testapp",
    "tests.history.evolve",
    "tests.history.scale",
]
DATABASES = databases("history", "other")
# The alias "other" uses server-side binding (prepared statements take one command), so
# the suite covers both ways context reaches the triggers.
DATABASES["other"].setdefault("OPTIONS", {})["server_side_binding"] = True
ROOT_URLCONF = "tests.history.urls"
STATIC_URL = "static/"
MIDDLEWARE = [
    *ADMIN_MIDDLEWARE[:1],
    "django.middleware.csrf.CsrfViewMiddleware",
    *ADMIN_MIDDLEWARE[1:],
    "tidemark_history.middleware.HistoryMiddleware",
]
TEMPLATES = ADMIN_TEMPLATES
