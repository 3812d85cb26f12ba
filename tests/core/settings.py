"""Settings of the core suite: tidemark_core plus three model-less apps for migration plans."""

from tests.settings_base import *  # noqa: F403
from tests.settings_base import BASE_APPS, databases

INSTALLED_APPS = [
    *BASE_APPS,
    "tidemark_core",
    "tests.core.planapps.alpha",
    "tests.core.planapps.beta",
    "tests.core.planapps.gamma",
]
DATABASES = databases("core", "other")
