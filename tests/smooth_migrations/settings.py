"""Settings of the smooth-migrations suite: tidemark_smooth_migrations alone."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

INSTALLED_APPS = [*BASE_APPS, "tidemark_smooth_migrations"]
DATABASES = databases("smooth_migrations", "other")
