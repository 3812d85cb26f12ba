"""Settings of the smooth-migrations suite: tidemark_smooth_migrations alone, with test apps.

``testapp`` holds models using every wrapper; ``north``, ``south`` and ``east`` have no
models and get their migrations per test through MIGRATION_MODULES (see conftest.py).
"""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

INSTALLED_APPS = [
    *BASE_APPS,
    "tidemark_smooth_migrations",
    "tests.smooth_migrations.testapp",
    "tests.smooth_migrations.deployapps.north",
    "tests.smooth_migrations.deployapps.south",
    "tests.smooth_migrations.deployapps.east",
    "tests.smooth_migrations.lintapp",
]
DATABASES = databases("smooth_migrations", "other")
