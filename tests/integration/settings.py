"""Settings of the integration suite: all four Tidemark apps installed together."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import ADMIN_MIDDLEWARE, ADMIN_TEMPLATES, ALL_APPS, databases

INSTALLED_APPS = [
    *ALL_APPS,
    "tests.smooth_migrations.testapp",
    "tests.integration.shop",
    # A model-less app whose migrations the deploy tests write into temporary modules.
    "tests.core.planapps.alpha",
    # Tracked models defined per test, for the linter's judgement of history's migrations.
    "tests.integration.tracked",
]
DATABASES = databases("integration", "other")
MIDDLEWARE = ADMIN_MIDDLEWARE
TEMPLATES = ADMIN_TEMPLATES

TIDEMARK_DATA_SYNC_DATASETS = "tests.integration.datasets.datasets"
