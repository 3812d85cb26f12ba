"""Settings of the data-sync suite: tidemark_data_sync alone."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

INSTALLED_APPS = [*BASE_APPS, "tidemark_data_sync"]
DATABASES = databases("data_sync", "other")
