"""Settings of the linter benchmark: the generated migrations of ``lintbench`` and the linters.

``BENCH_LINT_MIGRATIONS`` names the generated migrations package (on ``PYTHONPATH``);
``BENCH_DATABASE_URL`` the PostgreSQL database the linters read the server from.
"""

import os
from importlib.util import find_spec

import dj_database_url

SECRET_KEY = "tidemark-bench"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["tidemark_smooth_migrations", "lintbench"]
if find_spec("django_migration_linter"):
    INSTALLED_APPS.append("django_migration_linter")
DATABASES = {"default": dj_database_url.parse(os.environ["BENCH_DATABASE_URL"])}
MIGRATION_MODULES = {"lintbench": os.environ["BENCH_LINT_MIGRATIONS"]}
