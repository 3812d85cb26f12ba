"""Settings of the history suite: tidemark_history alone (with pgtrigger, which it needs)."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

INSTALLED_APPS = [*BASE_APPS, "pgtrigger", "tidemark_history"]
DATABASES = databases("history", "other")
