"""Settings of the migration-state suite: tidemark_migration_state plus model-less release apps."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

RELEASE_APPS = [
    "tests.migration_state.releaseapps.alpha",
    "tests.migration_state.releaseapps.beta",
    "tests.migration_state.releaseapps.gamma",
]
INSTALLED_APPS = [*BASE_APPS, "tidemark_migration_state", *RELEASE_APPS]
DATABASES = databases("migration_state", "other")
