"""Settings of the data-sync benchmark: two databases on one server, `source` and `target`.

``BENCH_SOURCE_URL`` and ``BENCH_TARGET_URL`` name them; ``BENCH_DEFAULT`` (source or target)
picks which one is ``default``, for tools that only know ``default`` (feincms3-data).
"""

import os

import dj_database_url

SECRET_KEY = "tidemark-bench"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "feincms3_data",
    "tidemark_data_sync",
    "polls",
]
_urls = {"source": os.environ["BENCH_SOURCE_URL"], "target": os.environ["BENCH_TARGET_URL"]}
DATABASES = {alias: dj_database_url.parse(url) for alias, url in _urls.items()}
DATABASES["default"] = DATABASES[os.environ.get("BENCH_DEFAULT", "source")]
TIDEMARK_DATA_SYNC_DATASETS = "datasets.datasets"
FEINCMS3_DATA_DATASETS = "datasets.datasets"
