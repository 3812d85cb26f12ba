"""Settings of the data-sync suite: tidemark_data_sync alone."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

INSTALLED_APPS = [
    *BASE_APPS,
    "django.contrib.postgres",  # the testapp uses ArrayField
    "tidemark_data_sync",
    "tests.data_sync.testapp",
    "tests.data_sync.f3app",
]
DATABASES = databases("data_sync", "other")
TIDEMARK_DATA_SYNC_DATASETS = "tests.data_sync.datasets.datasets"
