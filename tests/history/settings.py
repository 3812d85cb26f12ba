"""Settings of the history suite: tidemark_history alone (with pgtrigger, which it needs)."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

INSTALLED_APPS = [
    *BASE_APPS,
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
