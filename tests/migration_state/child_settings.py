"""Settings of child processes: the suite's settings, pointed at the running test databases."""

import json
import os

from tests.migration_state.settings import *  # noqa: F403
from tests.migration_state.settings import DATABASES

for _alias, _name in json.loads(os.environ["TIDEMARK_TEST_DATABASE_NAMES"]).items():
    DATABASES[_alias]["NAME"] = _name
# Children use the PostgreSQL aliases only; Django 6.1 runs the system checks of a command
# against every configured alias, and the SQLite one exists only for the E001 test.
del DATABASES["lite"]
