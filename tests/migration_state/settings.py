"""Settings of the migration-state suite: tidemark_migration_state alone."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

INSTALLED_APPS = [*BASE_APPS, "tidemark_migration_state"]
DATABASES = databases("migration_state", "other")
