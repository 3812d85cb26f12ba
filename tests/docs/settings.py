"""Settings of the docs suite: every Tidemark app, and the ``shop`` app the examples declare.

The examples in docs/ run here: Python blocks in the test process, ``manage.py`` lines of
console blocks through Django's own ``ManagementUtility`` against the same test databases.
"""

import sys
from pathlib import Path

from tests.settings_base import *  # noqa: F403
from tests.settings_base import ADMIN_MIDDLEWARE, ADMIN_TEMPLATES, ALL_APPS, databases

# The examples import their models as `shop.models`, as a project of their own would.
sys.path.insert(0, str(Path(__file__).resolve().parent / "project"))

INSTALLED_APPS = [
    *ALL_APPS,
    "shop",
]
# The pages use a second database as the other environment ("staging").
DATABASES = databases("docs", "staging")
# The pages have no use for the suites' SQLite alias (and a reader's project has none).
del DATABASES["lite"]
# Each page gets a migrations package of its own for `shop` (tests/docs/pages.py).
MIGRATION_MODULES = {"shop": None}
MIDDLEWARE = ADMIN_MIDDLEWARE
TEMPLATES = ADMIN_TEMPLATES
